"""Notices: a manager's broadcast to citizens ("water supply off in Ward 5 on Tuesday").

A notice is written as a draft (`notice_create`), published once (`notice_publish`: the manager
of its department, or an admin), and fanned out by the `complaints.tasks.send_notice` task in
batches of users (`notice_send`): each recipient gets an in-app notification (and SMS/email per
their preferences) through the engine's `notify` with the dedupe key "notice:<id>": re-running the
fan-out skips whoever already has this notice, so a crashed or repeated task never notifies anyone
twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from complaints import policies, selectors
from complaints.models import Complaint, Notice
from complaints.notifications import NotificationKind
from complaints.selectors import Point, within_radius
from departments.models import Category, Department
from departments.selectors import department_subtree_ids
from grievance.errors import Conflict
from notifications.services import Subject, notify

logger = logging.getLogger(__name__)

NOTICE_BATCH_SIZE = 500
# Who may see and who may publish notices: one gate (selectors) and one policy, re-exported here
# for the callers that import them from this module.
NOTICE_AUTHOR_ROLES = policies.NOTICE_AUTHOR_ROLES
notices_visible_to = selectors.notices_visible_to
NOTICE_SUBJECT_TYPE = "notice"


def notice_dedupe_key(notice_id: int) -> str:
    return f"notice:{notice_id}"


def ensure_may_manage(*, actor: User, department: Department | None) -> None:
    policies.enforce(policies.may_publish_notice(actor, department))


def validate_audience(notice: Notice) -> None:
    errors: dict[str, str] = {}
    located = [notice.latitude, notice.longitude, notice.radius_m]
    if any(value is not None for value in located) and not all(value is not None for value in located):
        errors["radius_m"] = "An area by distance needs latitude, longitude and radius_m together."
    if notice.audience == Notice.Audience.AREA and not notice.ward and not all(v is not None for v in located):
        errors["audience"] = "An area notice needs a ward, or latitude, longitude and radius_m."
    if notice.radius_m is not None and not 10 <= notice.radius_m <= 50_000:
        errors["radius_m"] = "The radius is between 10 m and 50 km."
    if not 1 <= notice.lookback_days <= 365:
        errors["lookback_days"] = "Look back between 1 and 365 days."
    if errors:
        raise ValidationError(errors)


# --- writing --------------------------------------------------------------------------------
@transaction.atomic
def notice_create(
    *,
    actor: User,
    department: Department,
    title: str,
    body: str,
    audience: str = Notice.Audience.COMPLAINANTS,
    categories: list[Category] | None = None,
    ward: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    radius_m: int | None = None,
    lookback_days: int = 30,
) -> Notice:
    """A draft notice of `department`, written by its manager (or an admin)."""
    ensure_may_manage(actor=actor, department=department)
    notice = Notice(
        department=department,
        author=actor,
        title=(title or "").strip(),
        body=(body or "").strip(),
        audience=audience,
        ward=(ward or "").strip(),
        latitude=latitude,
        longitude=longitude,
        radius_m=radius_m,
        lookback_days=lookback_days,
    )
    notice.full_clean()
    validate_audience(notice)
    notice.save()
    if categories:
        notice.categories.set(categories)
    return notice


@transaction.atomic
def notice_publish(*, notice: Notice, actor: User) -> Notice:
    """Publish a draft: count its recipients now, mark it sending, and fan it out after commit.

    Only the manager of the notice's department (or of a department above it) or an admin, and
    only once: a notice that is sending or sent is a conflict.
    """
    locked = Notice.objects.select_for_update().select_related("department").get(pk=notice.pk)
    ensure_may_manage(actor=actor, department=locked.department)
    if locked.state != Notice.State.DRAFT:
        raise Conflict(f"This notice is already {locked.get_state_display().lower()}; it can be published once.")
    validate_audience(locked)
    locked.state = Notice.State.SENDING
    locked.published_at = timezone.now()
    locked.recipients_count = notice_recipients(locked).count()
    locked.sent_count = 0
    locked.failed_count = 0
    locked.save(update_fields=["state", "published_at", "recipients_count", "sent_count", "failed_count"])
    notice_id = locked.pk
    transaction.on_commit(lambda: _schedule_send(notice_id))
    return locked


def _schedule_send(notice_id: int) -> None:
    from complaints.tasks import send_notice

    try:
        send_notice.apply_async(args=[notice_id], retry_policy={"max_retries": 1})
    except Exception:
        # The notice stays "sending"; re-run the task (or `send_notice.delay(id)`) once the broker is back.
        logger.exception("Could not queue the fan-out of notice %s.", notice_id)


# --- reading ---------------------------------------------------------------------------------
def notice_recipients(notice: Notice) -> QuerySet[User]:
    """The citizens a notice goes to, each once, ordered by id (for batching).

    complainants: citizens who filed a complaint in the last `lookback_days` days in the notice's
    department or below it, or in one of the notice's categories (or their subcategories).
    area: citizens with a complaint in the ward, or (without a ward) within `radius_m` of the point,
    at any time.
    """
    complaints = Complaint.objects.all()
    if notice.audience == Notice.Audience.AREA:
        if notice.ward:
            complaints = complaints.filter(ward__iexact=notice.ward)
        elif None not in (notice.latitude, notice.longitude, notice.radius_m):
            center = Point(latitude=float(notice.latitude), longitude=float(notice.longitude))
            complaints = within_radius(complaints, center=center, radius_m=float(notice.radius_m))
        else:
            complaints = complaints.none()
    else:
        since = timezone.now() - dt.timedelta(days=notice.lookback_days)
        where = Q(department_id__in=department_subtree_ids(notice.department_id))
        category_ids = list(notice.categories.values_list("pk", flat=True)) if notice.pk else []
        if category_ids:
            category_ids += list(Category.objects.filter(parent_id__in=category_ids).values_list("pk", flat=True))
            where |= Q(category_id__in=category_ids) | Q(subcategory_id__in=category_ids)
        complaints = complaints.filter(where, created_at__gte=since)
    return (
        User.objects.filter(role=Role.CITIZEN, is_active=True, pk__in=complaints.values("citizen_id"))
        .order_by("pk")
    )


# --- the fan-out -----------------------------------------------------------------------------
def notice_send(*, notice_id: int, batch_size: int = NOTICE_BATCH_SIZE) -> Notice:
    """Notify every recipient of a published notice, `batch_size` users at a time (flat memory).

    Idempotent: recipients who already have this notice's notification are skipped, so a retried
    or repeated run only fills the gaps. `sent_count` grows by the notifications written;
    `failed_count` is the recipients of batches that could not be written in this run (a re-run
    tries them again). Counters move with F() so the admin can watch progress.
    """
    notice = Notice.objects.select_related("department").get(pk=notice_id)
    if notice.state == Notice.State.DRAFT:
        raise Conflict("A draft notice is not sent; publish it first.")
    Notice.objects.filter(pk=notice.pk).update(failed_count=0)
    context = {"notice_title": notice.title, "notice_body": notice.body, "department": str(notice.department)}
    recipients = notice_recipients(notice).only("pk")
    last_pk = 0
    while True:
        batch = [user.pk for user in recipients.filter(pk__gt=last_pk)[:batch_size]]
        if not batch:
            break
        last_pk = batch[-1]
        try:
            with transaction.atomic():
                # The engine's dedupe key skips whoever already has this notice: a re-run only fills gaps.
                created = notify(
                    recipients=[User(pk=pk) for pk in batch],
                    kind=NotificationKind.NOTICE,
                    context=context,
                    subject=Subject(type=NOTICE_SUBJECT_TYPE, id=notice.pk),
                    dedupe_key=notice_dedupe_key(notice.pk),
                )
                if created:
                    Notice.objects.filter(pk=notice.pk).update(sent_count=F("sent_count") + len(created))
        except Exception:
            logger.exception("A batch of %s recipients of notice %s failed; a re-run retries them.",
                             len(batch), notice.pk)
            Notice.objects.filter(pk=notice.pk).update(failed_count=F("failed_count") + len(batch))
    Notice.objects.filter(pk=notice.pk).update(state=Notice.State.SENT)
    notice.refresh_from_db()
    return notice
