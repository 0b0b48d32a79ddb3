"""Complaint serializers: output shapes per audience, and one input serializer per action.

Input serializers only validate and look things up; the services do the changing.
"""

import copy
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from accounts.models import DEPARTMENT_ROLES, User
from accounts.phones import normalize_phone
from complaints import policies
from complaints.models import INTAKE_SOURCE_CHOICES, Attachment, Comment, Complaint, ComplaintEvent, Feedback, Source
from complaints.querysets import is_overdue_values
from complaints.selectors import PUBLIC_EVENT_FIELDS, public_events, public_note, public_replies
from departments.models import Category, ClosureReason, Department, Priority
from departments.selectors import categories_by_code
from grievance.api.serializers import CopiedFields

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
# Rows come as dicts of `values()` lookups: from the compiled reads (complaints.selectors.VisibleRows,
# visible_row) or, for a loaded instance, `values_of`. test_api_statement_counts pins both to DRF.
LIST_VALUES = (
    *("id", "reference", "title", "status", "priority", "source", "category__code", "subcategory__code"),
    *("department__code", "department__name", "assignee_id", "assignee__full_name", "assignee__role"),
    *("sla_due_at", "escalation_level", "supporters_count", "created_at", "updated_at"),
)
DETAIL_VALUES = (
    *LIST_VALUES,
    *("description", "transcript", "language", "translated_text", "latitude", "longitude", "address", "ward"),
    *("citizen_id", "citizen__full_name", "citizen__phone", "citizen__email", "metadata", "resolution_note"),
    *("closure_reason__code", "duplicate_of__reference", "resolved_at", "closed_at", "department_id"),
)
# What the workflow policies read of a complaint (policies.ACTION_FIELDS), in the model's field
# order (Model.from_db takes them so): allowed_actions on a detail row.
POLICY_VALUES = tuple(f.attname for f in Complaint._meta.concrete_fields if f.attname in policies.ACTION_FIELDS)

_DATETIME = serializers.DateTimeField(read_only=True)
_COORDINATE = serializers.DecimalField(max_digits=9, decimal_places=6, read_only=True)
_ISO_8601 = api_settings.DATETIME_FORMAT.lower() == "iso-8601"


def _when(value, tz):
    """DRF's DateTimeField output (ISO 8601 in the current time zone, UTC as Z), given the zone."""
    if not value:
        return None
    if not _ISO_8601:
        return _DATETIME.to_representation(value)
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _coordinate(value):
    return None if value is None else _COORDINATE.to_representation(value)


def _text(value):
    return None if value is None else str(value)


def values_of(obj: Complaint, names: tuple[str, ...]) -> dict:
    """What `values(*names)` would read for `obj`, from the loaded instance and its relations."""
    row = {}
    for name in names:
        value = obj
        for part in name.split("__"):
            if value is None:
                break
            value = getattr(value, part)
        row[name] = value
    return row


def list_row(row: dict, tz=None) -> dict:
    """ComplaintListSerializer's output for one row of LIST_VALUES."""
    tz = tz or timezone.get_current_timezone()
    return {
        "id": row["id"],
        "reference": row["reference"],
        "title": _text(row["title"]),
        "status": _text(row["status"]),
        "priority": _text(row["priority"]),
        "source": _text(row["source"]),
        "category": row["category__code"],
        "subcategory": row["subcategory__code"],
        "department": row["department__code"],
        "department_name": _text(row["department__name"]),
        "assignee": None
        if row["assignee_id"] is None
        else {
            "id": row["assignee_id"],
            "name": _text(row["assignee__full_name"]),
            "role": _text(row["assignee__role"]),
        },
        "sla_due_at": _when(row["sla_due_at"], tz),
        "is_overdue": is_overdue_values(row["status"], row["sla_due_at"]),
        "escalation_level": int(row["escalation_level"]),
        "supporters_count": int(row["supporters_count"]),
        "created_at": _when(row["created_at"], tz),
        "updated_at": _when(row["updated_at"], tz),
    }


def list_rows(rows: list[dict]) -> list[dict]:
    tz = timezone.get_current_timezone()
    return [list_row(row, tz) for row in rows]


def detail_row(row: dict, viewer: User | None) -> dict:
    """ComplaintDetailSerializer's output for one row of DETAIL_VALUES, as `viewer` sees it."""
    tz = timezone.get_current_timezone()
    output = list_row(row, tz)
    if viewer is None or not viewer.is_authenticated:
        actions = []
    else:
        policy_view = Complaint.from_db(None, POLICY_VALUES, [row[name] for name in POLICY_VALUES])
        actions = policies.allowed_actions(viewer, policy_view)
    output.update(
        description=_text(row["description"]),
        transcript=_text(row["transcript"]),
        language=_text(row["language"]),
        translated_text=_text(row["translated_text"]),
        location={
            "latitude": _coordinate(row["latitude"]),
            "longitude": _coordinate(row["longitude"]),
            "address": _text(row["address"]),
            "ward": _text(row["ward"]),
        },
        citizen={
            "id": row["citizen_id"],
            "full_name": _text(row["citizen__full_name"]),
            "phone": _text(row["citizen__phone"]),
            "email": _text(row["citizen__email"]),
        }
        if policies.may_see_contact(viewer, row["citizen_id"])
        else None,
        metadata=row["metadata"] if policies.may_see_metadata(viewer) else None,
        resolution_note=_text(row["resolution_note"]),
        closure_reason=row["closure_reason__code"],
        duplicate_of=row["duplicate_of__reference"],
        resolved_at=_when(row["resolved_at"], tz),
        closed_at=_when(row["closed_at"], tz),
        allowed_actions=actions,
    )
    return output


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
            return list_row(values_of(instance, LIST_VALUES))
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
            return detail_row(values_of(instance, DETAIL_VALUES), self._viewer())
        return super().to_representation(instance)

    @extend_schema_field(LocationSerializer)
    def get_location(self, obj: Complaint) -> dict:
        return LocationSerializer(obj).data

    @extend_schema_field(CitizenContactSerializer(allow_null=True))
    def get_citizen(self, obj: Complaint) -> dict | None:
        if policies.may_see_contact(self._viewer(), obj.citizen_id):
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
        return obj.metadata if policies.may_see_metadata(self._viewer()) else None

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
    found = categories_by_code(codes)
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


class ComplaintCreateSerializer(CopiedFields, serializers.Serializer):
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
