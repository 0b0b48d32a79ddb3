"""Where complaint events meet the notification engine: who hears about what.

The engine (the `notifications` app) knows people, channels and deliveries; this module supplies
the complaint vocabulary: the kinds of notification complaints send (`NotificationKind`, registered
with their templates in `templates/complaints/notifications/` by `register_kinds`, called from
ComplaintsConfig.ready), and `RULES`, the whole policy in one table: timeline action -> kind and the
recipient rules (each rule picks people from the event). The actor never hears about their own
action, except for the citizen's receipt of a new complaint (the acknowledgement with the
reference). Citizens and staff get differently worded texts (`audience` in the template context),
each in their own language.

`notify_events(event_ids)` is the outbox consumer: it reads a batch of committed events and what the
rules need in a fixed number of queries, and hands every message to the engine in one call. Each
notification carries the dedupe key "complaint-event:<id>", so an event handed over twice (or out of
order) notifies once and queues its deliveries once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from complaints.models import ComplaintEvent, Escalation, EscalationRequest
from notifications.kinds import register_kind
from notifications.models import Notification
from notifications.services import Message, Subject, notify_many

logger = logging.getLogger(__name__)

SUBJECT_TYPE = "complaint"
TEMPLATE_DIR = "complaints/notifications"


class NotificationKind(models.TextChoices):
    """The notifications complaints (and their notices) send; texts in templates/complaints/notifications/."""

    COMPLAINT_CREATED = "complaint_created", _("Complaint received")
    COMPLAINT_TRIAGED = "complaint_triaged", _("Complaint triaged")
    COMPLAINT_ASSIGNED = "complaint_assigned", _("Complaint assigned")
    COMPLAINT_STARTED = "complaint_started", _("Work started")
    COMPLAINT_RESOLVED = "complaint_resolved", _("Complaint resolved")
    COMPLAINT_CLOSED = "complaint_closed", _("Complaint closed")
    COMPLAINT_REOPENED = "complaint_reopened", _("Complaint reopened")
    COMPLAINT_REJECTED = "complaint_rejected", _("Complaint rejected")
    COMPLAINT_DUPLICATE = "complaint_duplicate", _("Complaint marked as duplicate")
    COMPLAINT_ESCALATED = "complaint_escalated", _("Complaint escalated")
    COMMENT_ADDED = "comment_added", _("New comment")
    INTERNAL_NOTE_ADDED = "internal_note_added", _("New internal note")
    ESCALATION_REQUESTED = "escalation_requested", _("Escalation requested")
    ESCALATION_DECIDED = "escalation_decided", _("Escalation request decided")
    NOTICE = "notice", _("Notice")


def register_kinds() -> None:
    """Tell the engine about every kind complaints send and where its text lives."""
    for kind in NotificationKind:
        register_kind(kind.value, label=kind.label, template=f"{TEMPLATE_DIR}/{kind.value}")


def dedupe_key(event_id: int) -> str:
    return f"complaint-event:{event_id}"


CITIZEN_AUDIENCE = "citizen"
STAFF_AUDIENCE = "staff"


@dataclass
class EventFacts:
    """What the rules need to know about one event, read once."""

    event: ComplaintEvent
    escalation: Escalation | None = None
    escalation_request: EscalationRequest | None = None
    escalation_rule: object | None = None
    previous_assignee_id: int | None = None
    at_top: bool = False
    extra_staff: list[User] = field(default_factory=list)

    @property
    def complaint(self):
        return self.event.complaint

    @property
    def actor_is_citizen(self) -> bool:
        actor = self.event.actor
        return actor is not None and actor.role == Role.CITIZEN


Rule = Callable[[EventFacts], list[User | int | None]]


# --- recipient rules ---------------------------------------------------------------------------
def citizen(facts: EventFacts):
    return [facts.complaint.citizen]


def assignee(facts: EventFacts):
    return [facts.complaint.assignee]


def department_manager(facts: EventFacts):
    department = facts.complaint.department
    return [department.manager] if department is not None else []


def citizen_if_staff_wrote(facts: EventFacts):
    return [] if facts.actor_is_citizen else citizen(facts)


def assignee_if_citizen_wrote(facts: EventFacts):
    return assignee(facts) if facts.actor_is_citizen else []


# Escalations follow the receiving department's escalation rule for the new level.
def citizen_if_rule_says(facts: EventFacts):
    return citizen(facts) if getattr(facts.escalation_rule, "notify_citizen", True) else []


def new_manager_if_rule_says(facts: EventFacts):
    department = facts.escalation.to_department if facts.escalation else facts.complaint.department
    if department is None or not getattr(facts.escalation_rule, "notify_manager", True):
        return []
    return [department.manager]


def previous_assignee_if_rule_says(facts: EventFacts):
    if not getattr(facts.escalation_rule, "notify_assignee", True):
        return []
    return [facts.previous_assignee_id]


def executives_and_admins(facts: EventFacts):
    # Filled in by _read_facts: executives when the rule says so, admins when there is no higher
    # department to move to (somebody above the department has to know).
    return facts.extra_staff


# Escalation requests (complaints/escalation.py) name their request in the event's changes.
def request_target_manager(facts: EventFacts):
    request = facts.escalation_request
    department = request.target_department if request else None
    return [department.manager] if department is not None else []


def requester(facts: EventFacts):
    return [facts.escalation_request.requested_by_id] if facts.escalation_request else []


@dataclass(frozen=True)
class Notifies:
    kind: str
    recipients: tuple[Rule, ...]
    # A receipt: the citizen gets it even when they are the actor (the acknowledgement carrying the
    # reference, by SMS too). Every other notification skips the actor.
    receipt_for_citizen: bool = False


RULES: dict[str, Notifies] = {
    "created": Notifies(NotificationKind.COMPLAINT_CREATED, (citizen, department_manager), receipt_for_citizen=True),
    "triage": Notifies(NotificationKind.COMPLAINT_TRIAGED, (citizen, assignee)),
    "assign": Notifies(NotificationKind.COMPLAINT_ASSIGNED, (assignee, citizen)),
    "start": Notifies(NotificationKind.COMPLAINT_STARTED, (citizen,)),
    "resolve": Notifies(NotificationKind.COMPLAINT_RESOLVED, (citizen,)),
    "close": Notifies(NotificationKind.COMPLAINT_CLOSED, (department_manager, assignee)),
    "reopen": Notifies(NotificationKind.COMPLAINT_REOPENED, (department_manager, assignee)),
    "reject": Notifies(NotificationKind.COMPLAINT_REJECTED, (citizen,)),
    "duplicate": Notifies(NotificationKind.COMPLAINT_DUPLICATE, (citizen,)),
    "escalate": Notifies(
        NotificationKind.COMPLAINT_ESCALATED,
        (citizen_if_rule_says, new_manager_if_rule_says, previous_assignee_if_rule_says, executives_and_admins),
    ),
    "commented": Notifies(NotificationKind.COMMENT_ADDED, (citizen_if_staff_wrote, assignee_if_citizen_wrote)),
    # Internal notes never leave the staff: only the assignee hears (when someone else wrote it).
    "internal_note": Notifies(NotificationKind.INTERNAL_NOTE_ADDED, (assignee,)),
    # The manager who decides hears of a request; the requester hears of a rejection (an approval
    # is an "escalate" event, which tells the citizen and the people concerned).
    "escalation_requested": Notifies(NotificationKind.ESCALATION_REQUESTED, (request_target_manager,)),
    "escalation_request_rejected": Notifies(NotificationKind.ESCALATION_DECIDED, (requester,)),
    # "supported" and "attachment_added" notify nobody.
}


# --- reading events ------------------------------------------------------------------------------
def _load_events(event_ids: Iterable[int]) -> list[ComplaintEvent]:
    """The events that notify anybody, with everything the rules and texts read (one query)."""
    return list(
        ComplaintEvent.objects.select_related(
            "actor",
            "complaint__citizen",
            "complaint__assignee",
            "complaint__department__manager",
            "complaint__closure_reason",
            "complaint__duplicate_of",
            "complaint__feedback",
        )
        .filter(pk__in=list(event_ids), action__in=list(RULES))
        .order_by("id")
    )


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def reached_top(event: ComplaintEvent) -> bool:
    """Whether an escalation stayed in the top department (nobody above it). Escalate events record
    it as `changes["reached_top"]`; older rows did not, and moved the complaint exactly when they
    recorded a "department" change."""
    if "reached_top" in event.changes:
        return bool(event.changes["reached_top"])
    return "department" not in event.changes


def _escalation_level(event: ComplaintEvent) -> int:
    levels = event.changes.get("escalation_level") or [None, event.complaint.escalation_level]
    return _as_int(levels[1]) or event.complaint.escalation_level or 1


def _read_escalations(facts_list: list[EventFacts]) -> None:
    """Fill the escalation facts of every escalate event: escalation rows (with the receiving
    departments' policies), and executives/admins when some event needs them. At most four queries
    for any number of events."""
    if not facts_list:
        return
    complaint_ids = {facts.event.complaint_id for facts in facts_list}
    latest: dict[tuple[int, int], Escalation] = {}
    for escalation in (
        Escalation.objects.select_related("to_department__manager", "from_department")
        .prefetch_related("to_department__escalation_steps")
        .filter(complaint_id__in=complaint_ids)
        .order_by("created_at", "id")
    ):
        latest[(escalation.complaint_id, escalation.to_level)] = escalation  # the newest wins
    for facts in facts_list:
        facts.escalation = latest.get((facts.event.complaint_id, _escalation_level(facts.event)))
    # Events without an escalation row fall back to the complaint's department and its policy.
    fallback = [facts.complaint.department for facts in facts_list
                if facts.escalation is None and facts.complaint.department is not None]
    if fallback:
        prefetch_related_objects(fallback, "escalation_steps")
    needs_staff = False
    for facts in facts_list:
        event = facts.event
        level = _escalation_level(event)
        to_department = facts.escalation.to_department if facts.escalation else facts.complaint.department
        if to_department is not None:
            facts.escalation_rule = to_department.escalation_rule(max(level, 1))
        assignees = event.changes.get("assignee")
        if assignees:
            facts.previous_assignee_id = _as_int(assignees[0])
        facts.at_top = reached_top(event)
        needs_staff = needs_staff or facts.at_top or getattr(facts.escalation_rule, "notify_executives", False)
    if not needs_staff:
        return
    staff = list(User.objects.filter(role__in=[Role.EXECUTIVE, Role.ADMIN], is_active=True).only("pk", "role"))
    for facts in facts_list:
        # Executives when the rule says so; admins when there is no higher department to move to
        # (somebody above the department has to know).
        roles = set()
        if getattr(facts.escalation_rule, "notify_executives", False):
            roles.add(Role.EXECUTIVE)
        if facts.at_top:
            roles.add(Role.ADMIN)
        facts.extra_staff = [user for user in staff if user.role in roles]


def _read_escalation_requests(facts_list: list[EventFacts]) -> None:
    """Escalation-request events name their request in the changes; one query for all of them."""
    wanted = [(facts, _as_int(facts.event.changes.get("escalation_request_id"))) for facts in facts_list]
    ids = {pk for _facts, pk in wanted if pk is not None}
    if not ids:
        return
    requests = EscalationRequest.objects.select_related("target_department__manager").in_bulk(ids)
    for facts, pk in wanted:
        facts.escalation_request = requests.get(pk)


def _format_time(value) -> str:
    return timezone.localtime(value).strftime("%d %b %Y %H:%M") if value else ""


def _context(facts: EventFacts) -> dict:
    event, complaint = facts.event, facts.complaint
    context = {
        "reference": complaint.reference,
        "title": complaint.title,
        "department": str(complaint.department) if complaint.department else "",
        "priority": complaint.get_priority_display(),
        "status": complaint.get_status_display(),
        "note": event.note,
        "due": _format_time(complaint.sla_due_at),
        "reopen_days": settings.COMPLAINT_REOPEN_WINDOW_DAYS,
    }
    if event.action in ("commented", "internal_note"):
        context["comment"] = event.note if len(event.note) <= 300 else event.note[:299] + "…"
    if event.action == "reject" and complaint.closure_reason:
        context["closure_reason"] = str(complaint.closure_reason)
    if event.action == "duplicate" and complaint.duplicate_of:
        context["duplicate_of"] = complaint.duplicate_of.reference
    if event.action == "close":
        feedback = getattr(complaint, "feedback", None)
        context["rating"] = feedback.rating if feedback else None
    if facts.escalation_request is not None:
        request = facts.escalation_request
        context["reason"] = request.reason
        context["department"] = str(request.target_department or context["department"])
        context["requester_is_citizen"] = request.requested_by_id == facts.complaint.citizen_id
        context["approved"] = request.state == EscalationRequest.State.APPROVED
        context["note"] = request.decision_note or event.note
    if event.action == "escalate":
        escalation = facts.escalation
        levels = event.changes.get("escalation_level") or [None, complaint.escalation_level]
        context["level"] = levels[1]
        context["at_top"] = facts.at_top
        if escalation is not None:
            context["department"] = str(escalation.to_department or context["department"])
            context["from_department"] = str(escalation.from_department or "")
        due = event.changes.get("sla_due_at")
        if due and due[1]:
            context["due"] = _format_time(timezone.datetime.fromisoformat(due[1]))
    return context


def recipients_for(facts: EventFacts) -> list[int]:
    """Ids of the people to notify for this event, in rule order, without the actor or duplicates."""
    rules = RULES.get(facts.event.action)
    if rules is None:
        return []
    receipt_to = facts.complaint.citizen_id if rules.receipt_for_citizen else None
    ids: list[int] = []
    for rule in rules.recipients:
        for person in rule(facts):
            pk = person.pk if isinstance(person, User) else person
            if pk is None or pk in ids or (pk == facts.event.actor_id and pk != receipt_to):
                continue
            ids.append(pk)
    return ids


# --- the consumer ------------------------------------------------------------------------------
def event_messages(events: list[ComplaintEvent]) -> list[Message]:
    """The engine messages of `events` (at most two per event: the citizen's text, the staff's),
    after reading what the rules need for all of them at once."""
    facts_list = [EventFacts(event=event) for event in events]
    _read_escalations([facts for facts in facts_list if facts.event.action == "escalate"])
    _read_escalation_requests([facts for facts in facts_list if facts.event.action != "escalate"])
    messages = []
    for facts in facts_list:
        ids = recipients_for(facts)
        if not ids:
            continue
        event = facts.event
        citizen_id = event.complaint.citizen_id
        context = _context(facts)
        subject = Subject(type=SUBJECT_TYPE, id=event.complaint_id, reference=event.complaint.reference)
        for audience, group in (
            (CITIZEN_AUDIENCE, [pk for pk in ids if pk == citizen_id]),
            (STAFF_AUDIENCE, [pk for pk in ids if pk != citizen_id]),
        ):
            if group:
                messages.append(Message(recipients=group, kind=RULES[event.action].kind,
                                        context={**context, "audience": audience}, subject=subject,
                                        dedupe_key=dedupe_key(event.pk)))
    return messages


def event_notifications_create(event_ids: Iterable[int]) -> list[Notification]:
    """Write the notifications of committed events; returns those written now (repeats write none).

    A fixed number of queries whatever the number of events: the events (one joined query), the
    escalation facts (up to four), escalation requests (one), then the engine's fixed few.
    """
    ids = sorted({int(pk) for pk in event_ids})
    if not ids:
        return []
    return notify_many(event_messages(_load_events(ids)))


def notify_events(event_ids: list[int]) -> None:
    """The outbox consumer: notify the people concerned by these committed events.

    Idempotent (repeats and any order are fine: one notification per event and recipient). Raises
    on errors, so the outbox hands the batch over again.
    """
    event_notifications_create(event_ids)


def notify_event(*, event_id: int) -> list[Notification]:
    """The notifications written now for one event (what `notify_events` does for a batch of one)."""
    return event_notifications_create([event_id])


def event_recorded(*, event_id: int) -> None:
    """On-commit hook for one new ComplaintEvent, until the outbox dispatch replaces it.

    Runs after the complaint change committed, so it must never undo or fail it: errors are logged
    (the timeline still records the event, and the outbox sweep hands it over again) and swallowed.
    """
    try:
        notify_events([event_id])
    except Exception:
        logger.exception("Notifications for complaint event %s failed.", event_id)
