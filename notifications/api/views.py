"""The notification inbox and channel preferences. Everyone reads only their own inbox: another
person's notification does not exist as far as the API is concerned (404)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from notifications import services as notifications
from notifications.models import Notification, NotificationPreference

# Mobile app builds read `complaint_id` / `complaint_reference`; they stay as aliases of the generic
# subject until those builds are gone. Only the API keeps this name; the engine does not use it.
LEGACY_SUBJECT_TYPE = "complaint"


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)
    complaint_id = serializers.SerializerMethodField(
        help_text="Deprecated: `subject_id` when `subject_type` is complaint, else null."
    )
    complaint_reference = serializers.SerializerMethodField(
        help_text="Deprecated: `reference` when `subject_type` is complaint, else empty."
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "subject_type", "subject_id", "reference", "complaint_id",
                  "complaint_reference", "is_read", "read_at", "created_at"]
        read_only_fields = fields

    def get_complaint_id(self, obj) -> int | None:
        return obj.subject_id if obj.subject_type == LEGACY_SUBJECT_TYPE else None

    def get_complaint_reference(self, obj) -> str:
        return obj.reference if obj.subject_type == LEGACY_SUBJECT_TYPE else ""


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    in_app_enabled = serializers.SerializerMethodField(help_text="Always true: the inbox cannot be switched off.")

    class Meta:
        model = NotificationPreference
        fields = ["in_app_enabled", "sms_enabled", "email_enabled", "chat_enabled"]

    def get_in_app_enabled(self, obj) -> bool:
        return True


class InboxQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


UnreadCountSerializer = inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})
MarkedSerializer = inline_serializer("MarkedRead", {"marked": serializers.IntegerField()})


@extend_schema_view(
    list=extend_schema(
        summary="Your notifications, newest first",
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="true: only unread; false: only read."),
        ],
    ),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    filter_backends: list = []
    lookup_value_regex = r"[0-9]+"
    queryset = Notification.objects.none()  # for the schema; get_queryset is the real source

    def get_queryset(self):
        unread = None
        if self.action == "list":
            query = InboxQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            unread = query.validated_data.get("unread")
        return notifications.inbox(self.request.user, unread=unread)

    @extend_schema(summary="How many of your notifications are unread", responses={200: UnreadCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": notifications.unread_count(request.user)})

    @extend_schema(summary="Mark one of your notifications read", request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = get_object_or_404(notifications.inbox(request.user), pk=pk)
        notification = notifications.notification_mark_read(notification=notification, user=request.user)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(summary="Mark all your notifications read", request=None, responses={200: MarkedSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notifications.notifications_mark_all_read(user=request.user)})

    @extend_schema(
        methods=["GET"], summary="Your notification channels", responses={200: NotificationPreferenceSerializer}
    )
    @extend_schema(
        methods=["PATCH"],
        summary="Switch SMS, email or chat-app messages on or off (the in-app inbox always stays on)",
        request=NotificationPreferenceSerializer,
        responses={200: NotificationPreferenceSerializer},
    )
    @action(detail=False, methods=["get", "patch"], serializer_class=NotificationPreferenceSerializer)
    def preferences(self, request):
        if request.method == "PATCH":
            serializer = NotificationPreferenceSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            preference = notifications.preferences_update(user=request.user, **serializer.validated_data)
        else:
            preference = notifications.preferences_for(request.user)
        return Response(NotificationPreferenceSerializer(preference).data)
