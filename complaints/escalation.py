"""Escalation: the SLA sweep, the auto-close of resolved complaints, and escalation requests.

The rule
--------
Every open complaint with a department whose `sla_due_at` has passed escalates exactly one level per
sweep, through `complaints.services.complaint_escalate` (kind automatic, actor None): to the parent
department, or, at the top of the tree, it stays and its manager becomes the assignee. The new due
time comes from the receiving department's escalation policy, so the next sweep leaves it alone
until that time passes too.

A complaint that has reached the highest level of the receiving department's policy
(`department.max_escalation_level`, 3 by default) is left alone: it stays overdue (the "overdue"
filter and the dashboards show it) with the top manager holding it. It is not re-escalated and
nobody is re-alerted on every sweep; the policy's last level is where the chain ends. Such rows are
excluded in SQL, so they cost nothing per sweep.

Safety: candidate ids are read in batches ordered by id (keyset pagination: flat memory, and each
complaint is visited at most once per sweep, so a sweep never loops). Each small chunk of a batch is
claimed in its own transaction with `SELECT ... FOR UPDATE SKIP LOCKED` that re-checks the overdue
condition under the lock: two sweeps running at once never escalate the same complaint twice, and a
complaint escalated a moment ago (new due time in the future) is not claimed again. Each complaint is
escalated in a savepoint, so one bad row is logged and counted without undoing the others.

Notifications are not sent here: every escalation writes a ComplaintEvent, and
`complaints.notifications` turns events into notifications after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from complaints import services
from complaints.models import OPEN_STATUSES, Complaint, Escalation, EscalationRequest, Status
from complaints.querysets import ALL_SEEING_ROLES
from departments.models import Department
from departments.selectors import department_subtree_ids, departments_with_policy, subtree_ids_for_user
from grievance.errors import ActionForbidden, Conflict, TransitionNotAllowed

logger = logging.getLogger(__name__)

# Rows claimed (and committed) together. Small, so a complaint an officer is editing waits at most a
# moment, and a crash loses at most this many escalations (the next sweep picks them up).
CLAIM_CHUNK = 50
AUTOMATIC_REASON = "The complaint was not resolved by its due time."


# --- the sweep -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedEscalation:
    """One line of a dry run: what would change."""

    reference: str
    from_department: str
    to_department: str
    level: int


@dataclass
class SweepResult:
    escalated: int = 0
    # Of those escalated, how many were already at the top of the tree (stayed, manager assigned).
    at_top: int = 0
    # Claimed by another sweep at the same moment, or no longer overdue once locked.
    skipped: int = 0
    errors: int = 0
    # Overdue but at the policy's highest level: left alone (see the module docstring).
    at_max_level: int = 0
    # Candidates found when the sweep started (capped by `limit`).
    total: int = 0
    planned: list[PlannedEscalation] = field(default_factory=list)


def _escalation_limits() -> tuple[Q, dict[int, int]]:
    """A filter keeping complaints below the highest level of the policy they would escalate into,
    and {department id: id of the department it escalates to}. Two queries for the whole tree."""
    departments = {d.pk: d for d in departments_with_policy()}
    target_of: dict[int, int] = {}
    by_limit: dict[int, list[int]] = defaultdict(list)
    for department in departments.values():
        target = departments.get(department.parent_id, department)
        target_of[department.pk] = target.pk
        by_limit[target.max_escalation_level].append(department.pk)
    below_max = Q(pk__in=[])
    for limit, ids in by_limit.items():
        below_max |= Q(department_id__in=ids, escalation_level__lt=limit)
    return below_max, target_of


def _overdue(now: dt.datetime) -> QuerySet[Complaint]:
    return Complaint.objects.filter(status__in=OPEN_STATUSES, department__isnull=False, sla_due_at__lt=now)


def escalate_overdue(
    *,
    now: dt.datetime | None = None,
    limit: int | None = None,
    batch_size: int = 500,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Escalate every overdue open complaint one level (see the module docstring for the rule).

    `limit` caps how many overdue complaints this run handles (the rest wait for the next run);
    `dry_run` changes nothing and fills `planned`; `progress(done, total)` is called after each batch.
    Safe to run concurrently and repeatedly.
    """
    now = now or timezone.now()
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    below_max, target_of = _escalation_limits()
    # The tree with managers and policies, read once and shared by every escalation of this sweep.
    departments = {d.pk: d for d in departments_with_policy().select_related("manager")}
    candidates = _overdue(now).filter(below_max)
    result = SweepResult()
    total = candidates.count()
    result.total = min(total, limit) if limit is not None else total
    result.at_max_level = _overdue(now).exclude(below_max).count()
    done = 0
    last_id = 0
    while done < result.total:
        size = min(batch_size, result.total - done)
        if dry_run:
            rows = list(
                candidates.filter(pk__gt=last_id)
                .order_by("pk")
                .values_list("pk", "reference", "department_id", "department__name", "escalation_level")[:size]
            )
            if not rows:
                break
            last_id = rows[-1][0]
            _plan(rows, target_of, result)
            done += len(rows)
        else:
            ids = list(candidates.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:size])
            if not ids:
                break
            last_id = ids[-1]
            for start in range(0, len(ids), CLAIM_CHUNK):
                _escalate_chunk(
                    ids[start : start + CLAIM_CHUNK],
                    now=now,
                    below_max=below_max,
                    result=result,
                    departments=departments,
                )
            done += len(ids)
        if progress is not None:
            progress(done, result.total)
    return result


