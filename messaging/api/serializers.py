from __future__ import annotations

from rest_framework import serializers

from messaging.models import Message


class MessageSerializer(serializers.ModelSerializer):
    """One message of a complaint's chat thread. Delivery errors and costs are for staff."""

    has_media = serializers.SerializerMethodField()
    sent_by = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "channel",
            "direction",
            "body",
            "has_media",
            "latitude",
            "longitude",
            "status",
            "attempts",
            "last_error",
            "cost_units",
            "sent_by",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields

    STAFF_ONLY = ("attempts", "last_error", "cost_units")

    def get_has_media(self, obj: Message) -> bool:
        return bool(obj.media_ref)

    def get_sent_by(self, obj: Message) -> str | None:
        return obj.sent_by.full_name or None if obj.sent_by_id else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.is_staff:
            for name in self.STAFF_ONLY:
                data.pop(name, None)
        return data


class StaffReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000, trim_whitespace=True)


class ChannelStatusSerializer(serializers.Serializer):
    channel = serializers.CharField()
    label = serializers.CharField()
    configured = serializers.BooleanField()
    configuration = serializers.DictField()
    webhook_path = serializers.CharField()
    health = serializers.ChoiceField(choices=["ok", "degraded", "failing", "not_configured"])
    warning = serializers.CharField(allow_blank=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    last_failure_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    consecutive_failures = serializers.IntegerField()
    last_inbound_at = serializers.DateTimeField(allow_null=True)
    pending_outbound = serializers.IntegerField()
    failed_outbound = serializers.IntegerField()
