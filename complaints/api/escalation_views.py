"""REST endpoints for escalation requests: list, create, retrieve, approve, reject.

Thin: requests are looked up through `escalation_requests_visible_to` (anything else is a 404), and
the services in `complaints.services.escalation` decide who may ask and who may decide (403), and when (409).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from complaints import services
from complaints.api.serializers import MAX_TEXT, PersonSerializer
from complaints.models import Complaint, EscalationRequest
from complaints.selectors import escalation_requests_visible_to


class EscalationRequestSerializer(serializers.ModelSerializer):
    complaint_reference = serializers.CharField(source="complaint.reference", read_only=True)
    complaint_title = serializers.CharField(source="complaint.title", read_only=True)
    requested_by = PersonSerializer(read_only=True)
    target_department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    target_department_name = serializers.CharField(source="target_department.name", read_only=True, default=None)
    decided_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = EscalationRequest
        fields = [
            "id",
            "complaint",
            "complaint_reference",
            "complaint_title",
            "requested_by",
            "reason",
            "state",
            "target_department",
            "target_department_name",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]
        read_only_fields = fields


class EscalationRequestCreateSerializer(serializers.Serializer):
    complaint = serializers.CharField(max_length=32, help_text="Id or reference of the complaint.")
    reason = serializers.CharField(max_length=MAX_TEXT)


class EscalationApproveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class EscalationRejectSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=MAX_TEXT, help_text="Why the request is turned down; shown to the requester."
    )


@extend_schema_view(
    list=extend_schema(summary="Escalation requests you may see, newest first"),
    retrieve=extend_schema(summary="One escalation request"),
)
class EscalationRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    serializer_class = EscalationRequestSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["state"]
    queryset = EscalationRequest.objects.none()  # for the schema; get_queryset is the real source

    def get_queryset(self):
        return (
            escalation_requests_visible_to(self.request.user)
            .select_related("complaint", "requested_by", "target_department", "decided_by")
            .order_by("-created_at", "-id")
        )

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _output(self, escalation_request: EscalationRequest, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=escalation_request.pk)
        return Response(EscalationRequestSerializer(fresh).data, status=status_code)

    @extend_schema(
        request=EscalationRequestCreateSerializer,
        responses={201: EscalationRequestSerializer},
        summary="Ask for a complaint to be escalated (citizen: own complaint; officer: own department)",
    )
    def create(self, request):
        data = self._input(EscalationRequestCreateSerializer)
        complaint = Complaint.objects.visible_to(request.user).by_id_or_reference(data["complaint"]).first()
        if complaint is None:
            raise DjangoValidationError({"complaint": "No complaint you can see has that id or reference."})
        created = services.escalation_request_create(
            complaint=complaint, requested_by=request.user, reason=data["reason"]
        )
        return self._output(created, status.HTTP_201_CREATED)

    @extend_schema(
        request=EscalationApproveSerializer,
        responses={200: EscalationRequestSerializer},
        summary="Approve: the complaint escalates one level (manager of the target department, or admin)",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        escalation_request = self.get_object()
        note = self._input(EscalationApproveSerializer)["note"]
        decided = services.escalation_request_approve(
            escalation_request=escalation_request, actor=request.user, note=note
        )
        return self._output(decided)

    @extend_schema(
        request=EscalationRejectSerializer,
        responses={200: EscalationRequestSerializer},
        summary="Reject with a note (manager of the target department, or admin)",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        escalation_request = self.get_object()
        note = self._input(EscalationRejectSerializer)["note"]
        decided = services.escalation_request_reject(
            escalation_request=escalation_request, actor=request.user, note=note
        )
        return self._output(decided)
