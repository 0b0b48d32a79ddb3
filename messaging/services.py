"""Every change to messaging state: store an inbound message, queue a reply, deliver it (claimed,
retried, failed for good), record each provider's health, and the staff reply to a citizen's chat.

Webhook views, the flow, the outbox consumer, the API and the admin all call these.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict

from celery.exceptions import Retry
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import User
from complaints import policies, services
from complaints.models import Complaint, ComplaintEvent
from grievance.errors import ActionForbidden, Conflict
from messaging.channels import Button, InboundMessage, SendError, get_channel
from messaging.models import ChannelHealth, ComplaintConversation, Conversation, Message

logger = logging.getLogger(__name__)

# The sweep retries sends pending longer than this (queue lost, broker down) and takes back
# claims older than the lease (a worker died while sending).
PENDING_GRACE = dt.timedelta(minutes=1)
SENDING_LEASE = dt.timedelta(minutes=10)


class RetryLater(Exception):
    """A send failed and will be tried again (the task schedules it with backoff)."""


# --- inbound -------------------------------------------------------------------------------------
def inbound_store(*, inbound: InboundMessage) -> Message | None:
    """Store a verified inbound message and queue its processing after commit.

    Returns None when the provider's message id was seen before (a provider retry or a replay):
    nothing is stored or processed twice.
    """
    with transaction.atomic():
        conversation, _ = Conversation.objects.get_or_create(channel=inbound.channel, chat_id=inbound.chat_id)
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation,
                    channel=inbound.channel,
                    direction=Message.Direction.INBOUND,
                    body=inbound.text[:4000],
                    media_ref=inbound.media_ref[:200],
                    media_size=inbound.media_size,
                    latitude=inbound.latitude,
                    longitude=inbound.longitude,
                    provider_message_id=inbound.provider_message_id[:128],
                    payload=inbound.as_payload(),
                    status=Message.Status.RECEIVED,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            return None
        transaction.on_commit(lambda: _queue("process_inbound", message.pk))
    return message


def _queue(task_name: str, message_id: int) -> None:
    from messaging import tasks

    try:
        getattr(tasks, task_name).delay(message_id)
    except Retry:
        # Eager mode (no broker) cannot wait for a retry: the row stays pending for the sweep.
        logger.info("messaging: %s for message %s will be retried by the sweep", task_name, message_id)
    except (OperationalError, OSError):
        # Broker down: the row is committed; the sweep (deliver_pending_messages) picks it up.
        logger.warning("messaging: could not queue %s for message %s; the sweep will", task_name, message_id)


# --- outbound ------------------------------------------------------------------------------------
def message_send(
    *,
    conversation: Conversation,
    text: str,
    complaint: Complaint | None = None,
    complaint_event: ComplaintEvent | None = None,
    sent_by: User | None = None,
    buttons: list[Button] | None = None,
) -> Message:
    """Queue `text` to the conversation's chat; a task sends it after commit (with retries)."""
    message = Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        direction=Message.Direction.OUTBOUND,
        complaint=complaint,
        complaint_event=complaint_event,
        body=text,
        payload={"buttons": [asdict(b) for b in buttons or []]},
        status=Message.Status.PENDING,
        sent_by=sent_by,
        created_at=timezone.now(),
    )
    transaction.on_commit(lambda: _queue("send_message", message.pk))
    return message


