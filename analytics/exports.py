"""CSV exports: complaints and any KPI table, streamed row by row so their size never matters."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.utils import timezone

from analytics import selectors
from analytics.summaries import local_bounds

# Complaint columns an export carries: the case, not the citizen (no names, phones or addresses).
COMPLAINT_COLUMNS = [
    ("reference", "reference"),
    ("created_at", "created_at"),
    ("status", "status"),
    ("priority", "priority"),
    ("source", "source"),
    ("department", "department__name"),
    ("category", "category__name"),
    ("ward", "ward"),
    ("escalation_level", "escalation_level"),
    ("sla_due_at", "sla_due_at"),
    ("resolved_at", "resolved_at"),
    ("closed_at", "closed_at"),
]


def _kpi_rows(scope, filters) -> tuple[list[str], Iterable[list]]:
    figures = selectors.kpis(scope, filters)
    rows = [[key, value] for key, value in figures.items() if not isinstance(value, dict | list)]
    for group in ("resolution_time", "first_action_time"):
        rows += [[f"{group}_{key}", value] for key, value in figures[group].items()]
    rows += [[f"backlog {bucket['bucket']}", bucket["count"]] for bucket in figures["backlog_age"]]
    return ["figure", "value"], rows


def _dict_rows(rows: list[dict]) -> tuple[list[str], Iterable[list]]:
    header = list(rows[0]) if rows else []
    return header, ([row[key] for key in header] for row in rows)


def _trend_rows(scope, filters, granularity="day"):
    return _dict_rows(selectors.trends(scope, filters, granularity)["current"])


# table name -> (scope, filters) -> (header, rows)
TABLES = {
    "kpis": _kpi_rows,
    "trends": _trend_rows,
    "team-departments": lambda scope, filters: _dict_rows(selectors.team(scope, filters)["departments"]),
    "team-officers": lambda scope, filters: _dict_rows(selectors.team(scope, filters)["officers"]),
    "wards": lambda scope, filters: _dict_rows(selectors.heatmap(scope, filters)["wards"]),
    "rankings-sla": lambda scope, filters: _dict_rows(selectors.rankings(scope, filters)["sla_compliance"]),
    "rankings-satisfaction": lambda scope, filters: _dict_rows(selectors.rankings(scope, filters)["satisfaction"]),
}


def complaint_rows(scope: selectors.Scope, filters: selectors.Filters) -> tuple[list[str], Iterator[list]]:
    """Complaints filed in the period that the reader may see, oldest first, read in chunks."""
    start, end = local_bounds(filters.since, filters.until)
    qs = (
        selectors.complaints(scope, filters)
        .filter(created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "pk")
        .values_list(*(field for _, field in COMPLAINT_COLUMNS))
    )

    def rows():
        for row in qs.iterator(chunk_size=2000):
            yield [
                timezone.localtime(value).isoformat() if hasattr(value, "tzinfo") and value else value for value in row
            ]

    return [name for name, _ in COMPLAINT_COLUMNS], rows()


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(["" if value is None else value for value in row])
