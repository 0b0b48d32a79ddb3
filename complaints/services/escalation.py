"""Escalation, all of it: moving complaints up a level, and escalation requests.

A complaint escalates to its department's `escalation_target()` (the parent department; at the top
of the tree it stays and the department's manager becomes the assignee), one level up, with a new
due time from the receiving department's escalation policy.

There is one escalation operation, and it works on a set: `complaints_escalate`. A manager's manual
escalation and an approved request (`complaint_escalate`) are a set of one; the SLA sweep
(`complaints.services.sweeps`) passes a batch of a thousand. Either way the rows are locked, each is
checked against the policy (`policies.may_act`; the system actor for the sweep) and the receiving
department's highest level, and the whole set is written together: on PostgreSQL in ONE statement
(the UPDATE, the `escalate` events and the `Escalation` rows as data-modifying CTEs that read each
complaint's old values from its locked row), elsewhere in three ORM statements; then one outbox
hand-off for all the events.

    lock (SELECT ... FOR UPDATE [SKIP LOCKED]) -> plan (Python: tree, policy) -> apply (1 statement)
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from complaints import outbox, policies
from complaints.models import Complaint, ComplaintEvent, Escalation, EscalationRequest
from complaints.services.core import Action, lock, record_event, require_text
from complaints.workflow import check_transition
from departments.models import Department
from departments.selectors import departments_with_policy
from grievance.errors import Conflict, TransitionNotAllowed

# What escalation reads of a complaint row (and all it reads: the rest comes from the tree).
ROW_FIELDS = ("pk", "status", "department_id", "assignee_id", "escalation_level", "sla_due_at")


# --- the tree, read once ---------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """Where complaints held by `source` go when they escalate, and the receiving policy."""

    source: Department
    target: Department
    max_level: int  # target.max_escalation_level
    hours: dict[int, int]  # level -> target.escalation_hours(level), for 1..max_level

    @property
    def reached_top(self) -> bool:
        return self.target.pk == self.source.pk


class EscalationTree:
    """Departments with their managers and escalation policies, and each one's route, computed
    once from `Department.escalation_target` and the policy methods (so the rules stay there)."""

    def __init__(self, departments: Iterable[Department]):
        self.departments: dict[int, Department] = {d.pk: d for d in departments}
        self._routes: dict[int, Route] = {}

    def route(self, department_id: int | None) -> Route | None:
        """None for a complaint without a department, or in one created after the tree was read."""
        if department_id is None:
            return None
        route = self._routes.get(department_id)
        if route is None:
            source = self.departments.get(department_id)
            if source is None:
                return None
            target = source.escalation_target(self.departments)
            max_level = target.max_escalation_level
            route = Route(
                source=source,
                target=target,
                max_level=max_level,
                hours={level: target.escalation_hours(level) for level in range(1, max_level + 1)},
            )
            self._routes[department_id] = route
        return route

    def below_max_level(self) -> Q:
        """Complaints whose next level is within the receiving department's policy (SQL filter)."""
        by_limit: dict[int, list[int]] = defaultdict(list)
        for department_id in self.departments:
            by_limit[self.route(department_id).max_level].append(department_id)
        below = Q(pk__in=[])
        for limit, ids in sorted(by_limit.items()):
            below |= Q(department_id__in=ids, escalation_level__lt=limit)
        return below


def escalation_tree(department_ids: Iterable[int] | None = None) -> EscalationTree:
    """The whole tree (a sweep: two queries, once), or just `department_ids` and their parents."""
    departments = departments_with_policy().select_related("manager")
    if department_ids is not None:
        ids = [pk for pk in set(department_ids) if pk is not None]
        departments = departments.filter(Q(pk__in=ids) | Q(children__in=ids)).distinct()
    return EscalationTree(departments)


