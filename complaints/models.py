"""Complaints and everything that hangs off one: timeline, comments, attachments, support, feedback."""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.querysets import ComplaintQuerySet
from departments.models import Priority


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    IN_PROGRESS = "in_progress", _("In progress")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


# Statuses in which a department still owes the citizen work (and the SLA clock runs).
OPEN_STATUSES = (Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.ESCALATED)
FINAL_STATUSES = (Status.CLOSED, Status.REJECTED)


class Source(models.TextChoices):
    WEB = "web", _("Web")
    MOBILE = "mobile", _("Mobile app")
    AI = "ai", _("AI assistant")
    SMS = "sms", _("SMS")
    BOT = "bot", _("Chat bot")
    OPEN311 = "open311", _("Open311")
    ADMIN = "admin", _("Back office")


# Sources a service account (AI, SMS gateway, bots, Open311 bridge) may file under.
INTAKE_SOURCE_CHOICES = [(s.value, s.label) for s in (Source.AI, Source.SMS, Source.BOT, Source.OPEN311)]


class ReferenceCounter(models.Model):
    """Last reference number handed out per year; incremented under a row lock (never random)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class Complaint(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("citizen")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who filed it: the citizen, a staff member on their behalf, or a service account."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000)
    transcript = models.TextField(_("transcript"), blank=True, max_length=20000)
    language = models.CharField(_("language"), max_length=16, blank=True)
    translated_text = models.TextField(_("translated text"), blank=True, max_length=20000)
    category = models.ForeignKey(
        "departments.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    subcategory = models.ForeignKey(
        "departments.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="subcategory_complaints"
    )
    department = models.ForeignKey(
        "departments.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_complaints"
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.WEB)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    ward = models.CharField(_("ward"), max_length=60, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    sla_due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    closure_reason = models.ForeignKey(
        "departments.ClosureReason", null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    supporters_count = models.PositiveIntegerField(_("supporters"), default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A citizen's own list, newest first.
            models.Index(fields=["citizen", "-created_at"], name="complaint_citizen_recent"),
            # Department queues filtered by status (the officer/manager list and the admin).
            models.Index(fields=["department", "status", "-created_at"], name="complaint_dept_status"),
            # The escalation sweep and the "overdue" filter: open rows by due time.
            models.Index(fields=["status", "sla_due_at"], name="complaint_status_due"),
            models.Index(fields=["assignee", "status"], name="complaint_assignee_status"),
            # "near=" and "nearby": a bounding box on latitude first, then longitude.
            models.Index(fields=["latitude", "longitude"], name="complaint_location"),
            # Analytics: the summaries of a date range read complaints resolved / closed in that range.
            models.Index(fields=["resolved_at"], name="complaint_resolved_at"),
            models.Index(fields=["closed_at"], name="complaint_closed_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="complaint_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="complaint_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        """The row-level spelling of `ComplaintQuerySet.overdue` (complaints/querysets.py): open and
        past its due time."""
        from complaints.querysets import is_overdue

        return is_overdue(self)


class ComplaintEvent(models.Model):
    """One line of a complaint's timeline. Written by services only, never edited.

    It is also the outbox: `dispatched_at` is set once every consumer (notifications, analytics, ...)
    has taken the event; `dispatch_claimed_at` is a dispatcher's lease on it (complaints.outbox).
    """

    class Action(models.TextChoices):
        CREATED = "created", _("Filed")
        TRIAGE = "triage", _("Triaged")
        ASSIGN = "assign", _("Assigned")
        START = "start", _("Work started")
        RESOLVE = "resolve", _("Resolved")
        CLOSE = "close", _("Closed")
        REOPEN = "reopen", _("Reopened")
        REJECT = "reject", _("Rejected")
        DUPLICATE = "duplicate", _("Marked as duplicate")
        ESCALATE = "escalate", _("Escalated")
        COMMENTED = "commented", _("Comment")
        INTERNAL_NOTE = "internal_note", _("Internal note")
        SUPPORTED = "supported", _("Supported")
        ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
        ESCALATION_REQUESTED = "escalation_requested", _("Escalation requested")
        ESCALATION_REQUEST_REJECTED = "escalation_request_rejected", _("Escalation request declined")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    # Internal events (internal notes) are for staff only; citizens and the public never see them.
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="event_complaint_time"),
            # The outbox sweep reads only events no dispatcher has finished: a small partial index.
            models.Index(
                fields=["created_at"], condition=models.Q(dispatched_at__isnull=True), name="event_undispatched"
            ),
            # Analytics: the summaries of a date range read every event (reopen, escalate, first
            # action) of that range, dispatched or not.
            models.Index(fields=["created_at"], name="event_created_at"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action} {self.from_status}->{self.to_status}"


class Comment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=5000)
    is_internal = models.BooleanField(
        default=False, help_text=_("Internal notes are seen by staff only, never by citizens.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="comment_complaint_time")]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.complaint_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Random names: an uploaded name never decides where a file lands or what it is called.
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class Support(models.Model):
    """A citizen's "me too" on someone else's complaint: once per citizen and complaint."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supports")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["complaint", "user"], name="support_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} supports {self.complaint_id}"


class Feedback(models.Model):
    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="feedback")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5")
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.complaint_id}"


class Escalation(models.Model):
    """A complaint moved up a level, automatically (SLA sweep) or by a person."""

    class Kind(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatic (SLA missed)")
        MANUAL = "manual", _("Manual")
        REQUEST = "request", _("Approved request")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="escalations")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_level = models.PositiveSmallIntegerField()
    to_level = models.PositiveSmallIntegerField()
    from_department = models.ForeignKey(
        "departments.Department", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_department = models.ForeignKey("departments.Department", null=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: level {self.from_level} -> {self.to_level}"


class IdempotencyRecord(models.Model):
    """The complaint filed by the first request carrying an Idempotency-Key; retries get it back."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    request_fingerprint = models.CharField(max_length=64)
    complaint = models.ForeignKey(Complaint, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_per_owner")]

    def __str__(self) -> str:
        return self.key


class EscalationRequest(models.Model):
    """A citizen (for their complaint) or an officer asks for escalation; the manager of the
    department it would go to approves (escalating through the same service as the sweep) or rejects."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="escalation_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=5000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    # The department whose manager decides: the parent of the complaint's department when asked
    # (or the department itself at the top of the tree).
    target_department = models.ForeignKey(
        "departments.Department", null=True, on_delete=models.SET_NULL, related_name="escalation_requests"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"],
                condition=models.Q(state="pending"),
                name="one_pending_escalation_request_per_complaint",
            )
        ]

    def __str__(self) -> str:
        return f"escalation request {self.pk} for {self.complaint_id} ({self.state})"


class Notice(models.Model):
    """A manager's broadcast to citizens ("water supply off in Ward 5 on Tuesday")."""

    class Audience(models.TextChoices):
        COMPLAINANTS = "complainants", _("Citizens who filed complaints in the department's categories or area")
        AREA = "area", _("Everyone with a complaint in the area")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="notices")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=2000)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.COMPLAINANTS)
    categories = models.ManyToManyField("departments.Category", blank=True, related_name="notices")
    ward = models.CharField(max_length=60, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    lookback_days = models.PositiveSmallIntegerField(default=30)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    recipients_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
