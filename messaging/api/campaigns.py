"""/api/v1/campaigns/: broadcast campaigns of notices, for the managers of the notice's department
(or a department above it) and admins. Thin: every change goes through messaging.campaigns."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from complaints.notices import NOTICE_AUTHOR_ROLES, notices_visible_to
from messaging import campaigns
from messaging.models import Campaign, CampaignDelivery, ChannelName


class IsNoticeAuthor(BasePermission):
    """Managers and admins (who may publish notices); which campaigns each sees is the notice's
    department scope."""

    message = "Only department managers and administrators run campaigns."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.role in NOTICE_AUTHOR_ROLES)


class CampaignSerializer(serializers.ModelSerializer):
    notice_title = serializers.CharField(source="notice.title", read_only=True)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=ChannelName.choices), allow_empty=False)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "notice",
            "notice_title",
            "channels",
            "state",
            "scheduled_at",
            "created_at",
            "started_at",
            "finished_at",
            "recipients_count",
            "sent_count",
            "failed_count",
            "skipped_count",
            "cost_units",
        ]
        read_only_fields = [name for name in fields if name not in ("notice", "channels", "scheduled_at")]
        extra_kwargs = {"scheduled_at": {"required": False, "allow_null": True}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "notice" in self.fields:
            # A notice the caller cannot see is "not found", like everywhere else.
            self.fields["notice"].queryset = notices_visible_to(request.user)


class ScheduleSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField()


class CampaignDeliverySerializer(serializers.ModelSerializer):
    citizen = serializers.IntegerField(source="citizen_id", read_only=True)

    class Meta:
        model = CampaignDelivery
        fields = [
            "id",
            "citizen",
            "channel",
            "status",
            "reason",
            "attempts",
            "last_error",
            "cost_units",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Campaigns of the notices you manage, newest first"),
    retrieve=extend_schema(summary="One campaign with its counters"),
    create=extend_schema(summary="Create a campaign for a notice (a draft, or scheduled with scheduled_at)"),
)
class CampaignViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = CampaignSerializer
    permission_classes = [IsNoticeAuthor]
    lookup_value_regex = r"[0-9]+"
    filter_backends: list = []
    queryset = Campaign.objects.none()  # for the schema; get_queryset is the real source

    def get_queryset(self):
        notices = notices_visible_to(self.request.user)
        return (
            Campaign.objects.filter(notice__in=notices.values("pk"))
            .select_related("notice")
            .order_by("-created_at", "-id")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = campaigns.campaign_create(
            actor=self.request.user,
            notice=data["notice"],
            channels=data["channels"],
            scheduled_at=data.get("scheduled_at"),
        )

    def _answer(self, campaign: Campaign) -> Response:
        return Response(CampaignSerializer(campaign, context=self.get_serializer_context()).data)

    @extend_schema(summary="Schedule a draft (or re-time a scheduled campaign)", request=ScheduleSerializer,
                   responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        campaign = self.get_object()
        payload = ScheduleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        campaign = campaigns.campaign_schedule(
            campaign=campaign, actor=request.user, scheduled_at=payload.validated_data["scheduled_at"]
        )
        return self._answer(campaign)

    @extend_schema(summary="Start a draft or scheduled campaign now", request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        campaign = campaigns.campaign_start(campaign=self.get_object(), actor=request.user)
        campaign.refresh_from_db()
        return self._answer(campaign)

    @extend_schema(summary="Cancel a campaign that is not done", request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._answer(campaigns.campaign_cancel(campaign=self.get_object(), actor=request.user))

    @extend_schema(summary="The campaign's per-recipient delivery log", responses=CampaignDeliverySerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=CampaignDeliverySerializer)
    def deliveries(self, request, pk=None):
        campaign = get_object_or_404(self.get_queryset(), pk=pk)
        page = self.paginate_queryset(CampaignDelivery.objects.filter(campaign=campaign).order_by("id"))
        return self.get_paginated_response(CampaignDeliverySerializer(page, many=True).data)


__all__ = ["CampaignViewSet"]
