"""The sweeps: the SLA escalation sweep and the auto-close of resolved complaints, set-based.

Called by `manage.py escalate_overdue` and the Celery beat task `complaints.tasks.escalate_overdue`.

The rule
--------
Every open complaint with a department whose `sla_due_at` has passed (`Complaint.objects.overdue`,
the one definition) escalates exactly one level per sweep, through the same operation as a manual
escalation, `complaints.services.escalation.complaints_escalate` (kind automatic, actor None): to the
parent department, or, at the top of the tree, it stays and its manager becomes the assignee. The new
due time comes from the receiving department's escalation policy, so the next sweep leaves it alone
until that time passes too.

A complaint that has reached the highest level of the receiving department's policy
(`department.max_escalation_level`, 3 by default) is left alone: it stays overdue (the "overdue"
filter and the dashboards show it) with the top manager holding it. It is not re-escalated and
nobody is re-alerted on every sweep. Such rows are excluded in SQL, so they cost nothing per sweep.

How it runs
-----------
The department tree and policies are read once per sweep. Then, batch after batch, in one
transaction per batch: `SELECT ... WHERE <overdue> AND id > <last> ORDER BY id LIMIT n FOR UPDATE
SKIP LOCKED` claims the next rows (keyset pagination: flat memory, each complaint visited at most once
per sweep; the overdue condition is evaluated on the locked rows), the batch is planned in Python from
the tree, and written in one statement (UPDATE, `escalate` events, `Escalation` rows) with one
outbox hand-off of all the batch's event ids after commit. The batch commits with
`synchronous_commit = off` (see `_commit_without_waiting_for_the_disk` for why that is safe).
Notifications are the outbox consumers' work, done later by workers.

Safety: two sweeps at once never escalate a complaint twice (the second skips the rows the first has
locked, and a row escalated a moment ago is no longer overdue); running the sweep again changes
nothing; a crash mid-batch rolls the whole batch back (nothing half-escalated: no complaint moved
without its event and Escalation row). If a batch fails, its rows are retried one at a time (each a
set of one), so one bad row is logged and counted without holding back the others.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from complaints import outbox, policies
from complaints.models import Complaint, ComplaintEvent, Escalation, Status
from complaints.services.core import Action
from complaints.services.escalation import EscalationOutcome, EscalationTree, complaints_escalate, escalation_tree
from complaints.workflow import check_transition

logger = logging.getLogger(__name__)

# Rows claimed, written and committed together. Larger batches mean fewer commits (each runs the
# deferred foreign-key checks and a WAL flush): at 100,000 rows 5,000 per batch ran 40% faster than
# 1,000. The price: a complaint an officer edits while its batch is in flight waits for that batch
# (about a second), and a crash redoes at most one batch.
DEFAULT_BATCH_SIZE = 5000
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
    batches: int = 0
    planned: list[PlannedEscalation] = field(default_factory=list)


def _overdue(now: dt.datetime) -> QuerySet[Complaint]:
    """Overdue complaints a department holds (the escalation candidates)."""
    return Complaint.objects.overdue(now).filter(department__isnull=False)


def escalate_overdue(
    *,
    now: dt.datetime | None = None,
    limit: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
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
    tree = escalation_tree()  # the tree, managers and policies: read once for the whole sweep
    below_max = tree.below_max_level()
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
                .values_list("pk", "reference", "department_id", "escalation_level")[:size]
            )
            if not rows:
                break
            last_id = rows[-1][0]
            _plan(rows, tree, result)
            done += len(rows)
        else:
            outcome = _escalate_batch(candidates.filter(pk__gt=last_id), size=size, now=now, tree=tree, result=result)
            if not outcome.locked_ids:
                break  # nothing left that this sweep can claim
            last_id = outcome.locked_ids[-1]
            done += len(outcome.locked_ids)
        result.batches += 1
        if progress is not None:
            progress(done, result.total)
    if not dry_run:
        result.skipped = max(0, result.total - result.escalated - result.errors)
    return result


def _plan(rows: list[tuple], tree: EscalationTree, result: SweepResult) -> None:
    for _pk, reference, department_id, level in rows:
        route = tree.route(department_id)
        if route is None:
            continue  # a department created after the tree was read: the next sweep plans it
        result.planned.append(
            PlannedEscalation(
                reference=reference,
                from_department=route.source.name,
                to_department=route.target.name,
                level=level + 1,
            )
        )


def _commit_without_waiting_for_the_disk() -> None:
    """`SET LOCAL synchronous_commit = off` for this batch's transaction (PostgreSQL).

    The commit returns before its WAL record is flushed (PostgreSQL flushes it within a few hundred
    ms). Safe here because the sweep is idempotent and re-runnable: the commit stays atomic, and a
    crash of the database server in that window loses the whole batch (never part of it) exactly as
    if it had rolled back; its complaints are still overdue and the next sweep escalates them. Nothing
    outside the database has seen the batch (the outbox message is sent after commit and its consumers
    read committed events that, if lost, simply are not there). Only for the sweep: a manual
    escalation, which a person is told succeeded, keeps the durable commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _escalate_batch(
    candidates: QuerySet[Complaint], *, size: int, now: dt.datetime, tree: EscalationTree, result: SweepResult
) -> EscalationOutcome:
    """Claim and escalate the next `size` candidates in one transaction; if that fails (nothing of it
    was committed), retry them one at a time so a bad row fails alone."""
    try:
        with transaction.atomic():
            _commit_without_waiting_for_the_disk()
            outcome = complaints_escalate(
                queryset=candidates,
                limit=size,
                skip_locked=True,
                actor=None,
                reason=AUTOMATIC_REASON,
                kind=Escalation.Kind.AUTOMATIC,
                now=now,
                tree=tree,
            )
    except Exception:
        logger.exception("escalation sweep: a batch failed and was rolled back; retrying its rows one by one")
        outcome = EscalationOutcome()
        for pk in candidates.order_by("pk").values_list("pk", flat=True)[:size]:
            outcome.locked_ids.append(pk)
            try:
                single = complaints_escalate(
                    queryset=candidates.filter(pk=pk),
                    skip_locked=True,
                    actor=None,
                    reason=AUTOMATIC_REASON,
                    kind=Escalation.Kind.AUTOMATIC,
                    now=now,
                    tree=tree,
                )
            except Exception:
                logger.exception("escalation sweep: complaint %s could not be escalated", pk)
                result.errors += 1
                continue
            outcome.moves += single.moves
            outcome.event_ids += single.event_ids
    result.escalated += outcome.escalated
    result.at_top += outcome.at_top
    return outcome


