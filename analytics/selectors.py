"""Every analytics figure, each read through the one visibility rule.

Two sources, one gate:
- raw complaints always start from `Complaint.objects.visible_to(user)` (live figures: open and overdue
  now, backlog ages, medians and 90th percentiles, officers, map cells);
- the summaries (daily, or their date x department rollup when no finer filter applies) are filtered
  by `complaints.querysets.department_scope(user)` (None = all).
The public performance page uses `Scope.public()`: every department, aggregates only.

Every selector runs a fixed number of queries whatever the period or the data size.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Floor, TruncMonth, TruncWeek
from django.utils import timezone

from analytics.models import DailySummary, DepartmentDaySummary
from analytics.summaries import FIRST_ACTIONS, METRICS, local_bounds
from complaints.models import OPEN_STATUSES, Complaint
from complaints.querysets import department_scope
from departments.models import Department
from departments.selectors import department_subtree_ids

GRANULARITIES = ("day", "week", "month")
BACKLOG_BUCKETS = (("0-2 days", 0, 3), ("3-7 days", 3, 8), ("8-30 days", 8, 31), ("over 30 days", 31, None))
# z for a 95% two-sided interval: rankings use the lower end of the Wilson score interval.
WILSON_Z = 1.96
HEATMAP_CELL_DEGREES = 0.01  # about 1.1 km north-south


@dataclass(frozen=True)
class Filters:
    since: dt.date
    until: dt.date
    department: int | None = None  # a department and everything below it
    category: int | None = None
    ward: str = ""
    source: str = ""
    priority: str = ""

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one."""
        length = dt.timedelta(days=self.days)
        return Filters(
            since=self.since - length,
            until=self.until - length,
            department=self.department,
            category=self.category,
            ward=self.ward,
            source=self.source,
            priority=self.priority,
        )


@dataclass(frozen=True)
class Scope:
    """What a reader may aggregate over: `complaints` (raw rows) and `department_ids` (None = all)."""

    complaints: QuerySet
    department_ids: list[int] | None = field(default=None)

    @classmethod
    def for_user(cls, user) -> Scope:
        return cls(complaints=Complaint.objects.visible_to(user), department_ids=department_scope(user))

    @classmethod
    def public(cls) -> Scope:
        # Aggregates over every complaint for the public page, through the public view (never rows,
        # never people): the same gate as tracking and Open311.
        return cls(complaints=Complaint.objects.public(), department_ids=None)


# --- the two filtered bases ------------------------------------------------------------------
def _department_ids(scope: Scope, filters: Filters) -> list[int] | None:
    """The departments both the reader's scope and the filter allow (None = no restriction)."""
    ids = scope.department_ids
    if filters.department is not None:
        wanted = department_subtree_ids(filters.department)
        ids = wanted if ids is None else [pk for pk in ids if pk in set(wanted)]
    return ids


def _dimension_filter(filters: Filters, department_ids: list[int] | None) -> Q:
    q = Q()
    if department_ids is not None:
        q &= Q(department_id__in=department_ids)
    if filters.category is not None:
        q &= Q(category_id=filters.category)
    if filters.ward:
        q &= Q(ward=filters.ward)
    if filters.source:
        q &= Q(source=filters.source)
    if filters.priority:
        q &= Q(priority=filters.priority)
    return q


def summaries(scope: Scope, filters: Filters, *, by_ward: bool = False) -> QuerySet:
    """Summary rows of the period the reader may see, with the filters applied.

    Reads the date x department rollup when nothing finer than a department is filtered on (nor
    grouped by: `by_ward`), the daily table otherwise; both carry the same metric columns, and the
    rollup equals the daily rows' sum, so callers aggregate either the same way."""
    dims = _dimension_filter(filters, _department_ids(scope, filters))
    fine = by_ward or filters.category is not None or filters.ward or filters.source or filters.priority
    model = DailySummary if fine else DepartmentDaySummary
    return model.objects.filter(dims, day__gte=filters.since, day__lte=filters.until)


