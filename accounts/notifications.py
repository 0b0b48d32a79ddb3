"""Notifications: an in-app inbox for everyone, SMS and email copies where they apply.

`notify()` is the one entry point. It renders the text per recipient language from
`templates/notifications/<kind>.<lang>.txt` (first line: the title; the rest: the body), writes the
inbox rows and one `NotificationDelivery` per extra channel in bulk, and after commit hands each
delivery to a Celery task. Sending (`deliver`) claims the delivery row with a conditional UPDATE
(pending -> sending) first, so however often a task is retried or duplicated, a message goes out at
most once. If the broker is down the deliveries simply stay pending and the periodic sweep
(`deliver_pending`, every minute on beat) sends them later.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template import Context, Engine
from django.template.exceptions import TemplateDoesNotExist
from django.utils import timezone, translation

from accounts import sms
from accounts.models import (
    Notification,
    NotificationDelivery,
    NotificationKind,
    NotificationPreference,
    Role,
    User,
)

logger = logging.getLogger(__name__)

Channel = NotificationDelivery.Channel
DeliveryStatus = NotificationDelivery.Status

LANGUAGES = ("en", "hi")
DEFAULT_LANGUAGE = "en"
# A delivery that failed this many times is given up (status failed). Matches the task's retries:
# the first try plus max_retries.
MAX_DELIVERY_ATTEMPTS = 6
# Pending deliveries younger than this are left to the task that was scheduled for them.
PENDING_GRACE = dt.timedelta(minutes=1)
# A pending delivery that already failed once is in Celery's retry backoff (at most 5 minutes); the
# sweep takes it over only when its last attempt is older than this (the retry itself was lost).
RETRY_TAKEOVER = dt.timedelta(minutes=10)
SMS_MAX_LENGTH = 480
TITLE_MAX_LENGTH = 200


# --- rendering ---------------------------------------------------------------------------------
@cache
def _engine() -> Engine:
    # Plain text for SMS, email and the inbox (the inbox page escapes on output): no autoescaping here.
    dirs = [str(d) for config in settings.TEMPLATES for d in config.get("DIRS", [])]
    return Engine(dirs=dirs, app_dirs=True, autoescape=False, libraries={}, builtins=[])


def render(*, kind: str, language: str, context: dict) -> tuple[str, str]:
    """(title, body) of a `kind` notification in `language` (English when there is no template)."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    try:
        template = _engine().get_template(f"notifications/{kind}.{language}.txt")
    except TemplateDoesNotExist:
        template = _engine().get_template(f"notifications/{kind}.{DEFAULT_LANGUAGE}.txt")
    with translation.override(language):
        text = template.render(Context(context)).strip()
    title, _, body = text.partition("\n")
    return title.strip()[:TITLE_MAX_LENGTH], body.strip()