# --- auto-close ------------------------------------------------------------------------------
def close_expired_resolved(
    *, now: dt.datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False
) -> int:
    """Close resolved complaints whose reopen window (`policies.reopen_window()`) has passed, as the
    system (no feedback), a batch per transaction: the same change and `close` event as
    `complaint_close(actor=None)`, written in three statements per batch. Returns how many were
    closed (or, with dry_run, would be)."""
    now = now or timezone.now()
    expired = Complaint.objects.filter(status=Status.RESOLVED, resolved_at__lt=now - policies.reopen_window())
    if dry_run:
        return expired.count()
    closed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            # Rows being changed right now (reopened by their citizen, ...) are skipped; the overdue
            # window is re-checked on the locked rows.
            rows = list(
                expired.filter(pk__gt=last_id)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", "status", "closed_at")[:batch_size]
            )
            if not rows:
                return closed
            last_id = rows[-1][0]
            closed += _close_rows(rows)


def _close_rows(rows: list[tuple]) -> int:
    """Close locked resolved rows: one UPDATE, the events in bulk, one outbox hand-off."""
    # The claim selected resolved rows only; the workflow table still decides what closing means.
    to_status = check_transition(action=Action.CLOSE, status=Status.RESOLVED, actor=None)
    closed_at = timezone.now()
    ids = [pk for pk, _status, _closed in rows]
    Complaint.objects.filter(pk__in=ids).update(status=to_status, closed_at=closed_at, updated_at=closed_at)
    events = ComplaintEvent.objects.bulk_create(
        [
            ComplaintEvent(
                complaint_id=pk,
                actor_id=None,
                action=Action.CLOSE,
                from_status=status,
                to_status=to_status,
                changes={
                    "closed_at": [old.isoformat() if old else None, closed_at.isoformat()],
                    "status": [status, to_status],
                },
                created_at=closed_at,
            )
            for pk, status, old in rows
        ]
    )
    outbox.dispatch_on_commit([event.pk for event in events])
    return len(rows)
