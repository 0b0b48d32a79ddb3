"""Users as the admin API shows and changes them."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Role, User

_Department = User._meta.get_field("department").related_model  # no import of departments: it imports us
LANGUAGES = User._meta.get_field("preferred_language").choices


class UserSerializer(serializers.ModelSerializer):
    department_code = serializers.CharField(source="department.code", read_only=True, default=None, allow_null=True)
    is_staff = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "role",
            "phone",
            "email",
            "full_name",
            "preferred_language",
            "department",
            "department_code",
            "is_active",
            "is_staff",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class _UserWriteFields(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    email = serializers.EmailField(required=False, allow_blank=True, allow_null=True)
    phone = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32)
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    preferred_language = serializers.ChoiceField(choices=LANGUAGES, required=False)
    department = serializers.PrimaryKeyRelatedField(
        queryset=_Department.objects.all(), required=False, allow_null=True
    )


class UserCreateSerializer(_UserWriteFields):
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=128,
        style={"input_type": "password"},
        help_text=_("Optional: without one, send the user a reset link to choose their own."),
    )


class UserUpdateSerializer(_UserWriteFields):
    role = serializers.ChoiceField(choices=Role.choices, required=False)


class PasswordResetRequestSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=["email", "sms"], required=False, help_text=_("Default: email if the user has one, else SMS.")
    )


class PasswordResetSentSerializer(serializers.Serializer):
    detail = serializers.CharField()
    channel = serializers.CharField()