def _plan(rows: list[tuple], target_of: dict[int, int], result: SweepResult) -> None:
    from departments.models import Department

    names = dict(Department.objects.filter(pk__in={target_of[row[2]] for row in rows}).values_list("pk", "name"))
    for _pk, reference, department_id, department_name, level in rows:
        result.planned.append(
            PlannedEscalation(
                reference=reference,
                from_department=department_name,
                to_department=names[target_of[department_id]],
                level=level + 1,
            )
        )


def _escalate_chunk(
    ids: list[int], *, now: dt.datetime, below_max: Q, result: SweepResult, departments: dict[int, Department]
) -> None:
    try:
        with transaction.atomic():
            # Claim: rows another sweep holds are skipped, and the overdue test is re-run on the
            # locked row, so what another sweep has just escalated is not escalated again.
            claimed = list(
                _overdue(now)
                .filter(below_max, pk__in=ids)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", "department_id", "department__parent_id")
            )
            result.skipped += len(ids) - len(claimed)
            for pk, _department_id, parent_id in claimed:
                try:
                    # complaint_escalate is atomic: nested here it runs in a savepoint, so a failure
                    # undoes this complaint only.
                    services.complaint_escalate(
                        complaint=pk,
                        actor=None,
                        reason=AUTOMATIC_REASON,
                        kind=Escalation.Kind.AUTOMATIC,
                        now=now,
                        departments=departments,
                    )
                except Exception:
                    logger.exception("escalation sweep: complaint %s could not be escalated", pk)
                    result.errors += 1
                    continue
                result.escalated += 1
                if parent_id is None:
                    result.at_top += 1
    except Exception:
        # The claim itself failed (e.g. the connection dropped): nothing of this chunk was committed.
        logger.exception("escalation sweep: claiming complaints %s..%s failed", ids[0], ids[-1])
        result.errors += len(ids)


