"""Complaint serializers: output shapes per audience, and one input serializer per action.

Input serializers only validate and look things up; the services do the changing.
"""

import copy
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import DEPARTMENT_ROLES, User
from accounts.phones import normalize_phone
from complaints import policies
from complaints.models import INTAKE_SOURCE_CHOICES, Attachment, Comment, Complaint, ComplaintEvent, Feedback, Source
from complaints.selectors import PUBLIC_EVENT_FIELDS, public_events, public_note, public_replies
from departments.models import Category, ClosureReason, Department, Priority

MAX_TEXT = 5000


def validate_phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class PersonSerializer(serializers.Serializer):
    """A staff member as shown on a complaint: name and role, nothing else."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")
    role = serializers.CharField()


class CitizenContactSerializer(serializers.Serializer):
    """The citizen's contact details: only for staff and the citizen themself."""

    id = serializers.IntegerField()
    full_name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    email = serializers.EmailField(allow_null=True)


class LocationSerializer(serializers.Serializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    address = serializers.CharField(allow_blank=True)
    ward = serializers.CharField(allow_blank=True)


# --- the hot shapes, written out (DRF's field-by-field output, without its per-field machinery) ----
_DATETIME = serializers.DateTimeField(read_only=True)
_COORDINATE = serializers.DecimalField(max_digits=9, decimal_places=6, read_only=True)


def _when(value):
    return _DATETIME.to_representation(value) if value else None


def _coordinate(value):
    return None if value is None else _COORDINATE.to_representation(value)


def _text(value):
    return None if value is None else str(value)


def _code(related):
    return None if related is None else related.code


def list_row(obj: Complaint) -> dict:
    """ComplaintListSerializer's output for one complaint."""
    department = obj.department if obj.department_id is not None else None
    assignee = obj.assignee if obj.assignee_id is not None else None
    return {
        "id": obj.pk,
        "reference": obj.reference,
        "title": _text(obj.title),
        "status": _text(obj.status),
        "priority": _text(obj.priority),
        "source": _text(obj.source),
        "category": _code(obj.category) if obj.category_id is not None else None,
        "subcategory": _code(obj.subcategory) if obj.subcategory_id is not None else None,
        "department": _code(department),
        "department_name": None if department is None else _text(department.name),
        "assignee": None
        if assignee is None
        else {"id": assignee.pk, "name": _text(assignee.full_name), "role": _text(assignee.role)},
        "sla_due_at": _when(obj.sla_due_at),
        "is_overdue": obj.is_overdue,
        "escalation_level": int(obj.escalation_level),
        "supporters_count": int(obj.supporters_count),
        "created_at": _when(obj.created_at),
        "updated_at": _when(obj.updated_at),
    }


class BuiltFieldsOnce:
    """A ModelSerializer that introspects its model once per process, not once per instance.

    DRF builds a ModelSerializer's fields from the model's metadata every time one is instantiated.
    This keeps the built fields per class and gives each instance deep copies, exactly as a plain
    Serializer does with its declared fields: the same fields, the same behaviour, no shared state.
    """

    _built_fields: dict = {}

    def get_fields(self):
        cls = type(self)
        built = BuiltFieldsOnce._built_fields.get(cls)
        if built is None:
            built = BuiltFieldsOnce._built_fields[cls] = super().get_fields()
        return copy.deepcopy(built)


class ComplaintListSerializer(BuiltFieldsOnce, serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    subcategory = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    department_name = serializers.CharField(source="department.name", read_only=True, default=None, allow_null=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "priority",
            "source",
            "category",
            "subcategory",
            "department",
            "department_name",
            "assignee",
            "sla_due_at",
            "is_overdue",
            "escalation_level",
            "supporters_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        # The fields above describe the shape (and the OpenAPI schema); the hot list and detail
        # responses are written out directly. test_serializer_fast_paths pins both to DRF's output.
        if type(self) is ComplaintListSerializer:
            return list_row(instance)
        return super().to_representation(instance)


class ComplaintDetailSerializer(ComplaintListSerializer):
    location = serializers.SerializerMethodField()
    citizen = serializers.SerializerMethodField()
    closure_reason = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    duplicate_of = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    allowed_actions = serializers.SerializerMethodField()
    metadata = serializers.SerializerMethodField()

    class Meta(ComplaintListSerializer.Meta):
        fields = ComplaintListSerializer.Meta.fields + [
            "description",
            "transcript",
            "language",
            "translated_text",
            "location",
            "citizen",
            "metadata",
            "resolution_note",
            "closure_reason",
            "duplicate_of",
            "resolved_at",
            "closed_at",
            "allowed_actions",
        ]
        read_only_fields = fields

    def _viewer(self) -> User | None:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def to_representation(self, instance):
        if type(self) is ComplaintDetailSerializer:
            return self.detail_row(instance)
        return super().to_representation(instance)

    def detail_row(self, obj: Complaint) -> dict:
        """ComplaintDetailSerializer's output, field by field as DRF would produce it."""
        row = list_row(obj)
        citizen_id = obj.citizen_id
        duplicate_of = obj.duplicate_of if obj.duplicate_of_id is not None else None
        row.update(
            description=_text(obj.description),
            transcript=_text(obj.transcript),
            language=_text(obj.language),
            translated_text=_text(obj.translated_text),
            location={
                "latitude": _coordinate(obj.latitude),
                "longitude": _coordinate(obj.longitude),
                "address": _text(obj.address),
                "ward": _text(obj.ward),
            },
            citizen=self.get_citizen(obj) if citizen_id is not None else None,
            metadata=self.get_metadata(obj),
            resolution_note=_text(obj.resolution_note),
            closure_reason=_code(obj.closure_reason),
            duplicate_of=None if duplicate_of is None else duplicate_of.reference,
            resolved_at=_when(obj.resolved_at),
            closed_at=_when(obj.closed_at),
            allowed_actions=self.get_allowed_actions(obj),
        )
        return row

    @extend_schema_field(LocationSerializer)
    def get_location(self, obj: Complaint) -> dict:
        return LocationSerializer(obj).data

    @extend_schema_field(CitizenContactSerializer(allow_null=True))
    def get_citizen(self, obj: Complaint) -> dict | None:
        viewer = self._viewer()
        if viewer is not None and (viewer.is_staff or viewer.pk == obj.citizen_id):
            citizen = obj.citizen
            return {
                "id": citizen.pk,
                "full_name": _text(citizen.full_name),
                "phone": _text(citizen.phone),
                "email": _text(citizen.email),
            }
        return None

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_metadata(self, obj: Complaint) -> dict | None:
        viewer = self._viewer()
        return obj.metadata if viewer is not None and viewer.is_staff else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, obj: Complaint) -> list[str]:
        viewer = self._viewer()
        if viewer is None or not viewer.is_authenticated:
            return []
        return policies.allowed_actions(viewer, obj)


CODE_MAX_LENGTH = Category._meta.get_field("code").max_length


def _categories_by_code(*, category: str | None, subcategory: str | None) -> dict:
    """{"category": Category | None, "subcategory": Category | None} for the given codes, in one query,
    with each one's default department joined (routing reads it). The same rules and messages as a
    SlugRelatedField on top-level categories and on subcategories."""
    codes = [code for code in (category, subcategory) if code is not None]
    found = {c.code: c for c in Category.objects.select_related("default_department").filter(code__in=codes)}
    result, errors = {}, {}
    for field, code, top_level in (("category", category, True), ("subcategory", subcategory, False)):
        if code is None:
            continue
        row = found.get(code)
        if row is None or (row.parent_id is None) != top_level:
            errors[field] = [f"Object with code={code} does not exist."]
        result[field] = row
    if errors:
        raise serializers.ValidationError(errors)
    return result


class ComplaintCreateSerializer(serializers.Serializer):
    """What a citizen (or staff on a citizen's behalf) sends to file a complaint."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT)
    # Codes, looked up together in `validate` (one query, with their default departments for routing).
    category = serializers.CharField(
        max_length=CODE_MAX_LENGTH, required=False, allow_null=True, help_text="Code of a top-level category."
    )
    subcategory = serializers.CharField(
        max_length=CODE_MAX_LENGTH, required=False, allow_null=True, help_text="Code of one of its subcategories."
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, help_text="Staff only.")
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=Decimal(-90), max_value=Decimal(90), required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=Decimal(-180), max_value=Decimal(180), required=False, allow_null=True
    )
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    ward = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    citizen_phone = serializers.CharField(
        max_length=32,
        required=False,
        validators=[validate_phone],
        help_text="Staff filing on behalf of a citizen: the citizen's phone.",
    )
    citizen_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        # Both coordinates or neither: complaint_create checks it (one rule, services.core.validate_location).
        attrs.update(_categories_by_code(category=attrs.get("category"), subcategory=attrs.get("subcategory")))
        user = self.context["request"].user
        if policies.files_for_others(user):
            if not attrs.get("citizen_phone"):
                raise serializers.ValidationError({"citizen_phone": "Give the phone of the citizen you file for."})
            attrs.setdefault("source", Source.ADMIN)
        else:
            attrs.pop("priority", None)
            attrs.pop("citizen_phone", None)
            if attrs.get("source") not in (None, Source.WEB, Source.MOBILE):
                raise serializers.ValidationError({"source": "Citizens file from the web or the mobile app."})
            attrs.setdefault("source", Source.MOBILE)
        return attrs


class TriageSerializer(serializers.Serializer):
    department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(parent__isnull=True), required=False, allow_null=True
    )
    subcategory = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(parent__isnull=False), required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role__in=DEPARTMENT_ROLES, is_active=True), required=False, allow_null=True
    )
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role__in=DEPARTMENT_ROLES, is_active=True)
    )
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=MAX_TEXT, help_text="What was done; shown to the citizen.")


class CloseSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT)


class RejectSerializer(serializers.Serializer):
    closure_reason = serializers.SlugRelatedField(slug_field="code", queryset=ClosureReason.objects.all())
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class DuplicateSerializer(serializers.Serializer):
    duplicate_of = serializers.CharField(max_length=32, help_text="Reference or id of the original complaint.")
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class EscalateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT)


class FeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feedback
        fields = ["rating", "comment", "created_at"]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True)
    body = serializers.CharField(max_length=MAX_TEXT)
    is_internal = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "is_internal", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "content_type", "size", "original_name", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj: Attachment) -> str:
        request = self.context.get("request")
        path = f"/api/v1/complaints/{obj.complaint_id}/attachments/{obj.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(max_length=200, allow_empty_file=False)


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ComplaintEvent
        fields = ["id", "action", "from_status", "to_status", "note", "changes", "actor", "is_internal", "created_at"]
        read_only_fields = fields


# --- public, PII-free shapes -----------------------------------------------------------------
class PublicEventSerializer(serializers.ModelSerializer):
    """A timeline line for the public: what happened and when, never who or what was said privately."""

    note = serializers.SerializerMethodField()

    class Meta:
        model = ComplaintEvent
        fields = list(PUBLIC_EVENT_FIELDS)
        read_only_fields = fields

    def get_note(self, obj: ComplaintEvent) -> str:
        return public_note(obj)


class PublicComplaintSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    subcategory = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    department_name = serializers.CharField(source="department.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "title",
            "status",
            "category",
            "subcategory",
            "department_name",
            "ward",
            "supporters_count",
            "sla_due_at",
            "created_at",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = fields


class NearbyComplaintSerializer(PublicComplaintSerializer):
    id = serializers.IntegerField(read_only=True)
    distance_m = serializers.FloatField(read_only=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, read_only=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, read_only=True)

    class Meta(PublicComplaintSerializer.Meta):
        fields = ["id"] + PublicComplaintSerializer.Meta.fields + ["latitude", "longitude", "distance_m"]
        read_only_fields = fields


class PublicReplySerializer(serializers.Serializer):
    """A staff member's public reply, without who wrote it."""

    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class TrackSerializer(PublicComplaintSerializer):
    timeline = serializers.SerializerMethodField()
    replies = serializers.SerializerMethodField()

    class Meta(PublicComplaintSerializer.Meta):
        fields = PublicComplaintSerializer.Meta.fields + ["timeline", "replies"]
        read_only_fields = fields

    @extend_schema_field(PublicReplySerializer(many=True))
    def get_replies(self, obj: Complaint) -> list[dict]:
        return PublicReplySerializer(public_replies(obj), many=True).data

    @extend_schema_field(PublicEventSerializer(many=True))
    def get_timeline(self, obj: Complaint) -> list[dict]:
        return PublicEventSerializer(public_events(obj.events.all()), many=True).data


class AiIntakeSerializer(serializers.Serializer):
    """A complaint as the AI service structures it from a call, chat or message."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT)
    transcript = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    language = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    translated_text = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    category_code = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(parent__isnull=True), required=False, allow_null=True
    )
    subcategory_code = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(parent__isnull=False), required=False, allow_null=True
    )
    department_code = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=Decimal(-90), max_value=Decimal(90), required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=Decimal(-180), max_value=Decimal(180), required=False, allow_null=True
    )
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    ward = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(choices=INTAKE_SOURCE_CHOICES, required=False, default=Source.AI)
    metadata = serializers.DictField(required=False, default=dict)
    citizen_phone = serializers.CharField(max_length=32, validators=[validate_phone])
    citizen_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def validate_metadata(self, value: dict) -> dict:
        import json

        if len(json.dumps(value)) > 20000:
            raise serializers.ValidationError("Metadata may be at most 20,000 characters of JSON.")
        return value

    # Both coordinates or neither: complaint_create checks it (services.core.validate_location).
