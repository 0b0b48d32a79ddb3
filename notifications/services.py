"""The notification engine: `notify()` / `notify_many()` write inbox rows and queue channel copies.

Apps above hand over facts: recipients, a registered `kind` (`notifications.kinds`), the template
context, what the notification is about (`Subject`) and a `dedupe_key`. The engine renders the text
per recipient language from the kind's templates (first line: the title; the rest: the body),
writes the inbox rows and one `NotificationDelivery` per channel that applies (`notifications.channels`)
in bulk, and after commit hands each delivery to a Celery task. With a `dedupe_key` a notification
is written at most once per key and recipient (a unique constraint; the insert ignores conflicts),
so a fact handed over twice notifies once and queues its deliveries once.

Sending (`deliver`) claims the delivery row with a conditional UPDATE (pending -> sending) first, so
however often a task is retried or duplicated, a message goes out at most once. If the broker is
down the deliveries simply stay pending and the periodic sweep (`deliver_pending`, every minute on
beat) sends them later.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template import Context, Engine
from django.template.exceptions import TemplateDoesNotExist
from django.utils import timezone, translation

from notifications.channels import DeliveryError, get_channel, registered_channels, registered_delivery_filters
from notifications.kinds import get_kind
from notifications.models import Notification, NotificationDelivery, NotificationPreference
from notifications.preferences import preference_of

__all__ = [
    "DeliveryError", "Message", "Subject", "channels_for", "deliver", "deliver_pending", "deliveries_retry",
    "inbox", "notification_mark_read", "notifications_mark_all_read", "notify", "notify_many",
    "pending_deliveries", "preferences_for", "preferences_update", "render", "schedule_deliveries",
    "unread_count",
]

logger = logging.getLogger(__name__)

DeliveryStatus = NotificationDelivery.Status

DEFAULT_LANGUAGE = "en"
# A delivery that failed this many times is given up (status failed). Matches the task's retries:
# the first try plus max_retries.
MAX_DELIVERY_ATTEMPTS = 6
# Pending deliveries younger than this are left to the task that was scheduled for them.
PENDING_GRACE = dt.timedelta(minutes=1)
# A pending delivery that already failed once is in Celery's retry backoff (at most 5 minutes); the
# sweep takes it over only when its last attempt is older than this (the retry itself was lost).
RETRY_TAKEOVER = dt.timedelta(minutes=10)
TITLE_MAX_LENGTH = 200


def _languages() -> tuple[str, ...]:
    return tuple(code for code, _name in getattr(settings, "LANGUAGES", [(DEFAULT_LANGUAGE, "")]))


def language_of(user) -> str:
    """The user's `preferred_language` when the site speaks it, else English."""
    language = getattr(user, "preferred_language", None) or DEFAULT_LANGUAGE
    return language if language in _languages() else DEFAULT_LANGUAGE


def receives_notifications(user) -> bool:
    """Active users get notifications, unless their model says otherwise (`receives_notifications`,
    e.g. service accounts)."""
    return bool(getattr(user, "is_active", True)) and bool(getattr(user, "receives_notifications", True))


# --- rendering ---------------------------------------------------------------------------------
@cache
def _engine() -> Engine:
    # Plain text for SMS, email and the inbox (the inbox page escapes on output): no autoescaping here.
    dirs = [str(d) for config in settings.TEMPLATES for d in config.get("DIRS", [])]
    return Engine(dirs=dirs, app_dirs=True, autoescape=False, libraries={}, builtins=[])


def render(*, kind: str, language: str, context: dict) -> tuple[str, str]:
    """(title, body) of a `kind` notification in `language` (English when there is no template)."""
    prefix = get_kind(kind).template
    language = language if language in _languages() else DEFAULT_LANGUAGE
    try:
        template = _engine().get_template(f"{prefix}.{language}.txt")
    except TemplateDoesNotExist:
        template = _engine().get_template(f"{prefix}.{DEFAULT_LANGUAGE}.txt")
    with translation.override(language):
        text = template.render(Context(context)).strip()
    title, _, body = text.partition("\n")
    return title.strip()[:TITLE_MAX_LENGTH], body.strip()


# --- preferences -------------------------------------------------------------------------------
def preferences_for(user) -> NotificationPreference:
    """The user's preferences (an unsaved default row when they never changed anything)."""
    return preference_of(user)


@transaction.atomic
def preferences_update(
    *, user, sms_enabled: bool | None = None, email_enabled: bool | None = None, chat_enabled: bool | None = None
):
    """Switch SMS, email and/or chat-app messages on or off. The in-app inbox cannot be switched off."""
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    if sms_enabled is not None:
        preference.sms_enabled = sms_enabled
    if email_enabled is not None:
        preference.email_enabled = email_enabled
    if chat_enabled is not None:
        preference.chat_enabled = chat_enabled
    preference.save()
    user.notification_preference = preference
    return preference


def channels_for(user) -> list[str]:
    """Names of the channels besides in-app that `user` gets copies through, in registration order
    (built in: SMS with a phone, email with an address, each unless opted out)."""
    preference = preferences_for(user)
    return [name for name, channel in registered_channels().items() if channel.is_available_for(user, preference)]


# --- creating ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    """What a notification is about, named by the app that sends it: ("order", 42, "ORD-42")."""

    type: str
    id: int | None = None
    reference: str = ""