# --- auto-close ------------------------------------------------------------------------------
def close_expired_resolved(*, now: dt.datetime | None = None, batch_size: int = 500, dry_run: bool = False) -> int:
    """Close resolved complaints whose reopen window (COMPLAINT_REOPEN_WINDOW_DAYS) has passed, as the
    system (no feedback). Returns how many were closed (or, with dry_run, would be)."""
    now = now or timezone.now()
    expired = Complaint.objects.filter(status=Status.RESOLVED, resolved_at__lt=now - services.reopen_window())
    if dry_run:
        return expired.count()
    closed = 0
    last_id = 0
    while True:
        ids = list(expired.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return closed
        last_id = ids[-1]
        for pk in ids:
            try:
                with transaction.atomic():
                    complaint = expired.filter(pk=pk).select_for_update(skip_locked=True).first()
                    if complaint is None:
                        continue  # reopened, closed or being changed right now
                    services.complaint_close(complaint=complaint, actor=None)
                closed += 1
            except Exception:
                logger.exception("auto-close: complaint %s could not be closed", pk)


# --- escalation requests ---------------------------------------------------------------------
def _lock_complaint(pk: int) -> Complaint:
    # of=self: lock the complaint, not the department rows joined in.
    return Complaint.objects.select_for_update(of=("self",)).select_related("department__parent").get(pk=pk)


def _target_department(complaint: Complaint):
    department = complaint.department
    return department.parent or department


def _may_decide(*, actor: User, escalation_request: EscalationRequest) -> bool:
    """The manager of the target department (its `manager`, or a manager whose subtree holds it), or an admin."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.MANAGER or escalation_request.target_department_id is None:
        return False
    target_id = escalation_request.target_department_id
    if escalation_request.target_department.manager_id == actor.pk:
        return True
    return target_id in subtree_ids_for_user(actor)


@transaction.atomic
def escalation_request_create(*, complaint: Complaint, requested_by: User, reason: str) -> EscalationRequest:
    """A citizen (for their own complaint) or an officer/manager of the complaint's department subtree
    asks for escalation. The manager of the department it would go to decides. One pending request
    per complaint (409 for a second)."""
    reason = services._require_text(reason, "reason", "Say why the complaint should be escalated.")
    current = _lock_complaint(complaint.pk)
    if requested_by.role == Role.CITIZEN:
        if current.citizen_id != requested_by.pk:
            raise ActionForbidden("Citizens can ask to escalate their own complaints only.")
    elif requested_by.role in (Role.OFFICER, Role.MANAGER):
        if current.department_id is None or current.department_id not in subtree_ids_for_user(requested_by):
            raise ActionForbidden("Only officers and managers of the complaint's department can ask to escalate it.")
    else:
        raise ActionForbidden(
            f"A {requested_by.role} cannot ask for escalation"
            + ("; escalate the complaint directly." if requested_by.role == Role.ADMIN else ".")
        )
    if not current.is_open or current.department_id is None:
        raise TransitionNotAllowed(
            "Only an open complaint with a department can be escalated.",
            extra={"status": current.status, "allowed_actions": []},
        )
    target = _target_department(current)
    if current.escalation_level >= target.max_escalation_level:
        raise TransitionNotAllowed(
            "This complaint is already at the highest escalation level.",
            extra={"status": current.status, "allowed_actions": []},
        )
    if EscalationRequest.objects.filter(complaint=current, state=EscalationRequest.State.PENDING).exists():
        raise Conflict("An escalation request for this complaint is already waiting for a decision.")
    try:
        with transaction.atomic():
            request = EscalationRequest.objects.create(
                complaint=current, requested_by=requested_by, reason=reason, target_department=target
            )
    except IntegrityError:
        # Another request was filed in the same instant; the partial unique constraint kept one.
        raise Conflict("An escalation request for this complaint is already waiting for a decision.") from None
    services._record_event(
        complaint=current,
        actor=requested_by,
        action="escalation_requested",
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
    if not _may_decide(actor=actor, escalation_request=locked):
        raise ActionForbidden("Only the manager of the department the complaint would go to can decide.")
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
    complaint = _lock_complaint(locked.complaint_id)
    if complaint.department_id is None or _target_department(complaint).pk != locked.target_department_id:
        raise Conflict("The complaint has moved since the request was made; reject this request and ask again.")
    note = (note or "").strip()
    services.complaint_escalate(
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
    services._record_event(
        complaint=locked.complaint,
        actor=actor,
        action="escalation_request_rejected",
        note=note,
        changes={"escalation_request_id": locked.pk},
    )
    return locked


def escalation_requests_visible_to(user) -> QuerySet[EscalationRequest]:
    """Requests `user` may see: a citizen their own complaints'; an officer or manager those on
    complaints they can see or aimed at their department subtree; dispatchers, executives and
    admins all. Built on `Complaint.objects.visible_to`."""
    requests = EscalationRequest.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return requests.none()
    if user.role in ALL_SEEING_ROLES:
        return requests
    visible = Q(complaint__in=Complaint.objects.visible_to(user).values("pk"))
    if user.role in (Role.OFFICER, Role.MANAGER) and user.department_id is not None:
        visible |= Q(target_department_id__in=department_subtree_ids(user.department_id))
    return requests.filter(visible)
