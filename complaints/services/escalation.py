"""Escalation, all of it: moving a complaint up a level, and escalation requests.

A complaint escalates to its department's `escalation_target()` (the parent department; at the top
of the tree it stays and the department's manager becomes the assignee), one level up, with a new
due time from the receiving department's escalation policy. The SLA sweep
(`complaints.services.sweeps`), a manager's manual escalation and an approved request all call
`complaint_escalate`, so they share every rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from accounts.models import User
from complaints import policies
from complaints.models import Complaint, Escalation, EscalationRequest
from complaints.services.core import Action, lock, record_event, require_text, transition
from departments.models import Department
from grievance.errors import Conflict, TransitionNotAllowed


@transaction.atomic
def complaint_escalate(
    *,
    complaint: Complaint | int,
    actor: User | None,
    reason: str,
    kind: str = Escalation.Kind.MANUAL,
    now: dt.datetime | None = None,
    departments: Mapping[int, Department] | None = None,
) -> Complaint:
    """Raise the complaint one level: to `department.escalation_target()`, with a new due time
    (counted from `now`) from that department's escalation policy.

    A complaint already at the highest level of that policy is not escalated further (409): there is
    nobody above to tell, and its manager already holds it.
    The SLA sweep calls this with actor=None and kind=automatic; an approved request with kind=request.
    `departments` ({id: department} with parent, manager and escalation steps loaded) lets a caller
    that escalates many complaints read the tree once instead of once per complaint.
    The `escalate` event records `reached_top` (the complaint stayed in a department with no parent).
    """
    reason = require_text(reason, "reason", "Say why the complaint is escalated.")
    if departments is None:
        # One query for the row and everything escalation reads.
        current = lock(complaint, related=("department__parent__manager", "department__manager", "assignee"))
    else:
        current = lock(complaint)
        if current.department_id is not None:
            current.department = departments[current.department_id]
    policies.enforce(policies.may_act(actor, current, Action.ESCALATE))
    from_department = current.department
    to_department = from_department.escalation_target(departments)
    if departments is None:
        prefetch_related_objects([to_department], "escalation_steps")  # the policy, read once below
    level = current.escalation_level + 1
    if level > to_department.max_escalation_level:
        raise TransitionNotAllowed(
            f"This complaint is already at the highest escalation level ({current.escalation_level}) "
            f"of {to_department}'s policy.",
            extra={"status": current.status, "allowed_actions": []},
        )
    due = (now or timezone.now()) + dt.timedelta(hours=to_department.escalation_hours(level))
    complaint, _ = transition(
        complaint=current,
        actor=actor,
        action=Action.ESCALATE,
        note=reason,
        values={
            "department": to_department,
            "assignee": to_department.manager,
            "escalation_level": level,
            "sla_due_at": due,
        },
        already_locked=True,
        extra_changes={"reached_top": to_department.pk == from_department.pk},
    )
    Escalation.objects.create(
        complaint=complaint,
        kind=kind,
        from_level=level - 1,
        to_level=level,
        from_department=from_department,
        to_department=to_department,
        actor=actor,
        reason=reason,
    )
    return complaint


# --- escalation requests ---------------------------------------------------------------------
def _lock_with_department(pk: int) -> Complaint:
    return lock(pk, related=("department__parent",))


@transaction.atomic
def escalation_request_create(*, complaint: Complaint, requested_by: User, reason: str) -> EscalationRequest:
    """A citizen (for their own complaint) or an officer/manager of the complaint's department subtree
    asks for escalation (`policies.may_request_escalation`). The manager of the department it would go
    to decides. One pending request per complaint (409 for a second)."""
    reason = require_text(reason, "reason", "Say why the complaint should be escalated.")
    current = _lock_with_department(complaint.pk)
    policies.enforce(policies.may_request_escalation(requested_by, current))
    target = current.department.escalation_target()
    try:
        with transaction.atomic():
            request = EscalationRequest.objects.create(
                complaint=current, requested_by=requested_by, reason=reason, target_department=target
            )
    except IntegrityError:
        # Another request was filed in the same instant; the partial unique constraint kept one.
        raise Conflict("An escalation request for this complaint is already waiting for a decision.") from None
    record_event(
        complaint=current,
        actor=requested_by,
        action=Action.ESCALATION_REQUESTED,
        note=reason,
        changes={"escalation_request_id": request.pk, "target_department": target.code},
    )
    return request


def _lock_for_decision(*, escalation_request: EscalationRequest, actor: User) -> EscalationRequest:
    """Lock the request, check the actor may decide (403) and that it is still pending (409)."""
    locked = (
        EscalationRequest.objects.select_for_update(of=("self",))
        .select_related("target_department", "complaint")
        .get(pk=escalation_request.pk)
    )
    policies.enforce(policies.may_decide_escalation(actor, locked))
    if locked.state != EscalationRequest.State.PENDING:
        raise Conflict(f"This escalation request has already been {locked.get_state_display().lower()}.")
    return locked


@transaction.atomic
def escalation_request_approve(
    *, escalation_request: EscalationRequest, actor: User, note: str = ""
) -> EscalationRequest:
    """The target department's manager (or an admin) approves: the complaint escalates one level
    through `complaint_escalate` (kind request), exactly as the sweep would move it."""
    locked = _lock_for_decision(escalation_request=escalation_request, actor=actor)
    complaint = _lock_with_department(locked.complaint_id)
    if complaint.department_id is None or complaint.department.escalation_target().pk != locked.target_department_id:
        raise Conflict("The complaint has moved since the request was made; reject this request and ask again.")
    note = (note or "").strip()
    complaint_escalate(
        complaint=complaint,
        actor=actor,
        reason=f"Escalation request approved: {locked.reason}" + (f"\n{note}" if note else ""),
        kind=Escalation.Kind.REQUEST,
    )
    locked.state = EscalationRequest.State.APPROVED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return locked


@transaction.atomic
def escalation_request_reject(*, escalation_request: EscalationRequest, actor: User, note: str) -> EscalationRequest:
    """The target department's manager (or an admin) turns the request down, saying why (required)."""
    locked = _lock_for_decision(escalation_request=escalation_request, actor=actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say why the escalation request is rejected."})
    locked.state = EscalationRequest.State.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    record_event(
        complaint=locked.complaint,
        actor=actor,
        action=Action.ESCALATION_REQUEST_REJECTED,
        note=note,
        changes={"escalation_request_id": locked.pk},
    )
    return locked