def complaints(scope: Scope, filters: Filters) -> QuerySet[Complaint]:
    """Raw complaints the reader may see with the dimension filters (not the period) applied.

    The department filter narrows `visible_to`; it never widens it."""
    department_ids = None if filters.department is None else department_subtree_ids(filters.department)
    return scope.complaints.filter(_dimension_filter(filters, department_ids))


# --- small maths -----------------------------------------------------------------------------
def ratio(part: float | None, whole: float | None) -> float | None:
    return round(part / whole, 4) if whole else None


def wilson_lower_bound(successes: int, n: int, z: float = WILSON_Z) -> float | None:
    """Lower end of the Wilson score interval for a proportion: a small sample's share is pulled
    down toward what the evidence can support, so 3 out of 3 does not outrank 950 out of 1000."""
    if not n:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return round((centre - margin) / denominator, 4)


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks: the same definition as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate percentile_cont(fraction) WITHIN GROUP (ORDER BY expr)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _seconds(later: str, earlier: str) -> Func:
    """later - earlier in seconds (PostgreSQL), so durations sort and interpolate as numbers."""
    duration = ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())
    return Func(duration, template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=FloatField())


def duration_percentiles(qs: QuerySet, later: str, earlier: str = "created_at") -> dict[str, float | None]:
    """Median and 90th percentile of later - earlier over `qs`, in hours, in one query.

    PostgreSQL computes them in the database (percentile_cont); elsewhere (SQLite) the durations are
    read and interpolated the same way in Python."""
    if connection.vendor == "postgresql":
        seconds = _seconds(later, earlier)
        row = qs.aggregate(median=PercentileCont(seconds, 0.5), p90=PercentileCont(seconds, 0.9))
        return {"median_hours": _hours(row["median"]), "p90_hours": _hours(row["p90"])}
    values = [(b - a).total_seconds() for b, a in qs.values_list(later, earlier)]
    return {"median_hours": _hours(percentile(values, 0.5)), "p90_hours": _hours(percentile(values, 0.9))}


# --- KPIs ------------------------------------------------------------------------------------
# Every metric the summary tables keep is summed over the cells a query selects.
SUMMED = METRICS


def _sums() -> dict:
    return {name: Sum(name) for name in SUMMED}


def derived(row: dict) -> dict:
    """The rates and averages of one group of summed summary columns."""
    totals = {name: row.get(name) or 0 for name in SUMMED}
    return {
        "received": totals["received"],
        "resolved": totals["resolved"],
        "closed": totals["closed"],
        "rejected": totals["rejected"],
        "reopened": totals["reopened"],
        "escalated": totals["escalated"],
        "sla_compliance": ratio(totals["resolved_within_sla"], totals["resolved_with_sla"]),
        "sla_sample": totals["resolved_with_sla"],
        "avg_first_action_hours": _hours(ratio(totals["first_action_seconds"], totals["first_action_count"])),
        "avg_resolution_hours": _hours(ratio(totals["resolution_seconds"], totals["resolved"])),
        "avg_rating": ratio(totals["rating_sum"], totals["rating_count"]),
        "rating_high_share": ratio(totals["rating_high_count"], totals["rating_count"]),
        "rating_count": totals["rating_count"],
        "feedback_response_rate": ratio(totals["rating_count"], totals["closed"]),
    }


def _first_actions(qs: QuerySet, start: dt.datetime, end: dt.datetime) -> QuerySet:
    return qs.annotate(first_action_at=Min("events__created_at", filter=Q(events__action__in=FIRST_ACTIONS))).filter(
        first_action_at__gte=start, first_action_at__lt=end
    )


