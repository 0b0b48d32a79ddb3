"""Chats with citizens over Telegram, WhatsApp and SMS: one conversation per chat, every message in
and out stored (with its delivery state), the complaint each chat filed, and each provider's health."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChannelName(models.TextChoices):
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")


class Conversation(models.Model):
    """One chat on one channel. `state` holds where the citizen is in the flow (step and draft);
    a draft older than `expires_at` is dropped, never filed."""

    channel = models.CharField(max_length=16, choices=ChannelName.choices)
    chat_id = models.CharField(_("chat id"), max_length=64)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        help_text=_("The citizen identified by the chat's verified phone."),
    )
    phone = models.CharField(_("verified phone (E.164)"), max_length=16, blank=True)
    state = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    updates_enabled = models.BooleanField(
        _("status updates"), default=True, help_text=_("The citizen may turn updates in this chat off and on.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-updated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "chat_id"], name="conversation_once_per_chat")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} chat {self.chat_id}"

    @property
    def language(self) -> str:
        return getattr(self.citizen, "preferred_language", "") or "en"


class ComplaintConversation(models.Model):
    """The chat a complaint was filed from: where its public updates go and where staff replies go."""

    complaint = models.OneToOneField(
        "complaints.Complaint", on_delete=models.CASCADE, related_name="filed_conversation"
    )
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="complaint_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("complaint filed by chat")
        verbose_name_plural = _("complaints filed by chat")

    def __str__(self) -> str:
        return f"complaint {self.complaint_id} via conversation {self.conversation_id}"


class Message(models.Model):
    """One message in or out of a conversation.

    Inbound: `received` when the webhook stored it, `processed` once the flow has handled it.
    Outbound: `pending` -> `sending` (claimed by one task) -> `sent`, or back to `pending` for a
    retry, or `failed` after the last attempt. A provider's message id is unique per channel and
    direction, which is how a replayed webhook is recognised.
    """

    class Direction(models.TextChoices):
        INBOUND = "in", _("From the citizen")
        OUTBOUND = "out", _("To the citizen")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=16, choices=ChannelName.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    complaint = models.ForeignKey(
        "complaints.Complaint", null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_messages"
    )
    complaint_event = models.ForeignKey(
        "complaints.ComplaintEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The timeline event this update tells the citizen about."),
    )
    body = models.TextField(blank=True)
    media_ref = models.CharField(_("media reference"), max_length=200, blank=True)
    media_size = models.PositiveIntegerField(null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    provider_message_id = models.CharField(max_length=128, null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text=_("The normalised message, or the reply's buttons."))
    status = models.CharField(max_length=10, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    cost_units = models.PositiveSmallIntegerField(
        default=0, help_text=_("Billable units the provider charged (SMS segments, WhatsApp messages).")
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The staff member who wrote this reply."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "direction", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="message_provider_id_once",
            ),
            models.UniqueConstraint(
                fields=["conversation", "complaint_event"],
                condition=Q(complaint_event__isnull=False),
                name="message_update_once_per_event",
            ),
        ]
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="message_thread"),
            models.Index(fields=["channel", "direction", "status"], name="message_channel_status"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} {self.pk}: {self.status}"


class ChannelHealth(models.Model):
    """The last outcome of sending through each provider (updated by the sending task)."""

    channel = models.CharField(max_length=16, choices=ChannelName.choices, unique=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("channel health")
        verbose_name_plural = _("channel health")

    def __str__(self) -> str:
        return f"{self.channel}: {self.consecutive_failures} failures in a row"


class Campaign(models.Model):
    """A notice broadcast to its recipients over chat channels, one message per citizen.

    `channels` is an ordered list of channel names: each recipient gets the notice once, on the
    first of them that reaches them. Draft -> scheduled (starts at `scheduled_at`) -> running ->
    done; cancelled from any state before done. The counters move as the sending task goes.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    notice = models.ForeignKey("complaints.Notice", on_delete=models.PROTECT, related_name="campaigns")
    channels = models.JSONField(default=list, help_text=_("Channel names in order of preference."))
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Last time the sending task made progress (the sweep resumes stalled runs).")
    )
    recipients_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    cost_units = models.PositiveIntegerField(
        default=0, help_text=_("Billable units the providers charged (SMS segments, WhatsApp messages).")
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "scheduled_at"], name="campaign_state_due")]

    def __str__(self) -> str:
        return f"campaign {self.pk}: {self.notice_id} over {', '.join(self.channels)}"


class CampaignDelivery(models.Model):
    """One recipient of a campaign: the channel and chat chosen for them and what happened.

    At most one row per campaign and citizen (a unique constraint), and a row is claimed
    (pending -> sending) before its message goes out: a recipient never gets a campaign twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, choices=ChannelName.choices, blank=True)
    chat_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=200, blank=True, help_text=_("Why the recipient was skipped."))
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True)
    cost_units = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign delivery")
        verbose_name_plural = _("campaign deliveries")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "citizen"], name="campaign_once_per_citizen")]
        indexes = [models.Index(fields=["campaign", "status"], name="campaign_delivery_status")]

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} to {self.citizen_id}: {self.status}"
