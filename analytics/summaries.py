"""Build the daily summary table from raw rows, set-based, for any range of local dates.

Each figure is dated by when it happened and keyed by the complaint's current classification:

- received              complaints filed that day (created_at)
- resolved              complaints whose current resolved_at is that day (a reopened complaint that is
                        not resolved again no longer counts; one resolved twice counts once, last time)
  resolved_with_sla     ... of which had a due time; resolved_within_sla: ... and met it
  resolution_seconds    ... sum of resolved_at - created_at
- closed / rejected     complaints in that final status whose closed_at is that day
- reopened / escalated  reopen / escalate events that day (each one counts)
- first_action_*        complaints whose first staff action (FIRST_ACTIONS) was that day, and the sum of
                        the time from filing to it
- rating_*              feedback given that day: count, sum of ratings, count of 4-5 ratings

`rebuild(since, until)` replaces the rows of those dates with one INSERT ... SELECT over a UNION ALL
of one aggregate per figure, then their date x department rollup (`DepartmentDaySummary`) with a
GROUP BY over the rows just written, inside a transaction that holds the dates' `SummaryDay` locks;
running it twice gives the same rows. `refresh_for_events(event_ids)` is the outbox consumer: it rebuilds every
date the events' complaints have contributed to, so repeated and out-of-order events converge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.utils import timezone

from analytics.models import DailySummary, DepartmentDaySummary, SummaryDay
from complaints.models import Complaint, ComplaintEvent, Feedback, Status

# A staff member has acted on a complaint: the "time to first action" clock stops at the first of these.
# The first thing staff did about a complaint: these event kinds (comments and escalations are not).
_Action = ComplaintEvent.Action
# Plain strings (raw SQL parameters): psycopg would send an enum member's name, not its value.
FIRST_ACTIONS = tuple(
    a.value for a in (_Action.TRIAGE, _Action.ASSIGN, _Action.START, _Action.RESOLVE, _Action.REJECT, _Action.DUPLICATE)
)

DIMENSIONS = ("department_id", "category_id", "ward", "source", "priority")
METRICS = (
    "received",
    "resolved",
    "closed",
    "rejected",
    "reopened",
    "escalated",
    "resolved_with_sla",
    "resolved_within_sla",
    "first_action_count",
    "first_action_seconds",
    "resolution_seconds",
    "rating_count",
    "rating_sum",
    "rating_high_count",
)


def local_bounds(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `since`, start of the day after `until`) in the current time zone, as aware datetimes."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min), tz)
    return start, end


def local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _local_day_sql(column: str) -> tuple[str, list]:
    sql, params = connection.ops.datetime_cast_date_sql(column, (), timezone.get_current_timezone_name())
    return sql, list(params)


def seconds_between_sql(later: str, earlier: str) -> str:
    """SQL for `later - earlier` in seconds (float), on PostgreSQL and SQLite."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _piece(*, day_column: str, source: str, where: str, where_params: list, values: dict[str, str]) -> tuple[str, list]:
    """One SELECT of the UNION: the day, the complaint's dimensions, and each metric (0 unless given)."""
    day_sql, day_params = _local_day_sql(day_column)
    columns = [f"{day_sql} AS day"] + [f"c.{name} AS {name}" for name in DIMENSIONS]
    columns += [f"{values.get(metric, '0')} AS {metric}" for metric in METRICS]
    return f"SELECT {', '.join(columns)} FROM {source} WHERE {where}", day_params + where_params