def live_figures(scope: Scope, filters: Filters, now: dt.datetime | None = None) -> dict:
    """Open, overdue and the backlog by age, now (one query)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    backlog = {}
    for index, (_label, low, high) in enumerate(BACKLOG_BUCKETS):
        # Age in whole local days: filed on or before `today - low` (and after `today - high`).
        _, newest = local_bounds(today - dt.timedelta(days=low), today - dt.timedelta(days=low))
        condition = Q(created_at__lt=newest)
        if high is not None:
            oldest, _ = local_bounds(today - dt.timedelta(days=high - 1), today)
            condition &= Q(created_at__gte=oldest)
        backlog[f"backlog_{index}"] = Count("pk", filter=condition)
    row = (
        complaints(scope, filters)
        .open()
        .aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(sla_due_at__lt=now)), **backlog)
    )
    return {
        "open": row.pop("open"),
        "overdue": row.pop("overdue"),
        "backlog_age": [
            {"bucket": label, "count": row[f"backlog_{index}"]} for index, (label, _, _) in enumerate(BACKLOG_BUCKETS)
        ],
    }


def kpis(scope: Scope, filters: Filters, now: dt.datetime | None = None) -> dict:
    """Every KPI of the issue for a period and scope, in four queries (five on SQLite's portable path)."""
    start, end = local_bounds(filters.since, filters.until)
    figures = period_figures(scope, filters)
    figures.update(live_figures(scope, filters, now))
    raw = complaints(scope, filters)
    figures["resolution_time"] = duration_percentiles(
        raw.filter(resolved_at__gte=start, resolved_at__lt=end), "resolved_at"
    )
    figures["first_action_time"] = duration_percentiles(_first_actions(raw, start, end), "first_action_at")
    return figures


# --- trends ----------------------------------------------------------------------------------
TREND_METRICS = (
    "received",
    "resolved",
    "closed",
    "rejected",
    "reopened",
    "escalated",
    "sla_compliance",
    "avg_resolution_hours",
    "avg_rating",
)


def _bucket_start(day: dt.date, granularity: str) -> dt.date:
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def _buckets(since: dt.date, until: dt.date, granularity: str) -> list[dt.date]:
    starts, day = [], _bucket_start(since, granularity)
    while day <= until:
        starts.append(day)
        day = (
            day + dt.timedelta(days=1 if granularity == "day" else 7)
            if granularity != "month"
            else (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        )
    return starts


def _series(rows: dict[dt.date, dict], starts: list[dt.date]) -> list[dict]:
    return [{"period": start, **{k: derived(rows.get(start, {}))[k] for k in TREND_METRICS}} for start in starts]


def trends(scope: Scope, filters: Filters, granularity: str = "day") -> dict:
    """Each trend metric per day, week (from Monday) or month, for the period and the one before (one query)."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}")
    previous = filters.previous()
    both = Filters(**{**filters.__dict__, "since": previous.since})
    bucket = {"day": F("day"), "week": TruncWeek("day"), "month": TruncMonth("day")}[granularity]
    current_rows: dict[dt.date, dict] = {}
    previous_rows: dict[dt.date, dict] = {}
    # Bucket current and previous days separately: a week may straddle the two periods.
    for row in (
        summaries(scope, both)
        .annotate(bucket=bucket, is_current=Q(day__gte=filters.since))
        .values("bucket", "is_current")
        .annotate(**_sums())
        .order_by()
    ):
        period = row["bucket"]
        period = period.date() if isinstance(period, dt.datetime) else period
        (current_rows if row["is_current"] else previous_rows)[period] = row
    current = _series(current_rows, _buckets(filters.since, filters.until, granularity))
    before = _series(previous_rows, _buckets(previous.since, previous.until, granularity))
    return {
        "granularity": granularity,
        "since": filters.since,
        "until": filters.until,
        "previous_since": previous.since,
        "previous_until": previous.until,
        "current": current,
        "previous": before,
    }


# --- team performance ------------------------------------------------------------------------
def period_figures(scope: Scope, filters: Filters) -> dict:
    """The flows of the period (received, resolved, SLA, ratings, ...) from the summaries: one query."""
    return derived(summaries(scope, filters).aggregate(**_sums()))


def department_figures(scope: Scope, filters: Filters, now: dt.datetime | None = None) -> list[dict]:
    """Per department: the period's flows (summaries) and open and overdue now (raw); three queries."""
    now = now or timezone.now()
    names = dict(Department.objects.values_list("id", "name"))
    by_department = {
        row["department_id"]: row
        for row in summaries(scope, filters).values("department_id").annotate(**_sums()).order_by()
    }
    open_rows = {
        row["department_id"]: row
        for row in complaints(scope, filters)
        .open()
        .values("department_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(sla_due_at__lt=now)))
        .order_by()
    }
    rows = []
    for department_id in sorted(set(by_department) | set(open_rows), key=lambda pk: names.get(pk, "") if pk else ""):
        figures = derived(by_department.get(department_id, {}))
        live = open_rows.get(department_id, {})
        rows.append(
            {
                "department_id": department_id,
                "department": names.get(department_id, "Not yet routed"),
                "open": live.get("open", 0),
                "overdue": live.get("overdue", 0),
                **{
                    key: figures[key]
                    for key in (
                        "received",
                        "resolved",
                        "sla_compliance",
                        "avg_resolution_hours",
                        "avg_rating",
                        "rating_count",
                    )
                },
            }
        )
    return rows


def team(scope: Scope, filters: Filters, now: dt.datetime | None = None) -> dict:
    """Per department (summaries, plus open and overdue now) and per officer (raw): five queries."""
    now = now or timezone.now()
    start, end = local_bounds(filters.since, filters.until)
    return {
        "departments": department_figures(scope, filters, now),
        "officers": _officers(complaints(scope, filters), start, end, now),
    }


def _officers(raw: QuerySet, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[dict]:
    resolved_in_period = Q(resolved_at__gte=start, resolved_at__lt=end)
    rated = Q(feedback__created_at__gte=start, feedback__created_at__lt=end)
    rows = list(
        raw.filter(assignee__isnull=False)
        .values("assignee_id", "assignee__full_name", "assignee__department__name")
        .annotate(
            assigned=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, sla_due_at__lt=now)),
            resolved=Count("pk", filter=resolved_in_period),
            rating_sum=Sum("feedback__rating", filter=rated),
            rating_count=Count("feedback", filter=rated),
        )
        .order_by("assignee__full_name", "assignee_id")
    )
    medians = _median_by_assignee(raw.filter(resolved_in_period, assignee__isnull=False))
    return [
        {
            "officer_id": row["assignee_id"],
            "officer": row["assignee__full_name"],
            "department": row["assignee__department__name"],
            "assigned": row["assigned"],
            "open": row["open"],
            "overdue": row["overdue"],
            "resolved": row["resolved"],
            "median_resolution_hours": medians.get(row["assignee_id"]),
            "avg_rating": ratio(row["rating_sum"], row["rating_count"]),
            "rating_count": row["rating_count"],
        }
        for row in rows
        if row["assigned"] or row["open"] or row["resolved"]
    ]


def _median_by_assignee(qs: QuerySet) -> dict[int, float | None]:
    if connection.vendor == "postgresql":
        rows = (
            qs.values("assignee_id")
            .annotate(median=PercentileCont(_seconds("resolved_at", "created_at"), 0.5))
            .order_by()
        )
        return {row["assignee_id"]: _hours(row["median"]) for row in rows}
    durations: dict[int, list[float]] = {}
    for assignee_id, resolved_at, created_at in qs.values_list("assignee_id", "resolved_at", "created_at"):
        durations.setdefault(assignee_id, []).append((resolved_at - created_at).total_seconds())
    return {pk: _hours(statistics.median(values)) for pk, values in durations.items()}


# --- heatmap ---------------------------------------------------------------------------------
def heatmap(scope: Scope, filters: Filters, cell_degrees: float = HEATMAP_CELL_DEGREES) -> dict:
    """Complaints received in the period by map cell (raw, located ones) and by ward (summaries): two queries."""
    start, end = local_bounds(filters.since, filters.until)
    cells = (
        complaints(scope, filters)
        .filter(created_at__gte=start, created_at__lt=end, latitude__isnull=False, longitude__isnull=False)
        .annotate(
            cell_lat=Floor(ExpressionWrapper(F("latitude") / cell_degrees, output_field=FloatField())),
            cell_lng=Floor(ExpressionWrapper(F("longitude") / cell_degrees, output_field=FloatField())),
        )
        .values("cell_lat", "cell_lng")
        .annotate(count=Count("pk"))
        .order_by("-count", "cell_lat", "cell_lng")
    )
    wards = (
        summaries(scope, filters, by_ward=True)
        .values("ward")
        .annotate(received=Sum("received"), resolved=Sum("resolved"), escalated=Sum("escalated"))
        .filter(received__gt=0)
        .order_by("-received", "ward")
    )
    return {
        "cell_degrees": cell_degrees,
        "cells": [
            {
                # The cell's centre.
                "latitude": round((int(cell["cell_lat"]) + 0.5) * cell_degrees, 6),
                "longitude": round((int(cell["cell_lng"]) + 0.5) * cell_degrees, 6),
                "count": cell["count"],
            }
            for cell in cells
        ],
        "wards": [
            {"ward": row["ward"] or "(no ward)", **{k: row[k] for k in ("received", "resolved", "escalated")}}
            for row in wards
        ],
    }


# --- rankings --------------------------------------------------------------------------------
RANKING_METHOD = (
    "Departments are ranked by the lower bound of the 95% Wilson score interval of the proportion: "
    "for SLA compliance, complaints resolved within their due time out of those resolved that had one; "
    "for satisfaction, ratings of 4 or 5 out of all ratings. A small sample's bound is low, so a "
    "department with few cases never outranks one with many by chance. Departments with no cases "
    "are listed last, unranked."
)


def _ranked(rows: list[dict], bound_key: str) -> list[dict]:
    ordered = sorted(rows, key=lambda row: (row[bound_key] is None, -(row[bound_key] or 0), row["department"]))
    rank = 0
    for row in ordered:
        if row[bound_key] is not None:
            rank += 1
            row["rank"] = rank
        else:
            row["rank"] = None
    return ordered


def rankings(scope: Scope, filters: Filters) -> dict:
    """Departments ranked on SLA compliance and on satisfaction, with sample sizes (two queries)."""
    names = dict(Department.objects.values_list("id", "name"))
    rows = (
        summaries(scope, filters)
        .filter(department__isnull=False)
        .values("department_id")
        .annotate(
            with_sla=Sum("resolved_with_sla"),
            within_sla=Sum("resolved_within_sla"),
            ratings=Sum("rating_count"),
            high=Sum("rating_high_count"),
        )
        .order_by()
    )
    sla, satisfaction = [], []
    for row in rows:
        name = names.get(row["department_id"], "")
        sla.append(
            {
                "department_id": row["department_id"],
                "department": name,
                "sample": row["with_sla"] or 0,
                "share": ratio(row["within_sla"], row["with_sla"]),
                "lower_bound": wilson_lower_bound(row["within_sla"] or 0, row["with_sla"] or 0),
            }
        )
        satisfaction.append(
            {
                "department_id": row["department_id"],
                "department": name,
                "sample": row["ratings"] or 0,
                "share": ratio(row["high"], row["ratings"]),
                "lower_bound": wilson_lower_bound(row["high"] or 0, row["ratings"] or 0),
            }
        )
    return {
        "method": RANKING_METHOD,
        "sla_compliance": _ranked(sla, "lower_bound"),
        "satisfaction": _ranked(satisfaction, "lower_bound"),
    }
