"""REST endpoints for complaints. Thin: look up through the visibility gate, validate, call a service."""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import RetrieveAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from accounts.permissions import HasApiKeyScope
from accounts.services import citizen_get_or_create
from complaints import policies, services
from complaints.api import serializers as s
from complaints.filtersets import ComplaintFilterSet, PointField
from complaints.models import Complaint, Feedback
from complaints.selectors import (
    NEWEST_FIRST,
    ValuesRows,
    VisibleRows,
    comments_for,
    nearby_open_complaints,
    timeline_for,
    visible_row,
)
from departments.models import Category
from grievance.api.filters import QueryParamFilterBackend
from grievance.api.parsers import LimitedJSONParser

REFERENCE_OR_ID = r"[0-9]+|[A-Za-z]{3}-[0-9]{4}-[0-9]{1,10}"


def _action_schema(request_serializer, summary: str):
    return extend_schema(request=request_serializer, responses={200: s.ComplaintDetailSerializer}, summary=summary)


class NearbyQuerySerializer(serializers.Serializer):
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180)
    radius_m = serializers.IntegerField(min_value=10, max_value=5000, required=False, default=300)
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all(), required=False)


@extend_schema_view(
    list=extend_schema(summary="Complaints visible to you, newest first"),
    retrieve=extend_schema(
        summary="One complaint, by id or reference",
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Id or reference")],
    ),
)
class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    filter_backends = [QueryParamFilterBackend]
    filterset_class = ComplaintFilterSet
    lookup_value_regex = REFERENCE_OR_ID
    parser_classes = [LimitedJSONParser, FormParser, MultiPartParser]
    queryset = Complaint.objects.none()  # for the schema; get_queryset is the real source

    def get_queryset(self):
        return Complaint.objects.visible_to(self.request.user).with_list_relations().order_by(*NEWEST_FIRST)

    def list(self, request, *args, **kwargs):
        """A page of LIST_VALUES rows, never model instances. Without filters (the mobile app's own
        list) through the gate's query compiled once per process (selectors.VisibleRows: count +
        page, no SQL compiled per request); with filters through the filterset, as values rows."""
        if self.filter_backends and QueryParamFilterBackend.applies(request, self.filterset_class):
            rows = ValuesRows(self.filter_queryset(self.get_queryset()), s.LIST_VALUES)
        else:
            rows = VisibleRows(request.user, s.LIST_VALUES)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.list_rows(page))

    def retrieve(self, request, *args, **kwargs):
        """One complaint through the gate, its query compiled once per process (selectors.visible_row)."""
        row = visible_row(request.user, kwargs[self.lookup_field], s.DETAIL_VALUES)
        if row is None:
            raise Http404("No Complaint matches the given query.")
        return Response(s.detail_row(row, request.user))

    def get_serializer_class(self):
        return s.ComplaintListSerializer if self.action == "list" else s.ComplaintDetailSerializer

    def get_object(self) -> Complaint:
        """By id or by reference, through the visibility gate: anything not visible is a 404."""
        complaint = get_object_or_404(self.get_queryset().by_id_or_reference(self.kwargs[self.lookup_field]))
        self.check_object_permissions(self.request, complaint)
        return complaint

    def _detail(self, complaint: Complaint, status_code: int = status.HTTP_200_OK) -> Response:
        # Not through the gate: a manager who triages or escalates a complaint out of their subtree
        # still gets the result of what they just did (they could see it a moment ago).
        fresh = Complaint.objects.with_list_relations().get(pk=complaint.pk)
        return Response(s.ComplaintDetailSerializer(fresh, context=self.get_serializer_context()).data, status_code)

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    # --- create ---
    @extend_schema(request=s.ComplaintCreateSerializer, responses={201: s.ComplaintDetailSerializer})
    def create(self, request):
        policies.enforce(policies.may_file(request.user))
        data = self._input(s.ComplaintCreateSerializer)
        phone, name = data.pop("citizen_phone", None), data.pop("citizen_name", "")
        if policies.files_for_others(request.user):
            citizen, _ = citizen_get_or_create(phone=phone, full_name=name)
        else:
            citizen = request.user
        complaint = services.complaint_create(citizen=citizen, created_by=request.user, **data)
        # The service returns the saved row with every relation the response shows already attached
        # (citizen, category, subcategory, routed department; no assignee yet): no re-read. Staff filing
        # for another department still get back what they filed.
        serializer = s.ComplaintDetailSerializer(complaint, context=self.get_serializer_context())
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    # --- workflow actions ---
    @_action_schema(s.TriageSerializer, "Triage: department, category, priority, assignee")
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        complaint = self.get_object()
        return self._detail(
            services.complaint_triage(complaint=complaint, actor=request.user, **self._input(s.TriageSerializer))
        )

    @_action_schema(s.AssignSerializer, "Assign to an officer or manager")
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        complaint = self.get_object()
        return self._detail(
            services.complaint_assign(complaint=complaint, actor=request.user, **self._input(s.AssignSerializer))
        )

    @_action_schema(s.NoteSerializer, "Start work")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        complaint = self.get_object()
        return self._detail(
            services.complaint_start(complaint=complaint, actor=request.user, **self._input(s.NoteSerializer))
        )

    @_action_schema(s.ResolveSerializer, "Resolve, with a note for the citizen")
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        complaint = self.get_object()
        return self._detail(
            services.complaint_resolve(complaint=complaint, actor=request.user, **self._input(s.ResolveSerializer))
        )

    @_action_schema(s.CloseSerializer, "Close: the citizen confirms with a rating")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        complaint = self.get_object()
        return self._detail(
            services.complaint_close(complaint=complaint, actor=request.user, **self._input(s.CloseSerializer))
        )

    @_action_schema(s.ReopenSerializer, "Reopen within the reopen window")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        complaint = self.get_object()
        return self._detail(
            services.complaint_reopen(complaint=complaint, actor=request.user, **self._input(s.ReopenSerializer))
        )

    @_action_schema(s.RejectSerializer, "Reject with a closure reason")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        complaint = self.get_object()
        return self._detail(
            services.complaint_reject(complaint=complaint, actor=request.user, **self._input(s.RejectSerializer))
        )

    @_action_schema(s.DuplicateSerializer, "Mark as a duplicate of another complaint")
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(s.DuplicateSerializer)
        original = Complaint.objects.visible_to(request.user).by_id_or_reference(data["duplicate_of"]).first()
        if original is None:
            raise DjangoValidationError({"duplicate_of": "No complaint you can see has that reference."})
        return self._detail(
            services.complaint_mark_duplicate(
                complaint=complaint, actor=request.user, duplicate_of=original, note=data["note"]
            )
        )

    @_action_schema(s.EscalateSerializer, "Escalate one level up the department tree")
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        complaint = self.get_object()
        return self._detail(
            services.complaint_escalate(complaint=complaint, actor=request.user, **self._input(s.EscalateSerializer))
        )

    @extend_schema(request=None, responses={200: s.PublicComplaintSerializer}, summary='Support ("me too")')
    @action(detail=True, methods=["post"])
    def support(self, request, pk=None):
        # Citizens support complaints of others, which they cannot see in full: look up in the public view.
        complaint = get_object_or_404(Complaint.objects.public().by_id_or_reference(self.kwargs["pk"]))
        complaint = services.complaint_support(complaint=complaint, user=request.user)
        return Response(s.PublicComplaintSerializer(complaint).data)

    # --- nested resources ---
    @extend_schema(methods=["get"], responses={200: s.CommentSerializer(many=True)}, summary="Comments")
    @extend_schema(methods=["post"], request=s.CommentSerializer, responses={201: s.CommentSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, pk=None):
        complaint = self.get_object()
        if request.method == "POST":
            data = self._input(s.CommentSerializer)
            comment = services.comment_add(complaint=complaint, author=request.user, **data)
            return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        return Response(s.CommentSerializer(comments_for(complaint, request.user), many=True).data)

    @extend_schema(methods=["get"], responses={200: s.AttachmentSerializer(many=True)}, summary="Attachments")
    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": s.AttachmentUploadSerializer},
        responses={201: s.AttachmentSerializer, 413: OpenApiResponse(description="File too large")},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attachments(self, request, pk=None):
        complaint = self.get_object()
        context = self.get_serializer_context()
        if request.method == "POST":
            upload = self._input(s.AttachmentUploadSerializer)["file"]
            attachment = services.attachment_add(complaint=complaint, uploaded_by=request.user, upload=upload)
            return Response(s.AttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED)
        return Response(s.AttachmentSerializer(complaint.attachments.all(), many=True, context=context).data)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        summary="Download an attachment (only for those who may see the complaint)",
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)/download")
    def download(self, request, pk=None, attachment_id=None):
        complaint = self.get_object()
        attachment = get_object_or_404(complaint.attachments, pk=attachment_id)
        storage = attachment.file.storage
        if isinstance(storage, FileSystemStorage):
            response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
            response["Content-Disposition"] = f'inline; filename="attachment-{attachment.pk}"'
            response["Cache-Control"] = "private, no-store"
            response["X-Content-Type-Options"] = "nosniff"
            return response
        # Object storage: a short-lived signed URL (AWS_QUERYSTRING_EXPIRE), never a public link.
        return HttpResponseRedirect(storage.url(attachment.file.name))

    @extend_schema(responses={200: s.FeedbackSerializer}, summary="The citizen's feedback (given when closing)")
    @action(detail=True, methods=["get"], pagination_class=None)
    def feedback(self, request, pk=None):
        complaint = self.get_object()
        return Response(s.FeedbackSerializer(get_object_or_404(Feedback, complaint=complaint)).data)

    @extend_schema(responses={200: s.EventSerializer(many=True)}, summary="Timeline")
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None):
        complaint = self.get_object()
        return Response(s.EventSerializer(timeline_for(complaint, request.user), many=True).data)

    @extend_schema(parameters=[NearbyQuerySerializer], responses={200: s.NearbyComplaintSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def nearby(self, request):
        """Open complaints near a point, PII-free, so the app can offer "support this one"."""
        query = NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        center = PointField().to_python(f"{data['lat']},{data['lng']}")
        rows = nearby_open_complaints(center=center, radius_m=data["radius_m"], category=data.get("category"))
        return Response(s.NearbyComplaintSerializer(rows, many=True).data)


class TrackView(RetrieveAPIView):
    """Public, PII-free status and timeline of a complaint, by its reference."""

    permission_classes = [AllowAny]
    serializer_class = s.TrackSerializer
    lookup_field = "reference"

    def get_queryset(self):
        return (
            Complaint.objects.public()
            .select_related("category", "subcategory", "department")
            .prefetch_related("events")
        )

    def get_object(self):
        return get_object_or_404(self.get_queryset(), reference=self.kwargs["reference"].upper())


class AiIntakeView(APIView):
    """The AI service files a structured complaint on behalf of a citizen identified by phone.

    An `Idempotency-Key` header makes retries safe: the same key with the same body returns the first
    response; the same key with a different body is a 409.
    """

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKeyScope.with_scope("intake")]

    @extend_schema(
        request=s.AiIntakeSerializer,
        responses={201: s.ComplaintDetailSerializer, 200: s.ComplaintDetailSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request):
        serializer = s.AiIntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if len(key) > 128:
            raise DjangoValidationError({"Idempotency-Key": "At most 128 characters."})
        if not key:
            complaint = self._file(request, serializer.validated_data)
            return Response(self._body(request, complaint), status=status.HTTP_201_CREATED)

        fingerprint = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
        complaint, replayed = services.complaint_create_idempotent(
            owner=request.user,
            key=key,
            fingerprint=fingerprint,
            create=lambda: self._file(request, serializer.validated_data),
        )
        return Response(
            self._body(request, complaint),
            status=status.HTTP_201_CREATED,
            headers={"Idempotent-Replayed": "true"} if replayed else None,
        )

    def _file(self, request, data: dict) -> Complaint:
        citizen, _ = citizen_get_or_create(phone=data["citizen_phone"], full_name=data["citizen_name"])
        return services.complaint_create(
            citizen=citizen,
            created_by=request.user,
            title=data["title"],
            description=data["description"],
            transcript=data["transcript"],
            language=data["language"],
            translated_text=data["translated_text"],
            category=data.get("category_code"),
            subcategory=data.get("subcategory_code"),
            department=data.get("department_code"),
            priority=data.get("priority"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            address=data["address"],
            ward=data["ward"],
            source=data["source"],
            metadata=data["metadata"],
        )

    def _body(self, request, complaint: Complaint) -> dict:
        fresh = Complaint.objects.with_list_relations().get(pk=complaint.pk)
        return s.ComplaintDetailSerializer(fresh, context={"request": request}).data
