"""Synthetic complaint history: a believable year (or a million rows) for the dashboard, tests and benchmark.

Walking every complaint through the services is right for a handful of demo complaints
(`complaints.seed`) but far too slow for a year of history or a million rows. This module writes
complaints, their timeline events and feedback in bulk, with the timestamps, statuses and fields the
services would have left behind (triage sets department and due time, resolve sets resolved_at,
reopen clears it, close and reject set closed_at, escalation moves up the tree). It changes no
existing row; analytics summaries are rebuilt from what it wrote.

Every generated complaint's reference starts with HISTORY_PREFIX, so a second run can tell that
the history is there already.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent, Feedback, Source, Status
from departments.models import Priority

HISTORY_PREFIX = "HST-"
WARDS = [f"Ward {n}" for n in range(1, 13)]
# The city's centre (Bengaluru's by default) and how far complaints spread, in degrees.
CENTRE = (12.9716, 77.5946)
SPREAD = 0.08
SOURCE_WEIGHTS = {
    Source.WEB: 30,
    Source.MOBILE: 35,
    Source.AI: 10,
    Source.SMS: 10,
    Source.BOT: 8,
    Source.OPEN311: 4,
    Source.ADMIN: 3,
}
PRIORITY_WEIGHTS = {Priority.LOW: 20, Priority.MEDIUM: 50, Priority.HIGH: 22, Priority.URGENT: 8}
SLA_HOURS = {Priority.LOW: 168, Priority.MEDIUM: 72, Priority.HIGH: 24, Priority.URGENT: 6}


@dataclass(frozen=True)
class Classification:
    """A category with the department it routes to (and that department's parent, for escalation)."""

    category_id: int
    department_id: int
    parent_department_id: int | None


@dataclass
class HistoryPlan:
    citizens: Sequence[int]
    classifications: Sequence[Classification]
    staff_by_department: dict[int, Sequence[int]]
    dispatcher_id: int | None = None


def _hours(value: float) -> dt.timedelta:
    return dt.timedelta(hours=value)


def _one(rng: random.Random, n: int, plan: HistoryPlan, created_at: dt.datetime, now: dt.datetime):
    """One complaint and its (action, at, from, to, actor) events and optional (rating, at)."""
    cls = rng.choice(plan.classifications)
    # Ward 3 and Ward 7 are the hotspots; everything else is spread evenly.
    ward = rng.choice(WARDS + ["Ward 3", "Ward 3", "Ward 7"])
    priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
    source = rng.choices(list(SOURCE_WEIGHTS), weights=list(SOURCE_WEIGHTS.values()))[0]
    ward_index = int(ward.split()[1])
    lat = CENTRE[0] + (ward_index % 4 - 1.5) * SPREAD / 2 + rng.gauss(0, SPREAD / 8)
    lng = CENTRE[1] + (ward_index // 4 - 1) * SPREAD / 2 + rng.gauss(0, SPREAD / 8)
    complaint = Complaint(
        reference=f"{HISTORY_PREFIX}{n:09d}",
        citizen_id=rng.choice(plan.citizens),
        created_by_id=None,
        title=f"{ward}: complaint {n}",
        description="Generated history.",
        category_id=cls.category_id,
        department_id=cls.department_id,
        priority=priority,
        source=source,
        status=Status.NEW,
        latitude=round(lat, 6),
        longitude=round(lng, 6),
        ward=ward,
        created_at=created_at,
        metadata={"history": True},
    )
    complaint.created_by_id = complaint.citizen_id
    events: list[tuple[str, dt.datetime, str, str, int | None]] = [("created", created_at, "", Status.NEW, None)]
    rating = None
    staff = plan.staff_by_department.get(cls.department_id) or [None]
    officer = rng.choice(staff)

    def step(action: str, at: dt.datetime, to_status: str, actor: int | None) -> bool:
        if at > now:
            return False
        events.append((action, at, complaint.status, to_status, actor))
        complaint.status = to_status
        return True

    sla = SLA_HOURS[priority]
    t = created_at + _hours(rng.uniform(0.02, 0.25) * sla)
    if rng.random() < 0.04 or not step("triage", t, Status.TRIAGED, plan.dispatcher_id):
        return complaint, events, rating
    complaint.sla_due_at = created_at + _hours(SLA_HOURS[priority])
    if rng.random() < 0.07:
        if step("reject", t + _hours(rng.uniform(0.1, 4)), Status.REJECTED, plan.dispatcher_id):
            complaint.closed_at = events[-1][1]
        return complaint, events, rating
    t += _hours(rng.uniform(0.02, 0.2) * sla)
    if not step("start", t, Status.IN_PROGRESS, officer):
        return complaint, events, rating
    complaint.assignee_id = officer
    # Most complaints are resolved within their due time; some departments are slower (by id).
    slowness = 1.0 + (cls.department_id % 3) * 0.35
    work = _hours(rng.lognormvariate(0, 0.7) * sla * 0.3 * slowness)
    resolve_at = t + work
    if complaint.sla_due_at < min(resolve_at, now) and rng.random() < 0.6:
        if step("escalate", complaint.sla_due_at + _hours(0.5), Status.ESCALATED, None):
            complaint.escalation_level = 1
            if cls.parent_department_id:
                complaint.department_id = cls.parent_department_id
            complaint.sla_due_at = events[-1][1] + _hours(SLA_HOURS[priority])
            resolve_at = max(resolve_at, events[-1][1] + _hours(rng.uniform(1, 48)))
    if not step("resolve", resolve_at, Status.RESOLVED, officer):
        return complaint, events, rating
    complaint.resolved_at = resolve_at
    if rng.random() < 0.08:
        reopen_at = resolve_at + _hours(rng.uniform(2, 96))
        if not step("reopen", reopen_at, Status.IN_PROGRESS, None):
            return complaint, events, rating
        complaint.resolved_at = None
        again = reopen_at + _hours(rng.uniform(4, 72))
        if not step("resolve", again, Status.RESOLVED, officer):
            return complaint, events, rating
        complaint.resolved_at = again
    if rng.random() < 0.55:
        close_at = complaint.resolved_at + _hours(rng.uniform(1, 120))
        if step("close", close_at, Status.CLOSED, complaint.citizen_id):
            complaint.closed_at = close_at
            rating = (rng.choices([1, 2, 3, 4, 5], weights=[6, 6, 14, 34, 40])[0], close_at)
    else:
        close_at = complaint.resolved_at + dt.timedelta(days=7, minutes=5)
        if step("close", close_at, Status.CLOSED, None):
            complaint.closed_at = close_at
    return complaint, events, rating


def generate_history(
    plan: HistoryPlan,
    *,
    count: int,
    days: int,
    seed: int = 12,
    now: dt.datetime | None = None,
    first_number: int = 1,
    batch_size: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write `count` complaints filed over the `days` before `now`, with events and feedback; returns count.

    Weekdays get more complaints than weekends and the volume grows slowly over the period, so
    trends have a shape. Deterministic for a given seed.
    """
    rng = random.Random(seed)
    now = now or timezone.now()
    start = now - dt.timedelta(days=days)
    moments = _created_moments(rng, start, (now - start).total_seconds())
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        rows = [_one(rng, first_number + done + i, plan, next(moments), now) for i in range(size)]
        with transaction.atomic():
            complaints = Complaint.objects.bulk_create([row[0] for row in rows], batch_size=batch_size)
            events = [
                ComplaintEvent(
                    complaint_id=complaint.pk,
                    actor_id=actor,
                    action=action,
                    from_status=from_status,
                    to_status=to_status,
                    created_at=at,
                )
                for complaint, (_, timeline, _) in zip(complaints, rows, strict=True)
                for action, at, from_status, to_status, actor in timeline
            ]
            ComplaintEvent.objects.bulk_create(events, batch_size=batch_size * 4)
            Feedback.objects.bulk_create(
                [
                    Feedback(
                        complaint_id=complaint.pk,
                        citizen_id=complaint.citizen_id,
                        rating=rating[0],
                        created_at=rating[1],
                    )
                    for complaint, (_, _, rating) in zip(complaints, rows, strict=True)
                    if rating
                ],
                batch_size=batch_size,
            )
        done += size
        if progress:
            progress(done, count)
    return done


def _created_moments(rng: random.Random, start: dt.datetime, span: float):
    """Filing times: weekdays busier than weekends, volume rising ~40% over the period."""
    while True:
        u = rng.random()
        offset = span * ((-1 + (1 + 2 * 0.4 * u * (1 + 0.2)) ** 0.5) / 0.4 if u else 0)
        offset = min(max(offset, 0), span - 1)
        created_at = start + dt.timedelta(seconds=offset)
        if created_at.weekday() >= 5 and rng.random() < 0.35:
            created_at -= dt.timedelta(days=2)
            if created_at < start:
                created_at += dt.timedelta(days=4)
        yield created_at


def copy_history(
    plan: HistoryPlan,
    *,
    count: int,
    days: int,
    seed: int = 12,
    now: dt.datetime | None = None,
    first_number: int = 1,
    batch_size: int = 50_000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """The same history as `generate_history`, written with PostgreSQL's COPY: a million complaints in minutes.

    For benchmarks and big demo databases on PostgreSQL only. Complaint ids are taken above the
    current maximum and the id sequence is moved past them at the end, so run it while nothing else
    files complaints. Generated events are marked dispatched: the summaries are rebuilt from raw
    rows afterwards, and the outbox sweep must not hand millions of old events to the consumers.
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("copy_history needs PostgreSQL; use generate_history elsewhere.")
    rng = random.Random(seed)
    now = now or timezone.now()
    start = now - dt.timedelta(days=days)
    moments = _created_moments(rng, start, (now - start).total_seconds())
    complaint_fields = [field for field in Complaint._meta.concrete_fields]
    complaint_columns = ", ".join(field.column for field in complaint_fields)
    event_columns = (
        "complaint_id, actor_id, action, from_status, to_status, note, changes, is_internal, created_at, dispatched_at"
    )
    tables = {model: model._meta.db_table for model in (Complaint, ComplaintEvent, Feedback)}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {tables[Complaint]}")
        next_id = cursor.fetchone()[0] + 1
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        rows = [_one(rng, first_number + done + i, plan, next(moments), now) for i in range(size)]
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor: Django's wrapper has no copy()
            with raw.copy(f"COPY {tables[Complaint]} ({complaint_columns}) FROM STDIN") as copy:
                for offset, (complaint, _, _) in enumerate(rows):
                    complaint.pk = next_id + offset
                    complaint.updated_at = complaint.updated_at or complaint.created_at
                    copy.write_row(
                        [
                            json.dumps(value) if isinstance(value, dict | list) else value
                            for value in (getattr(complaint, field.attname) for field in complaint_fields)
                        ]
                    )
            with raw.copy(f"COPY {tables[ComplaintEvent]} ({event_columns}) FROM STDIN") as copy:
                for complaint, timeline, _ in rows:
                    for action, at, from_status, to_status, actor in timeline:
                        copy.write_row((complaint.pk, actor, action, from_status, to_status, "", "{}", False, at, at))
            with raw.copy(
                f"COPY {tables[Feedback]} (complaint_id, citizen_id, rating, comment, created_at) FROM STDIN"
            ) as copy:
                for complaint, _, rating in rows:
                    if rating:
                        copy.write_row((complaint.pk, complaint.citizen_id, rating[0], "", rating[1]))
        next_id += size
        done += size
        if progress:
            progress(done, count)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {tables[Complaint]}))",
            [tables[Complaint]],
        )
    return done


