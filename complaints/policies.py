"""Who may do what to a complaint: one function per question.

Services enforce these (`enforce(verdict)` raises the verdict's error); the API's
`allowed_actions`, the citizen pages and the back office display them. So the button a page shows,
the action the API offers and the check the service makes are the same call. To change who may
reopen, edit `may_reopen`; nothing else spells that rule.

Each `may_*` returns a `Verdict`: truthy when allowed; when refused it carries the error the
service raises (403 ActionForbidden, 409 TransitionNotAllowed/Conflict, 400 ValidationError).
Visibility (which complaints a person can reach at all) is not decided here but by
`Complaint.objects.visible_to`; these rules assume the complaint is visible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import DEPARTMENT_ROLES, Role, User
from complaints.models import FINAL_STATUSES, INTAKE_SOURCE_CHOICES, Complaint, EscalationRequest, Status
from complaints.workflow import TRANSITIONS, check_transition, role_of
from grievance.errors import ActionForbidden, Conflict, DomainError, TransitionNotAllowed


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    error: DomainError | ValidationError | None = None

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def message(self) -> str:
        if self.error is None:
            return ""
        return getattr(self.error, "message", None) or "; ".join(self.error.messages)


ALLOW = Verdict(True)


def deny(error: DomainError | ValidationError) -> Verdict:
    return Verdict(False, error)


def enforce(verdict: Verdict) -> None:
    """Raise the refusal carried by `verdict`, if any (services call this)."""
    if not verdict:
        raise verdict.error


def _closed(status: str, message: str) -> Verdict:
    return deny(TransitionNotAllowed(message, extra={"status": status, "allowed_actions": []}))


# --- writing at all, filing ----------------------------------------------------------------------
# Roles that file complaints: citizens for themselves; staff (on the phone, at a counter) on a
# citizen's behalf; service accounts (AI intake, bots, SMS, Open311) too, but only under an intake source.
STAFF_FILING_ROLES = frozenset({Role.DISPATCHER, Role.OFFICER, Role.MANAGER, Role.ADMIN})
INTAKE_SOURCES = frozenset(value for value, _label in INTAKE_SOURCE_CHOICES)


def may_write(user: User | None) -> Verdict:
    """Executives see everything and change nothing (signing in is the views' business)."""
    role = getattr(user, "role", None)
    if role is None:
        return deny(ActionForbidden(gettext("Sign in to do this.")))
    if role == Role.EXECUTIVE:
        return deny(ActionForbidden(f"A {role} has read-only access."))
    return ALLOW


def may_file(user: User, *, for_citizen: User | None = None, source: str | None = None) -> Verdict:
    """May `user` file a complaint for `for_citizen` (None: not decided yet) under `source`
    (None: through the people's channels: pages, app, back office)?"""
    verdict = may_write(user)
    if not verdict:
        return verdict
    if for_citizen is not None and for_citizen.role != Role.CITIZEN:
        return deny(ValidationError({"citizen": "Complaints are filed for a citizen."}))
    if user.role == Role.CITIZEN:
        if for_citizen is not None and for_citizen.pk != user.pk:
            return deny(ActionForbidden(gettext("Citizens file complaints for themselves only.")))
        return ALLOW
    if user.role in STAFF_FILING_ROLES:
        return ALLOW
    if user.role == Role.SERVICE and source in INTAKE_SOURCES:
        return ALLOW
    return deny(ActionForbidden("Your role cannot file complaints here."))


def files_for_others(user: User) -> bool:
    """Staff and services name the citizen (by phone); a citizen files for themself."""
    return user.role != Role.CITIZEN


# --- workflow actions ---------------------------------------------------------------------------
def reopen_window() -> dt.timedelta:
    return dt.timedelta(days=settings.COMPLAINT_REOPEN_WINDOW_DAYS)


def reopen_deadline(complaint: Complaint) -> dt.datetime | None:
    """Until when a resolved complaint may be reopened (None: not resolved)."""
    return complaint.resolved_at + reopen_window() if complaint.resolved_at else None


def may_reopen(user: User | None, complaint: Complaint, *, now: dt.datetime | None = None) -> Verdict:
    """The citizen (or an admin) reopens a resolved complaint within the reopen window."""
    deadline = reopen_deadline(complaint)
    if complaint.status == Status.RESOLVED and deadline is not None and (now or timezone.now()) > deadline:
        return _closed(
            complaint.status,
            gettext("The reopen window of %(days)s days has passed; file a new complaint.")
            % {"days": settings.COMPLAINT_REOPEN_WINDOW_DAYS},
        )
    return _workflow_verdict(user, complaint, "reopen")


def _workflow_verdict(user: User | None, complaint: Complaint, action: str) -> Verdict:
    try:
        check_transition(action=action, status=complaint.status, actor=user)
    except DomainError as error:
        return deny(error)
    return ALLOW


def _action_verdict(user: User | None, complaint: Complaint, action: str, now: dt.datetime | None) -> Verdict:
    """The workflow table plus the rules the table cannot express."""
    if action == "reopen":
        return may_reopen(user, complaint, now=now)
    verdict = _workflow_verdict(user, complaint, action)
    if verdict and action in ("assign", "escalate") and complaint.department_id is None:
        return deny(
            TransitionNotAllowed(
                f"A complaint without a department cannot be {'assigned' if action == 'assign' else 'escalated'}; "
                "triage it first.",
                extra={"status": complaint.status, "allowed_actions": ["triage"]},
            )
        )
    return verdict


def may_act(user: User | None, complaint: Complaint, action: str, *, now: dt.datetime | None = None) -> Verdict:
    """May `user` take workflow `action` (a key of the workflow table) on `complaint` now?"""
    return _action_verdict(user, complaint, action, now)


# The complaint columns the workflow verdicts above read (status, owner, department, resolution
# time): a complaint loaded with only these gets the same `allowed_actions` (the API's detail row).
ACTION_FIELDS = ("id", "status", "citizen_id", "department_id", "resolved_at")


def allowed_actions(user: User | None, complaint: Complaint, *, now: dt.datetime | None = None) -> list[str]:
    """The workflow actions `user` may take on `complaint` now, in table order: what the API's
    `allowed_actions`, the pages' buttons and the admin's buttons show."""
    if user is not None and (not user.is_authenticated or not user.is_active):
        return []
    role = role_of(user)
    return [
        action
        for action, rule in TRANSITIONS.items()
        if complaint.status in rule.sources and role in rule.roles and _action_verdict(user, complaint, action, now)
    ]


def may_see_contact(user: User | None, citizen_id: int | None) -> bool:
    """The filer's name, phone and email on a complaint: staff, and the citizen themself."""
    return citizen_id is not None and user is not None and (user.is_staff or user.pk == citizen_id)


def may_see_metadata(user: User | None) -> bool:
    """A complaint's intake metadata (call ids, channel details): staff only."""
    return user is not None and user.is_staff


def may_close_with_feedback(user: User, complaint: Complaint) -> bool:
    """The owner confirms a resolved complaint with a rating (the page's close form)."""
    return user.role == Role.CITIZEN and complaint.citizen_id == user.pk and "close" in allowed_actions(user, complaint)


# --- conversation and participation -------------------------------------------------------------
def may_comment(user: User, complaint: Complaint, *, internal: bool = False) -> Verdict:
    """Citizens reply on their open or resolved complaints; staff reply and write internal notes."""
    verdict = may_write(user)
    if not verdict:
        return verdict
    if internal and not user.is_staff:
        return deny(ActionForbidden("Only staff can write internal notes."))
    if user.role == Role.CITIZEN and complaint.status in FINAL_STATUSES:
        return _closed(
            complaint.status, gettext("This complaint is closed; file a new complaint or reopen it while you can.")
        )
    return ALLOW


def comments_visible_to(user: User) -> dict:
    """Filter (for Comment querysets) of the comments `user` may read on a complaint they can see:
    internal notes are for staff only."""
    return {} if user.is_staff else {"is_internal": False}


def may_support(user: User, complaint: Complaint) -> Verdict:
    """A citizen says "me too" to an open complaint of someone else."""
    if user.role != Role.CITIZEN:
        return deny(ActionForbidden(gettext("Only citizens can support a complaint.")))
    if complaint.citizen_id == user.pk:
        return deny(Conflict(gettext("You filed this complaint; support is for complaints of others.")))
    if not complaint.is_open:
        return _closed(complaint.status, gettext("Only open complaints can be supported."))
    return ALLOW


def may_attach(user: User, complaint: Complaint) -> Verdict:
    verdict = may_write(user)
    if verdict and user.role == Role.CITIZEN and complaint.status in FINAL_STATUSES:
        return _closed(complaint.status, gettext("This complaint is closed; files can no longer be added."))
    return verdict


# --- escalation requests ------------------------------------------------------------------------
# A request makes sense while a department works the complaint; a new complaint waits for triage
# and an escalated one is already with the level above (the sweep keeps watching its new due time).
ESCALATION_REQUEST_STATUSES = frozenset({Status.TRIAGED, Status.IN_PROGRESS})


def may_request_escalation(user: User, complaint: Complaint, *, pending: bool | None = None) -> Verdict:
    """The citizen (own complaint) or an officer/manager of its department subtree asks for
    escalation of a complaint a department is working, below the top level, none pending.

    `pending`: whether a request is already waiting (read here when not given).
    """
    from departments.selectors import subtree_ids_for_user

    if user.role == Role.CITIZEN:
        if complaint.citizen_id != user.pk:
            return deny(ActionForbidden(gettext("Citizens can ask to escalate their own complaints only.")))
    elif user.role in DEPARTMENT_ROLES:
        if complaint.department_id is None or complaint.department_id not in subtree_ids_for_user(user):
            return deny(
                ActionForbidden("Only officers and managers of the complaint's department can ask to escalate it.")
            )
    else:
        return deny(
            ActionForbidden(
                f"A {user.role} cannot ask for escalation"
                + ("; escalate the complaint directly." if user.role == Role.ADMIN else ".")
            )
        )
    if complaint.status not in ESCALATION_REQUEST_STATUSES or complaint.department_id is None:
        return _closed(complaint.status, gettext("Only a complaint that a department is working on can be escalated."))
    target = complaint.department.escalation_target()
    if complaint.escalation_level >= target.max_escalation_level:
        return _closed(complaint.status, gettext("This complaint is already at the highest escalation level."))
    if pending is None:
        pending = EscalationRequest.objects.filter(complaint=complaint, state=EscalationRequest.State.PENDING).exists()
    if pending:
        return deny(Conflict(gettext("An escalation request for this complaint is already waiting for a decision.")))
    return ALLOW


def may_decide_escalation(user: User, escalation_request: EscalationRequest) -> Verdict:
    """The manager of the department the complaint would go to (its `manager`, or a manager whose
    subtree holds it), or an admin."""
    from departments.selectors import subtree_ids_for_user

    refusal = deny(ActionForbidden("Only the manager of the department the complaint would go to can decide."))
    if user.role == Role.ADMIN:
        return ALLOW
    if user.role != Role.MANAGER or escalation_request.target_department_id is None:
        return refusal
    if escalation_request.target_department.manager_id == user.pk:
        return ALLOW
    return ALLOW if escalation_request.target_department_id in subtree_ids_for_user(user) else refusal


# --- notices -------------------------------------------------------------------------------------
NOTICE_AUTHOR_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


def may_publish_notice(user: User, department) -> Verdict:
    """Managers write notices for their department and below; admins for any."""
    from departments.selectors import subtree_ids_for_user

    if user.role not in NOTICE_AUTHOR_ROLES:
        return deny(ActionForbidden("Only department managers and administrators publish notices."))
    if user.role == Role.MANAGER and (department is None or department.pk not in subtree_ids_for_user(user)):
        return deny(
            ActionForbidden("You can only publish notices for your department and the departments below it.")
        )
    return ALLOW