@dataclass
class Message:
    """One fact to tell people: `kind` rendered with `context` for each of `recipients` (users or ids).

    With a `dedupe_key` each recipient gets it at most once, however often it is handed over.
    """

    recipients: Iterable[Any]
    kind: str
    context: dict
    subject: Subject | None = None
    dedupe_key: str | None = None
    recipient_ids: list[int] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        for person in self.recipients:
            pk = getattr(person, "pk", person)
            if pk is not None and pk not in self.recipient_ids:
                self.recipient_ids.append(pk)


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    context: dict,
    subject: Subject | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Put a `kind` notification in each recipient's inbox and queue its channel copies.

    Returns the notifications written now (not those a `dedupe_key` found already written).
    """
    return notify_many([Message(recipients=recipients, kind=kind, context=context, subject=subject,
                                dedupe_key=dedupe_key)])


def notify_many(messages: Sequence[Message]) -> list[Notification]:
    """Write the notifications of many messages at once, in a fixed number of queries.

    Text is rendered once per message and language, in each recipient's preferred language.
    Inactive users and users whose model says they receive nothing get nothing; a recipient listed
    twice in a message gets one notification. Queries, whatever the number of messages and
    recipients: users, the inserts (plain and keyed), the keyed read-back, the delivery insert. The
    sending tasks are scheduled after the surrounding transaction commits (never before the rows
    are visible to a worker). Returns the notifications written now.
    """
    messages = [message for message in messages if message.recipient_ids]
    for message in messages:
        get_kind(message.kind)  # unknown kinds fail before anything is written
    all_ids = {pk for message in messages for pk in message.recipient_ids}
    if not all_ids:
        return []
    users = {
        user.pk: user
        for user in get_user_model()._default_manager.filter(pk__in=all_ids, is_active=True)
        .select_related("notification_preference")
        .order_by("pk")
        if receives_notifications(user)
    }
    if not users:
        return []
    plain: list[Notification] = []
    keyed: list[Notification] = []
    seen: set[tuple[str, int]] = set()
    # Every row of this call carries this exact time: it tells the keyed rows written now from
    # those some earlier (or racing) call wrote, without reading the keys first.
    now = timezone.now()
    for message in messages:
        rendered: dict[str, tuple[str, str]] = {}
        subject = message.subject or Subject(type="")
        for pk in message.recipient_ids:
            user = users.get(pk)
            if user is None:
                continue
            if message.dedupe_key:
                if (message.dedupe_key, pk) in seen:
                    continue  # the same key twice in one batch
                seen.add((message.dedupe_key, pk))
            language = language_of(user)
            if language not in rendered:
                rendered[language] = render(kind=message.kind, language=language, context=message.context)
            title, body = rendered[language]
            notification = Notification(
                recipient=user,
                kind=message.kind,
                title=title,
                body=body,
                subject_type=subject.type,
                subject_id=subject.id,
                reference=subject.reference or "",
                dedupe_key=message.dedupe_key or None,
                created_at=now,
            )
            (keyed if message.dedupe_key else plain).append(notification)
    if not plain and not keyed:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(plain) if plain else []
        if keyed:
            # Insert-or-ignore: the unique (dedupe_key, recipient) constraint keeps the rows an earlier
            # or racing call wrote, and the read-back keeps only the rows written now (this call's
            # `created_at`), so a fact handed over twice gets no second notification or delivery.
            Notification.objects.bulk_create(keyed, ignore_conflicts=True)
            wanted = {(n.dedupe_key, n.recipient_id) for n in keyed}
            for notification in Notification.objects.filter(
                dedupe_key__in={key for key, _pk in wanted},
                recipient_id__in={pk for _key, pk in wanted},
                created_at=now,
            ).order_by("id"):
                if (notification.dedupe_key, notification.recipient_id) in wanted:
                    notification.recipient = users[notification.recipient_id]
                    created.append(notification)
        # Deliveries of notifications written now cannot exist yet (their unique constraint would
        # fail the batch otherwise, and the caller retries it); the insert returns their ids.
        candidates = [
            NotificationDelivery(notification=notification, channel=channel)
            for notification in created
            for channel in channels_for(notification.recipient)
        ]
        deliveries = NotificationDelivery.objects.bulk_create(filter_deliveries(candidates)) if candidates else []
        delivery_ids = [delivery.pk for delivery in deliveries]
        if delivery_ids:
            transaction.on_commit(lambda: schedule_deliveries(delivery_ids))
    return created


def filter_deliveries(candidates: list[NotificationDelivery]) -> list[NotificationDelivery]:
    """The channel copies left after every registered delivery filter dropped those another app
    already delivers (e.g. the SMS copy of an update the person already gets in a chat)."""
    for name, delivery_filter in registered_delivery_filters().items():
        if not candidates:
            break
        dropped = {id(delivery) for delivery in delivery_filter(candidates)}
        if dropped:
            logger.debug("Delivery filter %s dropped %s channel copies.", name, len(dropped))
            candidates = [delivery for delivery in candidates if id(delivery) not in dropped]
    return candidates


def schedule_deliveries(delivery_ids: Iterable[int]) -> int:
    """Hand each delivery to a Celery task; returns how many were queued.

    A broker that cannot be reached is not an error here: the deliveries stay pending and the
    periodic sweep sends them. (In eager mode the task runs right here; its failures are recorded
    on the delivery row and must not break the caller either.)
    """
    from notifications.tasks import send_notification_delivery

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
        get_channel(delivery.channel).send(delivery)
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
def inbox(user, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nobody reads another person's inbox)."""
    queryset = Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
    if unread is True:
        queryset = queryset.filter(read_at__isnull=True)
    elif unread is False:
        queryset = queryset.filter(read_at__isnull=False)
    return queryset


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_mark_read(*, notification: Notification, user) -> Notification:
    """Mark one of the user's own notifications read (idempotent: the first read time stays)."""
    if notification.recipient_id != user.pk:
        raise Notification.DoesNotExist("Not this user's notification.")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
