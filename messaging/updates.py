"""The outbox consumer `messaging.updates`: a complaint's public events reach the citizen in the
chat they filed it from.

Only `selectors.PUBLIC_EVENT_ACTIONS` that are not internal (never notes, comments or internal
steps), never the citizen's own actions, and not "created" (the chat already gave the reference).
Idempotent per (event, conversation): a unique constraint on the outbound message, so ids seen
again or out of order send nothing twice.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from complaints import selectors
from complaints.models import ComplaintEvent
from messaging import texts
from messaging.models import ComplaintConversation, Conversation, Message
from messaging.preferences import wants_updates
from messaging.services import message_send

logger = logging.getLogger(__name__)

Action = ComplaintEvent.Action


def update_text(event: ComplaintEvent, language: str) -> str:
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
            action__in=selectors.PUBLIC_EVENT_ACTIONS,
            complaint__filed_conversation__isnull=False,
        )
        .exclude(action=Action.CREATED)
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
            continue  # the citizen did it (e.g. rated in this chat): nothing to tell them
        _send_one(event, conversation_id)


def _send_one(event: ComplaintEvent, conversation_id: int) -> None:
    try:
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(of=("self",)).select_related("citizen").get(pk=conversation_id)
            )
            if conversation.citizen_id != event.complaint.citizen_id or not wants_updates(conversation):
                return
            message_send(
                conversation=conversation,
                text=update_text(event, conversation.language),
                complaint=event.complaint,
                complaint_event=event,
            )
            if event.action == Action.RESOLVE and not (conversation.state or {}).get("step"):
                # A plain 1-5 in this chat now rates the resolution.
                conversation.state = {"step": "rate", "complaint_id": event.complaint_id}
                conversation.save(update_fields=["state", "updated_at"])
    except IntegrityError:
        logger.info("messaging.updates: event %s already sent to conversation %s", event.pk, conversation_id)