def _summary_select(start: dt.datetime, end: dt.datetime) -> tuple[str, list]:
    complaints = Complaint._meta.db_table
    events = ComplaintEvent._meta.db_table
    feedback = Feedback._meta.db_table
    # Raw SQL: let the backend put the bounds in its stored form (UTC text on SQLite).
    rng = [connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end)]
    first_actions = ", ".join(f"'{action}'" for action in FIRST_ACTIONS)
    pieces = [
        _piece(
            day_column="c.created_at",
            source=f"{complaints} c",
            where="c.created_at >= %s AND c.created_at < %s",
            where_params=rng,
            values={"received": "1"},
        ),
        _piece(
            day_column="c.resolved_at",
            source=f"{complaints} c",
            where="c.resolved_at >= %s AND c.resolved_at < %s",
            where_params=rng,
            values={
                "resolved": "1",
                "resolved_with_sla": "CASE WHEN c.sla_due_at IS NOT NULL THEN 1 ELSE 0 END",
                "resolved_within_sla": "CASE WHEN c.resolved_at <= c.sla_due_at THEN 1 ELSE 0 END",
                "resolution_seconds": seconds_between_sql("c.resolved_at", "c.created_at"),
            },
        ),
        _piece(
            day_column="c.closed_at",
            source=f"{complaints} c",
            where="c.closed_at >= %s AND c.closed_at < %s AND c.status IN (%s, %s)",
            where_params=[*rng, Status.CLOSED.value, Status.REJECTED.value],
            values={
                "closed": f"CASE WHEN c.status = '{Status.CLOSED.value}' THEN 1 ELSE 0 END",
                "rejected": f"CASE WHEN c.status = '{Status.REJECTED.value}' THEN 1 ELSE 0 END",
            },
        ),
        _piece(
            day_column="e.created_at",
            source=f"{events} e JOIN {complaints} c ON c.id = e.complaint_id",
            where="e.created_at >= %s AND e.created_at < %s AND e.action IN ('reopen', 'escalate')",
            where_params=rng,
            values={
                "reopened": "CASE WHEN e.action = 'reopen' THEN 1 ELSE 0 END",
                "escalated": "CASE WHEN e.action = 'escalate' THEN 1 ELSE 0 END",
            },
        ),
        # The first action is the complaint's earliest first-action event (ties: the lowest id): the
        # events of the range that have no earlier one. Unlike MIN() over every complaint's events,
        # this reads only the range's events (index on created_at) and probes each one's timeline.
        _piece(
            day_column="fa.created_at",
            source=f"{events} fa JOIN {complaints} c ON c.id = fa.complaint_id",
            where=(
                f"fa.created_at >= %s AND fa.created_at < %s AND fa.action IN ({first_actions}) "
                f"AND NOT EXISTS (SELECT 1 FROM {events} earlier WHERE earlier.complaint_id = fa.complaint_id "
                f"AND earlier.action IN ({first_actions}) AND (earlier.created_at < fa.created_at "
                "OR (earlier.created_at = fa.created_at AND earlier.id < fa.id)))"
            ),
            where_params=rng,
            values={
                "first_action_count": "1",
                "first_action_seconds": seconds_between_sql("fa.created_at", "c.created_at"),
            },
        ),
        _piece(
            day_column="f.created_at",
            source=f"{feedback} f JOIN {complaints} c ON c.id = f.complaint_id",
            where="f.created_at >= %s AND f.created_at < %s",
            where_params=rng,
            values={
                "rating_count": "1",
                "rating_sum": "f.rating",
                "rating_high_count": "CASE WHEN f.rating >= 4 THEN 1 ELSE 0 END",
            },
        ),
    ]
    union = " UNION ALL ".join(sql for sql, _ in pieces)
    params = [param for _, piece_params in pieces for param in piece_params]
    keys = ", ".join(("day", *DIMENSIONS))
    sums = ", ".join(f"SUM({metric})" for metric in METRICS)
    return f"SELECT {keys}, {sums} FROM ({union}) facts GROUP BY {keys}", params


def _lock_days(since: dt.date, until: dt.date) -> None:
    """Create the dates' SummaryDay rows if missing and lock them, in date order (no deadlocks)."""
    days = [since + dt.timedelta(days=n) for n in range((until - since).days + 1)]
    now = timezone.now()
    SummaryDay.objects.bulk_create([SummaryDay(day=day, rebuilt_at=now) for day in days], ignore_conflicts=True)
    list(
        SummaryDay.objects.select_for_update().filter(day__gte=since, day__lte=until).order_by("day").values_list("day")
    )
    SummaryDay.objects.filter(day__gte=since, day__lte=until).update(rebuilt_at=now)