# --- plan: who goes where (pure Python over the locked rows) -------------------------------------
class Move(NamedTuple):
    """One complaint's escalation, decided; `apply_escalations` writes it. (A tuple: a sweep makes
    one per row, and a NamedTuple costs a fraction of a frozen dataclass to build.)"""

    complaint_id: int
    from_status: str
    to_status: str
    route: Route
    from_assignee_id: int | None
    from_level: int
    # Not read on PostgreSQL (None there): its statement takes the old due time from the locked row.
    old_due: dt.datetime | None
    new_due: dt.datetime

    @property
    def to_level(self) -> int:
        return self.from_level + 1

    @property
    def to_assignee_id(self) -> int | None:
        return self.route.target.manager_id

    @property
    def reached_top(self) -> bool:
        return self.route.reached_top

    def changes(self) -> dict:
        """The event's `changes`: {field: [old, new]} for what changed (as `core.set_fields` records
        it: departments by code, people by id as text, times in ISO 8601), plus `reached_top`.
        The portable path writes this; PostgreSQL builds the same in its statement (`_CHANGES_SQL`)."""
        changes: dict = {}
        source, target = self.route.source, self.route.target
        if source.pk != target.pk:
            changes["department"] = [source.code, target.code]
        if self.from_assignee_id != self.to_assignee_id:
            changes["assignee"] = [_person(self.from_assignee_id), _person(self.to_assignee_id)]
        changes["escalation_level"] = [self.from_level, self.to_level]
        if self.old_due != self.new_due:
            changes["sla_due_at"] = [self.old_due.isoformat() if self.old_due else None, self.new_due.isoformat()]
        if self.from_status != self.to_status:
            changes["status"] = [self.from_status, self.to_status]
        changes["reached_top"] = self.reached_top
        return changes


def _person(pk: int | None) -> str | None:
    return None if pk is None else str(pk)


def plan_escalations(
    rows: Sequence[tuple], *, actor: User | None, tree: EscalationTree, now: dt.datetime
) -> tuple[list[Move], dict[int, Exception]]:
    """Decide each row (`ROW_FIELDS` tuples): a Move, or the refusal the single escalation raises
    (403/409 from the policy, 409 at the highest level). Changes nothing."""
    moves: list[Move] = []
    refused: dict[int, Exception] = {}
    verdicts: dict[tuple, policies.Verdict] = {}
    next_status: dict[str, str] = {}
    due_at: dict[tuple[int, int], dt.datetime] = {}  # (source department, level) -> new due time
    for pk, status, department_id, assignee_id, level, due in rows:
        if actor is None:
            # The system's verdict depends on nothing personal: decide once per kind of row.
            key = (status, department_id is None)
            verdict = verdicts.get(key)
            if verdict is None:
                verdict = verdicts[key] = policies.may_act(
                    None, Complaint(status=status, department_id=department_id), Action.ESCALATE, now=now
                )
        else:
            complaint = Complaint(
                pk=pk, status=status, department_id=department_id, assignee_id=assignee_id,
                escalation_level=level, sla_due_at=due,
            )  # fmt: skip
            verdict = policies.may_act(actor, complaint, Action.ESCALATE, now=now)
        if not verdict:
            refused[pk] = verdict.error
            continue
        route = tree.route(department_id)
        if route is None:
            refused[pk] = Conflict("The complaint's department changed while it was being escalated; try again.")
            continue
        if level + 1 > route.max_level:
            refused[pk] = TransitionNotAllowed(
                f"This complaint is already at the highest escalation level ({level}) of {route.target}'s policy.",
                extra={"status": status, "allowed_actions": []},
            )
            continue
        to_status = next_status.get(status)
        if to_status is None:
            to_status = next_status[status] = check_transition(action=Action.ESCALATE, status=status, actor=actor)
        new_due = due_at.get((department_id, level))
        if new_due is None:
            new_due = due_at[department_id, level] = now + dt.timedelta(hours=route.hours[level + 1])
        moves.append(Move(pk, status, to_status, route, assignee_id, level, due, new_due))
    return moves, refused


