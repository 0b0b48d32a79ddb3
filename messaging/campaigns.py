"""Broadcast campaigns: a notice (complaints.Notice) sent to its recipients over the chat channels.

Service functions (each a transaction; views, the admin and the tasks call them):
- `campaign_create` (draft, or scheduled when given a time), `campaign_schedule`, `campaign_start`,
  `campaign_cancel`: the managers of the notice's department (or of one above it) and admins, the
  same rule as publishing the notice (`complaints.policies.may_publish_notice`).
- `campaign_run(campaign_id)`: what the Celery task does. First it writes one `CampaignDelivery`
  per recipient of the notice (`complaints.notices.notice_recipients`), choosing for each the
  first of the campaign's channels that reaches them, or marking them skipped with the reason;
  then it sends the pending rows, each claimed first (pending -> sending), each provider held to
  its rate (`MESSAGING_CAMPAIGN_RATE_PER_SECOND`). A re-run (task retried, duplicated, resumed by
  the sweep) writes no second row for anybody and sends nothing twice: the unique (campaign,
  citizen) constraint and the claim see to that.
- `campaigns_start_due` / `campaigns_resume_stalled`: the minute sweep starts scheduled campaigns
  whose time came and re-queues running ones whose task was lost.

Who is reached where: Telegram and WhatsApp through the citizen's newest chat on that channel that
has updates on; SMS through their phone. Preferences are asked the one way
(`notifications.preferences.wants`). Over SMS the campaign skips citizens whom the notification
engine already texted this notice (when it was published): one message per person.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from complaints import policies
from complaints.models import Notice
from complaints.notices import notice_dedupe_key, notice_recipients
from grievance.errors import Conflict
from messaging import texts
from messaging.channels import SendError, get_channel
from messaging.models import Campaign, CampaignDelivery, ChannelName, Conversation
from messaging.services import health_record
from notifications.models import NotificationDelivery
from notifications.preferences import wants

logger = logging.getLogger(__name__)

State = Campaign.State
Status = CampaignDelivery.Status

BATCH_SIZE = 200
# A running campaign whose task made no progress for this long is handed to a new task by the sweep.
STALL_AFTER = dt.timedelta(minutes=5)


class CampaignIncomplete(Exception):
    """Some recipients are still pending after failed sends: the task retries the run later."""


# --- rate limiting --------------------------------------------------------------------------
def rate_for(channel: str) -> int:
    return int(settings.MESSAGING_CAMPAIGN_RATE_PER_SECOND.get(channel, 1))


def acquire(channel: str, *, clock=time.time, sleep=time.sleep) -> None:
    """Wait until `channel` may send one more campaign message this second.

    Counted in the shared cache, one counter per provider and wall-clock second (atomic
    `incr` on Redis), so all workers together stay at the provider's rate. A message over the
    rate waits for the next second.
    """
    rate = rate_for(channel)
    while True:
        now = clock()
        second = int(now)
        key = f"messaging:campaign-rate:{channel}:{second}"
        cache.add(key, 0, timeout=10)
        try:
            count = cache.incr(key)
        except ValueError:  # the counter expired between add and incr: count again
            continue
        if count <= rate:
            return
        sleep(max(second + 1 - now, 0.001))


# --- writing --------------------------------------------------------------------------------
def _clean_channels(channels: Iterable[str]) -> list[str]:
    names = [str(name) for name in channels or []]
    known = set(ChannelName.values)
    if not names:
        raise ValidationError({"channels": "Choose at least one channel."})
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValidationError({"channels": f"Unknown channel(s): {', '.join(unknown)}."})
    if len(set(names)) != len(names):
        raise ValidationError({"channels": "Name each channel once."})
    return names


def _future(scheduled_at: dt.datetime | None) -> dt.datetime:
    if scheduled_at is None:
        raise ValidationError({"scheduled_at": "Give the time the campaign starts."})
    if scheduled_at <= timezone.now():
        raise ValidationError({"scheduled_at": "The start time must be in the future."})
    return scheduled_at


def _ensure_may_manage(actor: User, notice: Notice) -> None:
    policies.enforce(policies.may_publish_notice(actor, notice.department))


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update(of=("self",)).select_related("notice__department").get(pk=campaign.pk)


@transaction.atomic
def campaign_create(
    *, actor: User, notice: Notice, channels: Iterable[str], scheduled_at: dt.datetime | None = None
) -> Campaign:
    """A campaign for `notice` over `channels` (in order of preference): a draft, or scheduled
    when `scheduled_at` is given."""
    _ensure_may_manage(actor, notice)
    names = _clean_channels(channels)
    campaign = Campaign(notice=notice, channels=names, created_by=actor)
    if scheduled_at is not None:
        campaign.scheduled_at = _future(scheduled_at)
        campaign.state = State.SCHEDULED
    campaign.save()
    return campaign


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, actor: User, scheduled_at: dt.datetime) -> Campaign:
    """Start a draft (or re-time a scheduled campaign) at `scheduled_at`; the sweep starts it."""
    locked = _locked(campaign)
    _ensure_may_manage(actor, locked.notice)
    if locked.state not in (State.DRAFT, State.SCHEDULED):
        raise Conflict(f"This campaign is {locked.get_state_display().lower()}; only drafts are scheduled.")
    locked.scheduled_at = _future(scheduled_at)
    locked.state = State.SCHEDULED
    locked.save(update_fields=["scheduled_at", "state"])
    return locked


@transaction.atomic
def campaign_start(*, campaign: Campaign, actor: User | None) -> Campaign:
    """Start a draft or scheduled campaign now; the sending task runs after commit. `actor` None:
    the sweep starting a scheduled campaign whose time came."""
    locked = _locked(campaign)
    if actor is not None:
        _ensure_may_manage(actor, locked.notice)
    if locked.state not in (State.DRAFT, State.SCHEDULED):
        raise Conflict(f"This campaign is {locked.get_state_display().lower()}; it starts once.")
    locked.state = State.RUNNING
    locked.started_at = locked.progress_at = timezone.now()
    locked.save(update_fields=["state", "started_at", "progress_at"])
    campaign_id = locked.pk
    transaction.on_commit(lambda: _queue_run(campaign_id))
    return locked


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor: User) -> Campaign:
    """Stop a campaign that is not done: nothing more is sent (a message being sent right now
    still completes); recipients not reached yet are marked skipped."""
    locked = _locked(campaign)
    _ensure_may_manage(actor, locked.notice)
    if locked.state in (State.CANCELLED, State.DONE):
        raise Conflict(f"This campaign is already {locked.get_state_display().lower()}.")
    locked.state = State.CANCELLED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["state", "finished_at"])
    skipped = CampaignDelivery.objects.filter(campaign=locked, status=Status.PENDING).update(
        status=Status.SKIPPED, reason="The campaign was cancelled."
    )
    if skipped:
        Campaign.objects.filter(pk=locked.pk).update(skipped_count=F("skipped_count") + skipped)
        locked.refresh_from_db()
    return locked


def _queue_run(campaign_id: int, *, countdown: int | None = None) -> None:
    from messaging.tasks import run_campaign

    try:
        run_campaign.apply_async(args=[campaign_id], countdown=countdown, retry_policy={"max_retries": 1})
    except Exception:
        # Broker down: the campaign stays running and the sweep resumes it once it has stalled.
        logger.warning("messaging: could not queue campaign %s; the sweep will resume it", campaign_id, exc_info=True)


# --- choosing each recipient's channel ----------------------------------------------------------
def _route_batch(campaign: Campaign, citizens: list[User]) -> list[CampaignDelivery]:
    """One unsaved delivery per citizen: the first channel that reaches them, or skipped. Three
    queries per batch, whatever its size (citizens with preferences, their chats, the engine's
    texts of this notice)."""
    ids = [citizen.pk for citizen in citizens]
    chats: dict[tuple[int, str], Conversation] = {}
    chat_channels = [name for name in campaign.channels if name != ChannelName.SMS]
    if chat_channels:
        for conversation in Conversation.objects.filter(
            citizen_id__in=ids, channel__in=chat_channels, updates_enabled=True
        ).order_by("updated_at", "id"):
            chats[(conversation.citizen_id, conversation.channel)] = conversation  # the newest wins
    texted: set[int] = set()
    if ChannelName.SMS in campaign.channels:
        texted = set(
            NotificationDelivery.objects.filter(
                notification__dedupe_key=notice_dedupe_key(campaign.notice_id),
                notification__recipient_id__in=ids,
                channel="sms",
            )
            .exclude(status=NotificationDelivery.Status.FAILED)
            .values_list("notification__recipient_id", flat=True)
        )
    deliveries = []
    for citizen in citizens:
        delivery = CampaignDelivery(campaign=campaign, citizen=citizen, status=Status.SKIPPED)
        reasons = []
        for name in campaign.channels:
            if not wants(citizen, name):
                reasons.append(f"{name}: switched off")
                continue
            if name == ChannelName.SMS:
                if citizen.pk in texted:
                    reasons.append("sms: already texted this notice")
                    continue
                if not citizen.phone:
                    reasons.append("sms: no phone")
                    continue
                delivery.channel, delivery.chat_id = name, citizen.phone
            else:
                conversation = chats.get((citizen.pk, name))
                if conversation is None:
                    reasons.append(f"{name}: no chat")
                    continue
                delivery.channel, delivery.chat_id = name, conversation.chat_id
            delivery.status = Status.PENDING
            break
        if delivery.status == Status.SKIPPED:
            delivery.reason = "; ".join(reasons)[:200]
        deliveries.append(delivery)
    return deliveries


def _write_recipients(campaign: Campaign) -> None:
    """A delivery row for every recipient of the notice who has none yet (batches of users)."""
    recipients = notice_recipients(campaign.notice).select_related("notification_preference")
    last_pk = 0
    while True:
        citizens = list(recipients.filter(pk__gt=last_pk)[:BATCH_SIZE])
        if not citizens:
            break
        last_pk = citizens[-1].pk
        have = set(
            CampaignDelivery.objects.filter(campaign=campaign, citizen_id__in=[c.pk for c in citizens]).values_list(
                "citizen_id", flat=True
            )
        )
        new = [citizen for citizen in citizens if citizen.pk not in have]
        if not new:
            continue
        with transaction.atomic():
            rows = _route_batch(campaign, new)
            CampaignDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    counts = {
        "recipients_count": CampaignDelivery.objects.filter(campaign=campaign).count(),
        "skipped_count": CampaignDelivery.objects.filter(campaign=campaign, status=Status.SKIPPED).count(),
    }
    Campaign.objects.filter(pk=campaign.pk).update(**counts, progress_at=timezone.now())


# --- sending ------------------------------------------------------------------------------------
def _text(campaign: Campaign, citizen: User) -> str:
    notice = campaign.notice
    return texts.render(
        "notice",
        getattr(citizen, "preferred_language", ""),
        department=str(notice.department),
        title=notice.title,
        body=notice.body,
    )


def _still_running(campaign_id: int) -> bool:
    return Campaign.objects.filter(pk=campaign_id, state=State.RUNNING).exists()


def _send_one(campaign: Campaign, delivery_id: int) -> str:
    """Claim one pending delivery and send it; returns its status afterwards ("skipped" when
    another run had it)."""
    now = timezone.now()
    claimed = CampaignDelivery.objects.filter(pk=delivery_id, status=Status.PENDING).update(
        status=Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
    )
    if not claimed:
        return "skipped"
    delivery = CampaignDelivery.objects.select_related("citizen").get(pk=delivery_id)
    channel = get_channel(delivery.channel)
    acquire(delivery.channel)
    try:
        if not channel.is_configured():
            raise SendError(f"{channel.label} is not configured")
        result = channel.send(chat_id=delivery.chat_id, text=_text(campaign, delivery.citizen))
    except SendError as error:
        final = delivery.attempts >= settings.MESSAGING_SEND_MAX_ATTEMPTS
        CampaignDelivery.objects.filter(pk=delivery_id).update(
            status=Status.FAILED if final else Status.PENDING, last_error=str(error)[:1000]
        )
        if final:
            Campaign.objects.filter(pk=campaign.pk).update(failed_count=F("failed_count") + 1)
        health_record(channel=delivery.channel, error=str(error))
        return Status.FAILED if final else Status.PENDING
    CampaignDelivery.objects.filter(pk=delivery_id).update(
        status=Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=result.provider_message_id[:128],
        cost_units=result.cost_units,
        last_error="",
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        sent_count=F("sent_count") + 1, cost_units=F("cost_units") + result.cost_units, progress_at=timezone.now()
    )
    health_record(channel=delivery.channel)
    return Status.SENT


def campaign_run(*, campaign_id: int) -> str:
    """Write the recipients and send to every pending one; returns the campaign's state after.

    Raises CampaignIncomplete when sends failed and will be tried again (the task retries).
    Stops between messages as soon as the campaign is cancelled.
    """
    campaign = Campaign.objects.select_related("notice__department").get(pk=campaign_id)
    if campaign.state != State.RUNNING:
        return campaign.state
    _write_recipients(campaign)
    retry = False
    last_pk = 0
    while True:
        batch = list(
            CampaignDelivery.objects.filter(campaign=campaign, status=Status.PENDING, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not batch:
            break
        last_pk = batch[-1]
        for delivery_id in batch:
            if not _still_running(campaign_id):
                return Campaign.objects.get(pk=campaign_id).state
            retry = _send_one(campaign, delivery_id) == Status.PENDING or retry
    if retry:
        raise CampaignIncomplete(f"Campaign {campaign_id} has recipients to try again.")
    Campaign.objects.filter(pk=campaign_id, state=State.RUNNING).update(
        state=State.DONE, finished_at=timezone.now(), progress_at=timezone.now()
    )
    return Campaign.objects.get(pk=campaign_id).state


# --- the sweep ----------------------------------------------------------------------------------
def campaigns_start_due(*, now: dt.datetime | None = None) -> int:
    """Start scheduled campaigns whose time came; returns how many."""
    now = now or timezone.now()
    started = 0
    for campaign in Campaign.objects.filter(state=State.SCHEDULED, scheduled_at__lte=now).order_by("scheduled_at"):
        try:
            campaign_start(campaign=campaign, actor=None)
        except Conflict:
            continue  # cancelled or started meanwhile
        started += 1
    return started


def campaigns_resume_stalled(*, now: dt.datetime | None = None) -> int:
    """Hand running campaigns whose task stopped making progress (lost, worker killed) to a new task."""
    now = now or timezone.now()
    stalled = list(
        Campaign.objects.filter(state=State.RUNNING, progress_at__lt=now - STALL_AFTER).values_list("pk", flat=True)
    )
    for campaign_id in stalled:
        # Stale claims of a killed worker go back to pending (a send that really went out in that
        # instant is the one case a provider may see twice; the lease is long for that reason).
        CampaignDelivery.objects.filter(
            campaign_id=campaign_id, status=Status.SENDING, last_attempt_at__lt=now - STALL_AFTER
        ).update(status=Status.PENDING)
        Campaign.objects.filter(pk=campaign_id).update(progress_at=now)
        _queue_run(campaign_id)
    return len(stalled)
