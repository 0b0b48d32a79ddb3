"""The complaint workflow as one table: action -> (statuses it applies to, next status, roles).

Services consult this table and nothing else to decide whether an action is allowed. The visibility
gate (`visible_to`) already limits *which* complaints a person can act on; this table limits *what*
they can do to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Role
from complaints.models import Status
from grievance.errors import ActionForbidden, TransitionNotAllowed

S = Status
# The system itself (the escalation sweep, auto-close) acts with actor=None.
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status does not change
    roles: frozenset[str]


def _t(sources, target, roles) -> Transition:
    return Transition(frozenset(sources), target, frozenset(roles))


STAFF_WORKERS = {Role.OFFICER, Role.MANAGER, Role.ADMIN}
TRIAGERS = {Role.DISPATCHER, Role.MANAGER, Role.ADMIN}

TRANSITIONS: dict[str, Transition] = {
    "triage": _t({S.NEW, S.TRIAGED}, S.TRIAGED, TRIAGERS),
    "assign": _t({S.TRIAGED, S.IN_PROGRESS, S.ESCALATED}, S.IN_PROGRESS, {Role.DISPATCHER, Role.MANAGER, Role.ADMIN}),
    "start": _t({S.TRIAGED, S.ESCALATED}, S.IN_PROGRESS, STAFF_WORKERS),
    "resolve": _t({S.IN_PROGRESS, S.ESCALATED}, S.RESOLVED, STAFF_WORKERS),
    "close": _t({S.RESOLVED}, S.CLOSED, {Role.CITIZEN, Role.ADMIN, SYSTEM}),
    "reopen": _t({S.RESOLVED}, S.IN_PROGRESS, {Role.CITIZEN, Role.ADMIN}),
    "reject": _t({S.NEW, S.TRIAGED}, S.REJECTED, TRIAGERS),
    "duplicate": _t({S.NEW, S.TRIAGED, S.IN_PROGRESS}, S.REJECTED, TRIAGERS),
    # A complaint routed at filing (status new, with a department) has an SLA clock too: if nobody
    # triages it in time, the sweep escalates it like any other.
    "escalate": _t({S.NEW, S.TRIAGED, S.IN_PROGRESS, S.ESCALATED}, S.ESCALATED, {Role.MANAGER, Role.ADMIN, SYSTEM}),
}


def role_of(actor) -> str:
    return SYSTEM if actor is None else actor.role


def allowed_actions(*, status: str, actor) -> list[str]:
    """Actions `actor` may take on a complaint in `status`, in table order."""
    role = role_of(actor)
    return [name for name, t in TRANSITIONS.items() if status in t.sources and role in t.roles]


def check_transition(*, action: str, status: str, actor) -> str:
    """Return the status after `action`.

    Raises ActionForbidden (403) when the role may never do it, TransitionNotAllowed (409, naming the
    current status and the allowed actions) when the complaint's status does not allow it now.
    """
    transition = TRANSITIONS[action]
    role = role_of(actor)
    if role not in transition.roles:
        raise ActionForbidden(
            f"A {role} cannot {action} a complaint.",
            extra={"status": status, "allowed_actions": allowed_actions(status=status, actor=actor)},
        )
    if status not in transition.sources:
        allowed = allowed_actions(status=status, actor=actor)
        raise TransitionNotAllowed(
            f"Cannot {action} a complaint that is {Status(status).label.lower()}. "
            f"Allowed now: {', '.join(allowed) if allowed else 'nothing'}.",
            extra={"status": status, "allowed_actions": allowed},
        )
    return transition.target or status
