"""The outbox consumer `messaging.updates`: a complaint's public events reach the citizen in the
chat they filed it from; and the engine's delivery filter that keeps those from going out twice.

Relayed: `selectors.PUBLIC_EVENT_ACTIONS` that are not internal (never notes or internal steps) and
not "created" (the chat already gave the reference), plus public comments written by staff (a staff
reply from the thread API or the admin is sent by `services.staff_reply` itself and stamped with its
event, so it is not sent again). Never the citizen's own actions. Idempotent per (event,
conversation): a unique constraint on the outbound message, so ids seen again or out of order send
nothing twice.

One message per update: the notification engine would also text the citizen (its SMS copy of the
same complaint notification). `skip_engine_copies`, registered as a delivery filter, drops that
copy when the complaint's updates go to the citizen's chat, so a citizen who filed over Telegram,
WhatsApp or SMS gets each update once, in that chat, and keeps the in-app inbox copy.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from complaints import selectors
from complaints.models import ComplaintEvent
from complaints.notifications import RULES, SUBJECT_TYPE
from messaging import texts
from messaging.models import ChannelName, ComplaintConversation, Conversation, Message
from messaging.services import message_send
from notifications.preferences import wants

logger = logging.getLogger(__name__)

Action = ComplaintEvent.Action

# What the chat tells the citizen about.
RELAYED_ACTIONS = frozenset(selectors.PUBLIC_EVENT_ACTIONS - {Action.CREATED} | {Action.COMMENTED})


def chat_carried_kinds() -> frozenset[str]:
    """Kinds of complaint notification the citizen already gets in the chat: each relayed event's
    kind, and the receipt of a new complaint (the chat gave the reference when filing)."""
    actions = RELAYED_ACTIONS | {Action.CREATED}
    return frozenset(str(RULES[action].kind.value) for action in RULES if action in actions)


def wants_updates(conversation: Conversation, *, citizen=None) -> bool:
    """Whether the conversation's citizen wants complaint updates in this chat: the chat's own
    switch (`updates off` / `updates on`) and their preference for the channel
    (`notifications.preferences.wants`: text messages for SMS, chat apps for Telegram and WhatsApp)."""
    citizen = citizen if citizen is not None else conversation.citizen
    if not conversation.updates_enabled or citizen is None:
        return False
    return wants(citizen, conversation.channel)


def update_text(event: ComplaintEvent, language: str) -> str:
    if event.action == Action.COMMENTED:
        return texts.render("staff_reply", language, reference=event.complaint.reference, body=event.note)
    note = selectors.public_note(event)
    text = texts.render(
        "update",
        language,
        reference=event.complaint.reference,
        status=texts.status_name(event.to_status or event.complaint.status, language),
        note=f" {note}" if note else "",
    )
    if event.action == Action.RESOLVE:
        text += "\n" + texts.render("ask_rating", language)
    return text


def send_updates(event_ids: list[int]) -> None:
    events = list(
        ComplaintEvent.objects.filter(
            pk__in=set(event_ids),
            is_internal=False,
            action__in=RELAYED_ACTIONS,
            complaint__filed_conversation__isnull=False,
        )
        .select_related("complaint")
        .order_by("created_at", "id")
    )
    if not events:
        return
    links = {
        link.complaint_id: link.conversation_id
        for link in ComplaintConversation.objects.filter(complaint_id__in={e.complaint_id for e in events})
    }
    done = set(
        Message.objects.filter(complaint_event_id__in=[e.pk for e in events]).values_list(
            "complaint_event_id", "conversation_id"
        )
    )
    for event in events:
        conversation_id = links.get(event.complaint_id)
        if conversation_id is None or (event.pk, conversation_id) in done:
            continue
        if event.actor_id is not None and event.actor_id == event.complaint.citizen_id:
            continue  # the citizen did it (e.g. rated or answered in this chat): nothing to tell them
        if event.action == Action.COMMENTED and event.actor_id is None:
            continue
        _send_one(event, conversation_id)


def _send_one(event: ComplaintEvent, conversation_id: int) -> None:
    try:
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(of=("self",))
                .select_related("citizen__notification_preference")
                .get(pk=conversation_id)
            )
            if conversation.citizen_id != event.complaint.citizen_id or not wants_updates(conversation):
                return
            message_send(
                conversation=conversation,
                text=update_text(event, conversation.language),
                complaint=event.complaint,
                complaint_event=event,
            )
            if not (conversation.state or {}).get("step"):
                step = {Action.RESOLVE: "rate", Action.COMMENTED: "reply"}.get(event.action)
                if step:
                    # A plain 1-5 in this chat now rates the resolution; plain text answers staff.
                    conversation.state = {"step": step, "complaint_id": event.complaint_id}
                    conversation.save(update_fields=["state", "updated_at"])
    except IntegrityError:
        logger.info("messaging.updates: event %s already sent to conversation %s", event.pk, conversation_id)


# --- the engine's delivery filter ---------------------------------------------------------------
def skip_engine_copies(candidates):
    """Drop the engine's SMS copy of a complaint notification the citizen gets in their chat.

    Concerns SMS copies of the kinds the chat carries, to the citizen of a complaint filed from a
    chat of theirs: dropped when updates go to that chat, and always when that chat is itself SMS
    (an `updates off` sent by text must not be answered by the engine's texts). One query, none
    when no candidate concerns a complaint.
    """
    carried = chat_carried_kinds()
    concerned = [
        delivery
        for delivery in candidates
        if delivery.channel == "sms"
        and delivery.notification.subject_type == SUBJECT_TYPE
        and delivery.notification.subject_id is not None
        and delivery.notification.kind in carried
    ]
    if not concerned:
        return []
    conversations = {
        link.complaint_id: link.conversation
        for link in ComplaintConversation.objects.filter(
            complaint_id__in={d.notification.subject_id for d in concerned}
        ).select_related("conversation")
    }
    dropped = []
    for delivery in concerned:
        notification = delivery.notification
        conversation = conversations.get(notification.subject_id)
        if conversation is None or conversation.citizen_id != notification.recipient_id:
            continue
        if conversation.channel == ChannelName.SMS or wants_updates(conversation, citizen=notification.recipient):
            dropped.append(delivery)
    return dropped