# --- apply: one statement for the whole set -------------------------------------------------------
def apply_escalations(moves: Sequence[Move], *, actor: User | None, reason: str, kind: str) -> list[int]:
    """Write `moves` (rows locked by the caller's transaction): the complaints' UPDATE, their events
    and their Escalation rows (on PostgreSQL one statement), and one outbox hand-off after commit.
    Returns the event ids."""
    if not moves:
        return []
    written_at = timezone.now()
    if connection.vendor == "postgresql":
        event_ids = _write_batch(moves, actor=actor, reason=reason, kind=kind, written_at=written_at)
    else:
        _update_complaints(moves, written_at)
        event_ids = _write_events(moves, actor=actor, reason=reason, written_at=written_at)
        _write_escalations(moves, actor=actor, reason=reason, kind=kind, written_at=written_at)
    outbox.dispatch_on_commit(event_ids)
    return event_ids


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# `Move.changes()` in SQL, over a row of `batch` below (the complaint as locked, `r.*` its route
# and new level, `to_status`). Departments by code, people by id as text, times as Python's
# isoformat() of a UTC datetime writes them (microseconds only when there are some: PostgreSQL's
# own JSON form would trim trailing zeros). complaints/tests/test_escalation_set.py holds both to
# the same spelled-out result.
_ISO = (
    "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE WHEN extract(microseconds FROM {0})::bigint %% 1000000 = 0 THEN ''"
    " ELSE to_char({0} AT TIME ZONE 'UTC', '.US') END || '+00:00'"
)
_CHANGES_SQL = f"""
    CASE WHEN b.target_id <> b.department_id
         THEN jsonb_build_object('department', jsonb_build_array(b.source_code, b.target_code))
         ELSE '{{}}'::jsonb END
 || CASE WHEN b.assignee_id IS DISTINCT FROM b.manager_id
         THEN jsonb_build_object('assignee', jsonb_build_array(b.assignee_id::text, b.manager_id::text))
         ELSE '{{}}'::jsonb END
 || jsonb_build_object('escalation_level', jsonb_build_array(b.escalation_level, b.to_level),
                       'reached_top', b.target_id = b.department_id)
 || CASE WHEN b.sla_due_at IS DISTINCT FROM b.due
         THEN jsonb_build_object('sla_due_at', jsonb_build_array({_ISO.format("b.sla_due_at")}, b.due_iso))
         ELSE '{{}}'::jsonb END
 || CASE WHEN b.status <> b.to_status
         THEN jsonb_build_object('status', jsonb_build_array(b.status, b.to_status))
         ELSE '{{}}'::jsonb END
"""


