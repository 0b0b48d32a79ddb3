"""Where complaint events meet notifications: who hears about what.

Services call `event_recorded` after their transaction commits, once per timeline event. `RULES`
is the whole policy in one table: timeline action -> notification kind and the recipient rules
(each rule picks people from the event). The actor never hears about their own action, except for
the citizen's receipt of a new complaint (the acknowledgement with the reference). Citizens and
staff get differently worded texts (`audience` in the template context), each in their own
language. A handful of queries per event, whatever the event: the event with its complaint, people
and departments (one joined query), plus one or two for escalations, plus `notify`'s fixed few.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from accounts.models import NotificationKind, Role, User
from accounts.notifications import notify
from complaints.models import ComplaintEvent, Escalation, EscalationRequest

logger = logging.getLogger(__name__)

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


# --- reading an event --------------------------------------------------------------------------
def _load_event(event_id: int) -> ComplaintEvent | None:
    return (
        ComplaintEvent.objects.select_related(
            "actor",
            "complaint__citizen",
            "complaint__assignee",
            "complaint__department__manager",
            "complaint__closure_reason",
            "complaint__duplicate_of",
            "complaint__feedback",
        )
        .filter(pk=event_id)
        .first()
    )


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _read_escalation(facts: EventFacts) -> None:
    event, complaint = facts.event, facts.complaint
    levels = event.changes.get("escalation_level") or [None, complaint.escalation_level]
    level = _as_int(levels[1]) or complaint.escalation_level or 1
    facts.escalation = (
        Escalation.objects.select_related("to_department__manager", "from_department")
        .filter(complaint=complaint, to_level=level)
        .order_by("-created_at", "-id")
        .first()
    )
    to_department = facts.escalation.to_department if facts.escalation else complaint.department
    if to_department is not None:
        facts.escalation_rule = to_department.escalation_rule(max(level, 1))
    assignees = event.changes.get("assignee")
    if assignees:
        facts.previous_assignee_id = _as_int(assignees[0])
    # complaint_escalate records "department" only when the complaint moved; at the top it stays.
    facts.at_top = "department" not in event.changes
    roles = []
    if getattr(facts.escalation_rule, "notify_executives", False):
        roles.append(Role.EXECUTIVE)
    if facts.at_top:
        roles.append(Role.ADMIN)
    if roles:
        facts.extra_staff = list(User.objects.filter(role__in=roles, is_active=True).only("pk", "role"))


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


# --- the hook ----------------------------------------------------------------------------------
def event_recorded(*, event_id: int) -> None:
    """Hook called on commit for each new ComplaintEvent: notify the people concerned.

    Runs after the complaint change committed, so it must never undo or fail it: errors are logged
    (the timeline still records the event) and swallowed.
    """
    try:
        notify_event(event_id=event_id)
    except Exception:
        logger.exception("Notifications for complaint event %s failed.", event_id)


def notify_event(*, event_id: int) -> list:
    """Create the notifications for one event (what `event_recorded` does, raising on errors)."""
    event = _load_event(event_id)
    if event is None or event.action not in RULES:
        return []
    facts = EventFacts(event=event)
    if event.action == "escalate":
        _read_escalation(facts)
    request_id = _as_int(event.changes.get("escalation_request_id"))
    if request_id is not None and event.action != "escalate":
        facts.escalation_request = (
            EscalationRequest.objects.select_related("target_department__manager").filter(pk=request_id).first()
        )
    ids = recipients_for(facts)
    if not ids:
        return []
    citizen_id = event.complaint.citizen_id
    context = _context(facts)
    created = []
    kind = RULES[event.action].kind
    # Citizens and staff read differently worded texts; at most two notify() calls per event.
    for audience, group in (
        (CITIZEN_AUDIENCE, [pk for pk in ids if pk == citizen_id]),
        (STAFF_AUDIENCE, [pk for pk in ids if pk != citizen_id]),
    ):
        if group:
            created += notify(
                recipients=[User(pk=pk) for pk in group],
                kind=kind,
                context={**context, "audience": audience},
                complaint_id=event.complaint_id,
                complaint_reference=event.complaint.reference,
            )
    return created


def notify_events(event_ids: list[int]) -> None:
    """Outbox consumer: the notifications of each committed event (interim per-event form; the
    notifications rework makes it one batch and idempotent)."""
    for event_id in event_ids:
        event_recorded(event_id=event_id)
