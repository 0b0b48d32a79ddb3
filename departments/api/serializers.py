from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Role, User
from departments import services
from departments.api.permissions import is_staff
from departments.models import Category, ClosureReason, Department, EscalationStep, SLAPolicy


class EscalationStepSerializer(serializers.ModelSerializer):
    level = serializers.IntegerField(
        min_value=1, required=False, help_text="1 = first escalation. Defaults to the step's position in the list."
    )

    class Meta:
        model = EscalationStep
        fields = ["level", "hours", "notify_manager", "notify_assignee", "notify_citizen", "notify_executives"]


class DepartmentSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), allow_null=True, required=False, help_text="Id of the parent department."
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN]),
        allow_null=True,
        required=False,
        help_text="Id of the managing user (role manager or admin). Shown to staff only.",
    )
    escalation_policy = EscalationStepSerializer(
        many=True,
        required=False,
        help_text="Levels 1..N: hours allowed after reaching each level and who is told. When the "
        "department has none of its own, the built-in default is shown; send [] to return to it.",
    )
    max_escalation_level = serializers.IntegerField(read_only=True)

    class Meta:
        model = Department
        fields = [
            "id",
            "code",
            "name",
            "parent",
            "path",
            "depth",
            "is_active",
            "contact_email",
            "contact_phone",
            "manager",
            "escalation_policy",
            "max_escalation_level",
        ]
        read_only_fields = ["path", "depth"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not is_staff(request.user):
            data.pop("manager", None)
        return data

    def create(self, validated_data):
        return services.department_create(**validated_data)

    def update(self, instance, validated_data):
        return services.department_update(department=instance, **validated_data)


@extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/DepartmentTreeNode"}})
class _DepartmentChildrenField(serializers.ReadOnlyField):
    pass


class DepartmentTreeNodeSerializer(DepartmentSerializer):
    """A department with its sub-departments nested under `children` (for `?tree=1`)."""

    children = _DepartmentChildrenField(help_text="Sub-departments, nested the same way.")

    class Meta(DepartmentSerializer.Meta):
        fields = [*DepartmentSerializer.Meta.fields, "children"]


class _LabelMixin(serializers.Serializer):
    label = serializers.SerializerMethodField(help_text="The name in the request's language (Accept-Language).")

    def get_label(self, obj) -> str:
        return obj.localized_name(get_language())


class SubcategorySerializer(_LabelMixin, serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(parent__isnull=True),
        allow_null=True,
        required=False,
        help_text="Id of the parent category, for a subcategory.",
    )
    default_department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), allow_null=True, required=False
    )
    default_department_code = serializers.SlugRelatedField(
        source="default_department", slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "name",
            "name_hi",
            "label",
            "description",
            "parent",
            "default_department",
            "default_department_code",
            "default_priority",
            "is_active",
            "ordering",
        ]

    def create(self, validated_data):
        return services.category_save(**validated_data)

    def update(self, instance, validated_data):
        return services.category_save(category=instance, **validated_data)


class CategorySerializer(SubcategorySerializer):
    """A category with its subcategories (always empty for a subcategory)."""

    subcategories = SubcategorySerializer(many=True, read_only=True)

    class Meta(SubcategorySerializer.Meta):
        fields = [*SubcategorySerializer.Meta.fields, "subcategories"]


class ClosureReasonSerializer(_LabelMixin, serializers.ModelSerializer):
    class Meta:
        model = ClosureReason
        fields = ["id", "code", "name", "name_hi", "label", "description", "is_active", "ordering"]

    def create(self, validated_data):
        return services.closure_reason_save(**validated_data)

    def update(self, instance, validated_data):
        return services.closure_reason_save(reason=instance, **validated_data)


class SLAPolicySerializer(serializers.ModelSerializer):
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False, help_text="Empty: any category."
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), allow_null=True, required=False, help_text="Empty: any department."
    )
    category_code = serializers.SlugRelatedField(source="category", slug_field="code", read_only=True, allow_null=True)
    department_code = serializers.SlugRelatedField(
        source="department", slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "category",
            "category_code",
            "department",
            "department_code",
            "hours_low",
            "hours_medium",
            "hours_high",
            "hours_urgent",
            "is_default",
        ]
        read_only_fields = ["is_default"]
        # Uniqueness per (category, department) and the single default are checked by the model
        # (full_clean in the service), which knows about the NULL cases.
        validators: list = []

    def create(self, validated_data):
        return services.sla_policy_save(**validated_data)

    def update(self, instance, validated_data):
        return services.sla_policy_save(policy=instance, **validated_data)