def deliver(*, message_id: int) -> str:
    """Send one pending outbound message. The row is claimed first (pending -> sending), so a
    duplicated or retried task never sends twice. Returns "sent", "failed" or "skipped"; raises
    RetryLater when another attempt is due."""
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, direction=Message.Direction.OUTBOUND, status=Message.Status.PENDING
    ).update(status=Message.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return "skipped"
    message = Message.objects.select_related("conversation").get(pk=message_id)
    channel = get_channel(message.channel)
    buttons = [Button(**b) for b in (message.payload or {}).get("buttons", [])]
    try:
        if not channel.is_configured():
            raise SendError(f"{channel.label} is not configured")
        result = channel.send(chat_id=message.conversation.chat_id, text=message.body, buttons=buttons)
    except SendError as error:
        final = message.attempts >= settings.MESSAGING_SEND_MAX_ATTEMPTS
        Message.objects.filter(pk=message_id).update(
            status=Message.Status.FAILED if final else Message.Status.PENDING, last_error=str(error)[:1000]
        )
        health_record(channel=message.channel, error=str(error))
        logger.warning(
            "messaging: %s send %s failed (attempt %s): %s", message.channel, message_id, message.attempts, error
        )
        if final:
            return "failed"
        raise RetryLater(str(error)) from error
    try:
        Message.objects.filter(pk=message_id).update(
            status=Message.Status.SENT,
            sent_at=timezone.now(),
            provider_message_id=result.provider_message_id[:128],
            cost_units=result.cost_units,
            last_error="",
        )
    except IntegrityError:
        # The provider reused an id we hold: keep the message as sent, without the duplicate id.
        Message.objects.filter(pk=message_id).update(
            status=Message.Status.SENT, sent_at=timezone.now(), cost_units=result.cost_units, last_error=""
        )
    health_record(channel=message.channel)
    return "sent"


def deliver_pending(*, limit: int = 500, now: dt.datetime | None = None) -> dict[str, int]:
    """The sweep: re-queue outbound messages pending past the grace period (their task was lost)
    and take back those stuck in "sending" (the worker died), and process inbound messages the
    webhook stored but no task processed. Safe alongside the tasks: they claim rows."""
    now = now or timezone.now()
    stuck = Q(status=Message.Status.SENDING, last_attempt_at__lt=now - SENDING_LEASE)
    Message.objects.filter(stuck, direction=Message.Direction.OUTBOUND).update(status=Message.Status.PENDING)
    outbound = list(
        Message.objects.filter(
            direction=Message.Direction.OUTBOUND, status=Message.Status.PENDING, created_at__lt=now - PENDING_GRACE
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    inbound = list(
        Message.objects.filter(
            direction=Message.Direction.INBOUND, status=Message.Status.RECEIVED, created_at__lt=now - PENDING_GRACE
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in outbound:
        _queue("send_message", pk)
    for pk in inbound:
        _queue("process_inbound", pk)
    return {"outbound": len(outbound), "inbound": len(inbound)}


# --- provider health -----------------------------------------------------------------------------
def health_record(*, channel: str, error: str = "") -> None:
    """Count a send's outcome: a success resets the failure streak, a failure lengthens it."""
    ChannelHealth.objects.get_or_create(channel=channel)
    now = timezone.now()
    if error:
        ChannelHealth.objects.filter(channel=channel).update(
            last_failure_at=now, last_error=error[:1000], consecutive_failures=F("consecutive_failures") + 1
        )
    else:
        ChannelHealth.objects.filter(channel=channel).update(last_success_at=now, consecutive_failures=0)


# --- staff replies ---------------------------------------------------------------------------------
@transaction.atomic
def staff_reply(*, complaint: Complaint, author: User, body: str) -> Message:
    """A staff member answers the citizen in the chat the complaint was filed from. The reply is
    also recorded on the complaint as a public comment (never an internal note), in one transaction."""
    if not author.is_staff:
        raise ActionForbidden("Only staff reply to citizens' chats.")
    link = ComplaintConversation.objects.select_related("conversation").filter(complaint=complaint).first()
    if link is None:
        raise Conflict("This complaint was not filed over a messaging channel; reply with a comment instead.")
    policies.enforce(policies.may_comment(author, complaint, internal=False))
    comment = services.comment_add(complaint=complaint, author=author, body=body, is_internal=False)
    conversation = Conversation.objects.select_for_update().get(pk=link.conversation_id)
    if not conversation.state.get("step"):
        # The citizen's next plain message in this chat answers the reply (recorded as their comment).
        conversation.state = {"step": "reply", "complaint_id": complaint.pk}
        conversation.save(update_fields=["state", "updated_at"])
    from messaging import texts

    text = texts.render("staff_reply", conversation.language, reference=complaint.reference, body=comment.body)
    # Stamped with the comment's timeline event: the updates consumer, which relays staff comments
    # to the chat, then knows this one is already there.
    event = (
        ComplaintEvent.objects.filter(
            complaint=complaint, action=ComplaintEvent.Action.COMMENTED, changes__comment_id=comment.pk
        )
        .order_by("-id")
        .first()
    )
    return message_send(
        conversation=conversation, text=text, complaint=complaint, complaint_event=event, sent_by=author
    )


def messages_retry(*, message_ids: list[int]) -> int:
    """Queue failed outbound messages again with a fresh set of attempts (the admin's retry)."""
    ids = list(
        Message.objects.filter(
            pk__in=message_ids, direction=Message.Direction.OUTBOUND, status=Message.Status.FAILED
        ).values_list("pk", flat=True)
    )
    with transaction.atomic():
        Message.objects.filter(pk__in=ids, status=Message.Status.FAILED).update(
            status=Message.Status.PENDING, attempts=0
        )
        for pk in ids:
            transaction.on_commit(lambda pk=pk: _queue("send_message", pk))
    return len(ids)