@transaction.atomic
def rebuild(since: dt.date, until: dt.date) -> int:
    """Replace the summary rows of the local dates since..until (inclusive); returns the rows written."""
    if until < since:
        raise ValueError("until is before since")
    _lock_days(since, until)
    DailySummary.objects.filter(day__gte=since, day__lte=until).delete()
    DepartmentDaySummary.objects.filter(day__gte=since, day__lte=until).delete()
    select, params = _summary_select(*local_bounds(since, until))
    columns = ", ".join(("day", *DIMENSIONS, *METRICS))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {DailySummary._meta.db_table} ({columns}) {select}", params)
        written = cursor.rowcount
        rollup_sql, rollup_params = rollup_from_daily_sql(since, until)
        cursor.execute(rollup_sql, rollup_params)
    return written


def rollup_from_daily_sql(since: dt.date | None = None, until: dt.date | None = None) -> tuple[str, list]:
    """INSERT the date x department rollup of the daily rows of since..until (all dates if None)."""
    keys = "day, department_id"
    sums = ", ".join(f"SUM({metric})" for metric in METRICS)
    where, params = "", []
    if since is not None and until is not None:
        where, params = "WHERE day >= %s AND day <= %s", [since, until]
    return (
        f"INSERT INTO {DepartmentDaySummary._meta.db_table} ({keys}, {', '.join(METRICS)}) "
        f"SELECT {keys}, {sums} FROM {DailySummary._meta.db_table} {where} GROUP BY {keys}",
        params,
    )


def rebuild_range(
    since: dt.date,
    until: dt.date,
    *,
    chunk_days: int = 31,
    progress: Callable[[int, int, dt.date], None] | None = None,
) -> int:
    """Rebuild since..until in chunks of `chunk_days` (one transaction each); returns rows written."""
    total_days = (until - since).days + 1
    written = 0
    start = since
    while start <= until:
        end = min(until, start + dt.timedelta(days=chunk_days - 1))
        written += rebuild(start, end)
        if progress:
            progress((end - since).days + 1, total_days, end)
        start = end + dt.timedelta(days=1)
    return written


def affected_days(complaint_ids: Iterable[int]) -> set[dt.date]:
    """Every local date the complaints have contributed a figure to, from raw rows: filing, resolution,
    closure, feedback and the date of every event (which covers dates they contributed to before a
    reopen or reclassification moved them)."""
    ids = list(set(complaint_ids))
    days: set[dt.date] = set()
    if not ids:
        return days
    for created, resolved, closed in Complaint.objects.filter(pk__in=ids).values_list(
        "created_at", "resolved_at", "closed_at"
    ):
        days.update(local_date(value) for value in (created, resolved, closed) if value)
    for (created,) in ComplaintEvent.objects.filter(complaint_id__in=ids).values_list("created_at"):
        days.add(local_date(created))
    for (created,) in Feedback.objects.filter(complaint_id__in=ids).values_list("created_at"):
        days.add(local_date(created))
    return days


def refresh_for_events(event_ids: list[int]) -> None:
    """Outbox consumer: bring the summaries of everything these committed events touched up to date.

    Recomputes from raw rows, so a repeated id, ids out of order, or an id whose complaint has since
    changed again all end in the same rows. Unknown ids (a deleted complaint) are skipped.
    """
    complaint_ids = ComplaintEvent.objects.filter(pk__in=list(event_ids)).values_list("complaint_id", flat=True)
    for since, until in consecutive_runs(affected_days(complaint_ids)):
        rebuild(since, until)


def consecutive_runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Dates grouped into runs of consecutive days, as (first, last): one rebuild per run."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
