"""The inbox, per-user channel preferences, and one delivery row per notification and channel.

These tables know people (settings.AUTH_USER_MODEL) and nothing about what the apps above talk about:
a notification is *about* a subject named generically (`subject_type`, `subject_id`, `reference`,
e.g. "order", 42, "ORD-42"), and its `kind` is a string an app registered
(`notifications.kinds.register_kind`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message in a user's inbox, already rendered in the language they prefer.

    In-app is the record; SMS, email (and later chat) copies are `NotificationDelivery` rows.
    `dedupe_key` (e.g. "order-event:123") makes a fan-out idempotent: at most one
    notification per key and recipient, whatever how often the same fact is handed over.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    body = models.TextField()
    subject_type = models.CharField(
        max_length=32, blank=True, help_text=_("What the notification is about, as named by the app that sent it.")
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    reference = models.CharField(
        max_length=40, blank=True, help_text=_("A human label of the subject, e.g. its reference.")
    )
    dedupe_key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox (newest first) and the unread filter / unread count.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key", "recipient"],
                condition=Q(dedupe_key__isnull=False),
                name="notification_once_per_dedupe_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """What a user wants besides the in-app inbox (which cannot be switched off). No row: defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    sms_enabled = models.BooleanField(_("text messages"), default=True)
    email_enabled = models.BooleanField(_("email"), default=True)
    chat_enabled = models.BooleanField(
        _("chat apps"), default=True, help_text=_("Messages in chat apps such as Telegram and WhatsApp.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class NotificationDelivery(models.Model):
    """One notification sent through one channel. The sending task claims the row (pending ->
    sending) with a conditional UPDATE, so a retried or duplicated task never sends twice.

    `channel` is the name of a registered channel (`notifications.channels`); "sms" and "email"
    are built in, chat channels register theirs.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
        ]
        indexes = [
            # The pending-deliveries sweep.
            models.Index(fields=["status", "created_at"], name="delivery_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} for notification {self.notification_id}: {self.status}"
