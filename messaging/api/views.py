"""The chat thread of a complaint (read; staff reply into the citizen's chat) and the channels'
status for staff."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.models import Complaint
from messaging import services
from messaging.api.serializers import ChannelStatusSerializer, MessageSerializer, StaffReplySerializer
from messaging.channels import CHANNELS
from messaging.models import ChannelHealth, Message

COMPLAINT_PARAMETER = OpenApiParameter(
    "complaint", OpenApiTypes.STR, OpenApiParameter.PATH, description="Complaint id or reference (GRV-2026-000123)."
)


class ComplaintMessagesView(generics.GenericAPIView):
    """GET: the complaint's chat thread, oldest first (anyone who may see the complaint).
    POST: a staff reply, sent to the chat the complaint was filed from and recorded as a public comment."""

    serializer_class = MessageSerializer

    def get_complaint(self) -> Complaint:
        return get_object_or_404(
            Complaint.objects.visible_to(self.request.user).by_id_or_reference(self.kwargs["complaint"])
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no complaint in the URL
            return Message.objects.none()
        return (
            Message.objects.filter(complaint=self.get_complaint())
            .select_related("sent_by")
            .order_by("created_at", "id")
        )

    @extend_schema(parameters=[COMPLAINT_PARAMETER], responses=MessageSerializer(many=True))
    def get(self, request, complaint: str):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(parameters=[COMPLAINT_PARAMETER], request=StaffReplySerializer, responses={201: MessageSerializer})
    def post(self, request, complaint: str):
        target = self.get_complaint()
        if not request.user.is_staff:
            raise PermissionDenied("Only staff reply to citizens' chats.")
        payload = StaffReplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        message = services.staff_reply(complaint=target, author=request.user, body=payload.validated_data["body"])
        return Response(self.get_serializer(message).data, status=status.HTTP_201_CREATED)


class ChannelStatusView(APIView):
    """Each channel's configuration (no secrets), its last send success and failure, and a health
    verdict: `failing` after MESSAGING_HEALTH_FAILURE_THRESHOLD failed sends in a row."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses=ChannelStatusSerializer(many=True))
    def get(self, request):
        health = {row.channel: row for row in ChannelHealth.objects.all()}
        traffic = {
            row["channel"]: row
            for row in Message.objects.values("channel").annotate(
                last_inbound_at=Max("created_at", filter=Q(direction=Message.Direction.INBOUND)),
                pending_outbound=Count(
                    "id",
                    filter=Q(
                        direction=Message.Direction.OUTBOUND,
                        status__in=[Message.Status.PENDING, Message.Status.SENDING],
                    ),
                ),
                failed_outbound=Count(
                    "id", filter=Q(direction=Message.Direction.OUTBOUND, status=Message.Status.FAILED)
                ),
            )
        }
        rows = [self.describe(channel, health.get(name), traffic.get(name, {})) for name, channel in CHANNELS.items()]
        return Response(ChannelStatusSerializer(rows, many=True).data)

    @staticmethod
    def describe(channel, health: ChannelHealth | None, traffic: dict) -> dict:
        failures = health.consecutive_failures if health else 0
        threshold = settings.MESSAGING_HEALTH_FAILURE_THRESHOLD
        warning = ""
        if not channel.is_configured():
            verdict = "not_configured"
            warning = f"{channel.label} is not configured; its webhook refuses every call."
        elif failures >= threshold:
            verdict = "failing"
            warning = f"{channel.label} is failing: the last {failures} sends failed. Last error: {health.last_error}"
        elif failures:
            verdict = "degraded"
        else:
            verdict = "ok"
        return {
            "channel": channel.name,
            "label": channel.label,
            "configured": channel.is_configured(),
            "configuration": channel.configuration(),
            "webhook_path": reverse("api:messaging-webhook", kwargs={"channel": channel.name}),
            "health": verdict,
            "warning": warning,
            "last_success_at": health.last_success_at if health else None,
            "last_failure_at": health.last_failure_at if health else None,
            "last_error": health.last_error if health else "",
            "consecutive_failures": failures,
            "last_inbound_at": traffic.get("last_inbound_at"),
            "pending_outbound": traffic.get("pending_outbound", 0),
            "failed_outbound": traffic.get("failed_outbound", 0),
        }