# --- preferences -------------------------------------------------------------------------------
def preferences_for(user: User) -> NotificationPreference:
    """The user's preferences (an unsaved default row when they never changed anything)."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


@transaction.atomic
def preferences_update(*, user: User, sms_enabled: bool | None = None, email_enabled: bool | None = None):
    """Switch SMS and/or email copies on or off. The in-app inbox cannot be switched off."""
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    if sms_enabled is not None:
        preference.sms_enabled = sms_enabled
    if email_enabled is not None:
        preference.email_enabled = email_enabled
    preference.save()
    user.notification_preference = preference
    return preference


def channels_for(user: User) -> list[str]:
    """Channels besides in-app for `user`: SMS with a phone, email with an address, unless opted out."""
    preference = preferences_for(user)
    channels = []
    if user.phone and preference.sms_enabled:
        channels.append(Channel.SMS)
    if user.email and preference.email_enabled:
        channels.append(Channel.EMAIL)
    return channels


# --- creating ----------------------------------------------------------------------------------
def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    context: dict,
    complaint_id: int | None = None,
    complaint_reference: str = "",
    notice_id: int | None = None,
) -> list[Notification]:
    """Put a `kind` notification in each recipient's inbox and queue its SMS/email copies.

    Text is rendered once per language in the recipient's preferred language. Service accounts and
    inactive users get nothing; a recipient listed twice gets one notification. Runs a fixed number
    of queries whatever the number of recipients (users, inserts of notifications and deliveries);
    the sending tasks are scheduled after the surrounding transaction commits.
    """
    if kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    ids = {user.pk for user in recipients if user is not None and user.pk is not None}
    if not ids:
        return []
    users = list(
        User.objects.filter(pk__in=ids, is_active=True)
        .exclude(role=Role.SERVICE)
        .select_related("notification_preference")
        .order_by("pk")
    )
    if not users:
        return []
    rendered: dict[str, tuple[str, str]] = {}
    notifications = []
    for user in users:
        language = user.preferred_language if user.preferred_language in LANGUAGES else DEFAULT_LANGUAGE
        if language not in rendered:
            rendered[language] = render(kind=kind, language=language, context=context)
        title, body = rendered[language]
        notifications.append(
            Notification(
                recipient=user,
                kind=kind,
                title=title,
                body=body,
                complaint_id=complaint_id,
                complaint_reference=complaint_reference or "",
                notice_id=notice_id,
            )
        )
    with transaction.atomic():
        created = Notification.objects.bulk_create(notifications)
        deliveries = [
            NotificationDelivery(notification=notification, channel=channel)
            for notification in created
            for channel in channels_for(notification.recipient)
        ]
        deliveries = NotificationDelivery.objects.bulk_create(deliveries)
        delivery_ids = [delivery.pk for delivery in deliveries]
        if delivery_ids:
            transaction.on_commit(lambda: schedule_deliveries(delivery_ids))
    return created


def schedule_deliveries(delivery_ids: Iterable[int]) -> int:
    """Hand each delivery to a Celery task; returns how many were queued.

    A broker that cannot be reached is not an error here: the deliveries stay pending and the
    periodic sweep sends them. (In eager mode the task runs right here; its failures are recorded
    on the delivery row and must not break the caller either.)
    """
    from accounts.tasks import send_notification_delivery

    queued = 0
    for delivery_id in delivery_ids:
        try:
            send_notification_delivery.apply_async(
                args=[delivery_id], retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
            )
        except Exception:
            logger.warning("Could not queue notification delivery %s; the pending sweep will send it.",
                           delivery_id, exc_info=True)
            if not getattr(send_notification_delivery.app.conf, "task_always_eager", False):
                # The broker is unreachable: trying the rest one by one would only wait on it again.
                break
        else:
            queued += 1
    return queued


@transaction.atomic
def deliveries_retry(*, delivery_ids: Iterable[int]) -> int:
    """Give deliveries that failed for good a fresh set of attempts and queue them after commit.

    Only failed rows change; pending, sending and sent ones are left as they are. Returns how many
    were reset.
    """
    ids = list(
        NotificationDelivery.objects.select_for_update()
        .filter(pk__in=list(delivery_ids), status=DeliveryStatus.FAILED)
        .values_list("pk", flat=True)
    )
    if ids:
        NotificationDelivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.PENDING, attempts=0)
        transaction.on_commit(lambda: schedule_deliveries(ids))
    return len(ids)


# --- sending -----------------------------------------------------------------------------------
class DeliveryError(Exception):
    """A delivery could not be sent (the backend raised); the task retries it with backoff."""


def _sms_text(notification: Notification) -> str:
    text = f"{notification.title}\n{notification.body}" if notification.body else notification.title
    return text if len(text) <= SMS_MAX_LENGTH else text[: SMS_MAX_LENGTH - 1] + "…"


def _send(delivery: NotificationDelivery) -> None:
    notification = delivery.notification
    recipient = notification.recipient
    if delivery.channel == Channel.SMS:
        if not recipient.phone:
            raise DeliveryError("The recipient has no phone number any more.")
        sms.send_sms(to=recipient.phone, body=_sms_text(notification))
    elif delivery.channel == Channel.EMAIL:
        if not recipient.email:
            raise DeliveryError("The recipient has no email address any more.")
        send_mail(notification.title, notification.body, settings.DEFAULT_FROM_EMAIL, [recipient.email],
                  fail_silently=False)
    else:  # pragma: no cover - the choices allow nothing else
        raise DeliveryError(f"Unknown channel {delivery.channel!r}.")


def deliver(*, delivery_id: int) -> str:
    """Send one delivery if it is still pending; returns its status afterwards ("skipped" when
    another run had it). Raises when sending failed and a retry may help."""
    now = timezone.now()
    claimed = NotificationDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, attempts__lt=MAX_DELIVERY_ATTEMPTS
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return "skipped"
    delivery = NotificationDelivery.objects.select_related("notification__recipient").get(pk=delivery_id)
    try:
        _send(delivery)
    except Exception as exc:
        gave_up = delivery.attempts >= MAX_DELIVERY_ATTEMPTS
        NotificationDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        if gave_up:
            logger.error("Notification delivery %s failed for good after %s attempts: %s",
                         delivery_id, delivery.attempts, exc)
            return DeliveryStatus.FAILED
        raise
    NotificationDelivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return DeliveryStatus.SENT


def pending_deliveries(*, now: dt.datetime | None = None) -> QuerySet[NotificationDelivery]:
    """Deliveries the sweep should take: pending for over a minute and not in a live retry cycle."""
    now = now or timezone.now()
    return NotificationDelivery.objects.filter(
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - RETRY_TAKEOVER),
        status=DeliveryStatus.PENDING,
        attempts__lt=MAX_DELIVERY_ATTEMPTS,
        created_at__lte=now - PENDING_GRACE,
    ).order_by("created_at", "id")


def deliver_pending(*, limit: int = 1000, now: dt.datetime | None = None) -> dict[str, int]:
    """Send pending deliveries left behind (broker down, lost retries), oldest first, here and now.

    Safe to run while tasks run and in several processes at once: each delivery is claimed before
    it is sent. Returns counts by outcome.
    """
    counts = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    ids = list(pending_deliveries(now=now).values_list("pk", flat=True)[:limit])
    for delivery_id in ids:
        try:
            outcome = deliver(delivery_id=delivery_id)
        except Exception:
            logger.warning("Pending delivery %s failed again; it will be retried.", delivery_id, exc_info=True)
            counts["retry"] += 1
            continue
        counts[outcome if outcome in counts else "skipped"] += 1
    return counts


# --- the inbox ---------------------------------------------------------------------------------
def inbox(user: User, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nobody reads another person's inbox)."""
    queryset = Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
    if unread is True:
        queryset = queryset.filter(read_at__isnull=True)
    elif unread is False:
        queryset = queryset.filter(read_at__isnull=False)
    return queryset


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_mark_read(*, notification: Notification, user: User) -> Notification:
    """Mark one of the user's own notifications read (idempotent: the first read time stays)."""
    if notification.recipient_id != user.pk:
        raise Notification.DoesNotExist("Not this user's notification.")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
