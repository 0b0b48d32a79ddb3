"""The sweeps: the SLA escalation sweep and the auto-close of resolved complaints.

Called by `manage.py escalate_overdue` and the Celery beat task `complaints.tasks.escalate_overdue`.

The rule
--------
Every open complaint with a department whose `sla_due_at` has passed escalates exactly one level per
sweep, through `complaints.services.escalation.complaint_escalate` (kind automatic, actor None): to the parent
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

Notifications are not sent here: every escalation writes a ComplaintEvent, and the outbox hands
committed events to their consumers (notifications among them).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from complaints import policies
from complaints.models import Complaint, Escalation, Status
from complaints.services.escalation import complaint_escalate
from complaints.services.lifecycle import complaint_close
from departments.models import Department
from departments.selectors import departments_with_policy

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
        target = department.escalation_target(departments)
        target_of[department.pk] = target.pk
        by_limit[target.max_escalation_level].append(department.pk)
    below_max = Q(pk__in=[])
    for limit, ids in by_limit.items():
        below_max |= Q(department_id__in=ids, escalation_level__lt=limit)
    return below_max, target_of


def _overdue(now: dt.datetime) -> QuerySet[Complaint]:
    """Overdue complaints a department holds (the escalation candidates)."""
    return Complaint.objects.overdue(now).filter(department__isnull=False)


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
                    complaint_escalate(
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
    expired = Complaint.objects.filter(status=Status.RESOLVED, resolved_at__lt=now - policies.reopen_window())
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
                    complaint_close(complaint=complaint, actor=None)
                closed += 1
            except Exception:
                logger.exception("auto-close: complaint %s could not be closed", pk)