def plan_from_database() -> HistoryPlan | None:
    """A plan over the installation's active categories with a default department, its citizens and
    staff; None when there is nothing to file complaints under."""
    from accounts.models import Role, User
    from departments.models import Category, Department

    parents = dict(Department.objects.values_list("id", "parent_id"))
    classifications = [
        Classification(category_id=cat_id, department_id=dept_id, parent_department_id=parents.get(dept_id))
        for cat_id, dept_id in Category.objects.filter(
            parent__isnull=True, is_active=True, default_department__isnull=False
        ).values_list("id", "default_department_id")
    ]
    citizens = list(User.objects.filter(role=Role.CITIZEN, is_active=True).values_list("id", flat=True)[:200])
    if not classifications or not citizens:
        return None
    staff: dict[int, list[int]] = {}
    for user_id, dept_id in User.objects.filter(
        role__in=(Role.OFFICER, Role.MANAGER), is_active=True, department__isnull=False
    ).values_list("id", "department_id"):
        staff.setdefault(dept_id, []).append(user_id)
    dispatcher = User.objects.filter(role=Role.DISPATCHER, is_active=True).values_list("id", flat=True).first()
    return HistoryPlan(
        citizens=citizens, classifications=classifications, staff_by_department=staff, dispatcher_id=dispatcher
    )