def _write_batch(
    moves: Sequence[Move], *, actor: User | None, reason: str, kind: str, written_at: dt.datetime
) -> list[int]:
    """PostgreSQL: the whole set in ONE statement (data-modifying CTEs), from three small inputs: the
    ids, the routes used (source department and new level -> target, manager, new due time) and the
    status transitions used. Each complaint's own values are read from its locked row, so Python
    builds nothing per row. The statement's counts are checked against the plan."""
    routes: dict[tuple[int, int], dict] = {}
    steps: dict[str, str] = {}
    ids = []
    for m in moves:
        ids.append(m.complaint_id)
        key = (m.route.source.pk, m.from_level + 1)
        if key not in routes:
            source, target = m.route.source, m.route.target
            routes[key] = {
                "source_id": source.pk, "to_level": key[1], "target_id": target.pk, "manager_id": target.manager_id,
                "due": m.new_due.isoformat(), "source_code": source.code, "target_code": target.code,
            }  # fmt: skip
        steps[m.from_status] = m.to_status
    complaint, event, escalation = _table(Complaint), _table(ComplaintEvent), _table(Escalation)
    sql = f"""
    WITH route AS (
        SELECT r.*, r.due::timestamptz AS due_ts
          FROM jsonb_to_recordset(%(routes)s::jsonb)
               AS r(source_id bigint, to_level smallint, target_id bigint, manager_id bigint, due text,
                    source_code text, target_code text)
    ),
    step AS (
        SELECT s.key AS from_status, s.value AS to_status FROM jsonb_each_text(%(steps)s::jsonb) AS s
    ),
    batch AS MATERIALIZED (
        SELECT c.id, c.status, c.department_id, c.assignee_id, c.escalation_level, c.sla_due_at,
               r.to_level, r.target_id, r.manager_id, r.due_ts AS due, r.due AS due_iso, r.source_code,
               r.target_code, s.to_status
          FROM {complaint} AS c
          JOIN route AS r ON r.source_id = c.department_id AND r.to_level = c.escalation_level + 1
          JOIN step AS s ON s.from_status = c.status
         WHERE c.id = ANY(%(ids)s::bigint[])
    ),
    moved AS (
        UPDATE {complaint} AS c
           SET department_id = b.target_id, assignee_id = b.manager_id, escalation_level = b.to_level,
               sla_due_at = b.due, status = b.to_status, updated_at = %(at)s
          FROM batch AS b
         WHERE c.id = b.id
        RETURNING c.id
    ),
    events AS (
        INSERT INTO {event}
               (complaint_id, actor_id, action, from_status, to_status, note, changes, is_internal, created_at)
        SELECT b.id, %(actor)s, %(action)s, b.status, b.to_status, %(reason)s, {_CHANGES_SQL}, false, %(at)s
          FROM batch AS b
        RETURNING id
    ),
    escalations AS (
        INSERT INTO {escalation}
               (complaint_id, kind, from_level, to_level, from_department_id, to_department_id, actor_id,
                reason, created_at)
        SELECT b.id, %(kind)s, b.escalation_level, b.to_level, b.department_id, b.target_id, %(actor)s,
               %(reason)s, %(at)s
          FROM batch AS b
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM escalations), (SELECT array_agg(id) FROM events)
    """
    params = {
        "routes": json.dumps(list(routes.values()), separators=(",", ":")),
        "steps": json.dumps(steps, separators=(",", ":")),
        "ids": ids,
        "at": written_at,
        "actor": actor.pk if actor is not None else None,
        "action": Action.ESCALATE,
        "reason": reason,
        "kind": kind,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        moved, escalations, event_ids = cursor.fetchone()
    event_ids = event_ids or []
    if not moved == escalations == len(event_ids) == len(moves):
        # A row changed under the lock (cannot happen) or the plan and the statement disagree: roll
        # the whole set back rather than write a half-escalated one.
        raise RuntimeError(f"escalation wrote {moved}/{len(event_ids)}/{escalations} rows for {len(moves)} moves")
    return event_ids


# The portable path (SQLite): three ORM statements.
def _update_complaints(moves: Sequence[Move], written_at: dt.datetime) -> None:
    # One UPDATE per group of rows getting the same values (a sweep's batch shares `now`).
    groups: dict[tuple, list[int]] = defaultdict(list)
    for m in moves:
        groups[(m.route.target.pk, m.to_assignee_id, m.to_level, m.new_due, m.to_status)].append(m.complaint_id)
    for (department_id, assignee_id, level, due, status), ids in groups.items():
        Complaint.objects.filter(pk__in=ids).update(
            department_id=department_id,
            assignee_id=assignee_id,
            escalation_level=level,
            sla_due_at=due,
            status=status,
            updated_at=written_at,
        )


def _write_events(moves: Sequence[Move], *, actor: User | None, reason: str, written_at: dt.datetime) -> list[int]:
    actor_id = actor.pk if actor is not None else None
    events = ComplaintEvent.objects.bulk_create(
        [
            ComplaintEvent(
                complaint_id=m.complaint_id,
                actor_id=actor_id,
                action=Action.ESCALATE,
                from_status=m.from_status,
                to_status=m.to_status,
                note=reason,
                changes=m.changes(),
                created_at=written_at,
            )
            for m in moves
        ]
    )
    return [event.pk for event in events]


def _write_escalations(
    moves: Sequence[Move], *, actor: User | None, reason: str, kind: str, written_at: dt.datetime
) -> None:
    actor_id = actor.pk if actor is not None else None
    Escalation.objects.bulk_create(
        [
            Escalation(
                complaint_id=m.complaint_id,
                kind=kind,
                from_level=m.from_level,
                to_level=m.to_level,
                from_department_id=m.route.source.pk,
                to_department_id=m.route.target.pk,
                actor_id=actor_id,
                reason=reason,
                created_at=written_at,
            )
            for m in moves
        ]
    )


# --- the operations ----------------------------------------------------------------------------
@dataclass
class EscalationOutcome:
    """What `complaints_escalate` did to the rows it locked."""

    moves: list[Move] = field(default_factory=list)
    # Locked but not escalated: complaint id -> the error a single escalation raises for it.
    refused: dict[int, Exception] = field(default_factory=dict)
    event_ids: list[int] = field(default_factory=list)
    # Every id locked, ascending (a sweep continues after the last).
    locked_ids: list[int] = field(default_factory=list)

    @property
    def escalated(self) -> int:
        return len(self.moves)

    @property
    def at_top(self) -> int:
        return sum(1 for m in self.moves if m.reached_top)


def complaints_escalate(
    *,
    complaint_ids: Iterable[int] | None = None,
    queryset: QuerySet[Complaint] | None = None,
    actor: User | None,
    reason: str,
    kind: str = Escalation.Kind.MANUAL,
    now: dt.datetime | None = None,
    tree: EscalationTree | None = None,
    skip_locked: bool = False,
    limit: int | None = None,
) -> EscalationOutcome:
    """Escalate a set of complaints one level each, in one transaction.

    The set is `complaint_ids` or `queryset` (its filter is evaluated under the row locks, so a
    sweep's overdue condition is re-checked on the locked rows), at most `limit` rows in id order.
    `skip_locked`: leave rows another transaction holds (concurrent sweeps) instead of waiting.
    `tree`: the departments read once by a caller escalating many sets (default: read here).
    Rows that may not escalate are in `refused`, with the error `complaint_escalate` raises.
    """
    reason = require_text(reason, "reason", "Say why the complaint is escalated.")
    if (complaint_ids is None) == (queryset is None):
        raise TypeError("Pass complaint_ids or queryset, not both.")
    now = now or timezone.now()
    rows_qs = queryset if queryset is not None else Complaint.objects.filter(pk__in=list(complaint_ids))
    with transaction.atomic():
        # of=self: the complaint rows only; ordered by id so concurrent lockers never deadlock.
        rows_qs = rows_qs.select_for_update(skip_locked=skip_locked, of=("self",)).order_by("pk")
        if connection.vendor == "postgresql":
            # The write reads the old due time from the locked row; loading thousands of timestamps
            # here costs more than anything else in Python (Django's timestamptz loader is pure
            # Python): about 1 s of a 100,000-row sweep.
            rows_qs = rows_qs.annotate(_due=Value(None, output_field=DateTimeField()))
            rows_qs = rows_qs.values_list(*ROW_FIELDS[:-1], "_due")
        else:
            rows_qs = rows_qs.values_list(*ROW_FIELDS)
        rows = list(rows_qs[:limit] if limit is not None else rows_qs)
        if not rows:
            return EscalationOutcome()
        if tree is None:
            tree = escalation_tree(row[2] for row in rows)
        moves, refused = plan_escalations(rows, actor=actor, tree=tree, now=now)
        event_ids = apply_escalations(moves, actor=actor, reason=reason, kind=kind)
    return EscalationOutcome(moves=moves, refused=refused, event_ids=event_ids, locked_ids=[row[0] for row in rows])


def complaint_escalate(
    *,
    complaint: Complaint | int,
    actor: User | None,
    reason: str,
    kind: str = Escalation.Kind.MANUAL,
    now: dt.datetime | None = None,
) -> Complaint:
    """Raise one complaint one level: `complaints_escalate` on a set of one, raising its refusal
    (403 not allowed, 409 wrong status or already at the highest level of the receiving policy).

    Manual escalation (kind manual), an approved request (kind request) and the seed call this.
    Returns the complaint as it now is.
    """
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    with transaction.atomic():
        outcome = complaints_escalate(complaint_ids=[pk], actor=actor, reason=reason, kind=kind, now=now)
        if pk in outcome.refused:
            raise outcome.refused[pk]
        if not outcome.moves:
            raise Complaint.DoesNotExist(f"No complaint {pk}.")
    return Complaint.objects.select_related("department__manager", "assignee").get(pk=pk)


# --- escalation requests ---------------------------------------------------------------------
def _lock_with_department(pk: int) -> Complaint:
    return lock(pk, related=("department__parent",))


@transaction.atomic
def escalation_request_create(*, complaint: Complaint, requested_by: User, reason: str) -> EscalationRequest:
    """A citizen (for their own complaint) or an officer/manager of the complaint's department subtree
    asks for escalation (`policies.may_request_escalation`). The manager of the department it would go
    to decides. One pending request per complaint (409 for a second)."""
    reason = require_text(reason, "reason", gettext("Say why the complaint should be escalated."))
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
        raise Conflict(gettext("An escalation request for this complaint is already waiting for a decision.")) from None
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
