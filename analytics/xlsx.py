"""XLSX exports of complaints and KPI tables, built in the background for whoever asked.

`export_request` records an `ExportJob` and queues `analytics.tasks.build_xlsx_export` after commit;
`export_build` (the task's body) claims the job, computes the rows through the same gate as the API
(`selectors.Scope.for_user` of the requester, evaluated when the file is built), writes them with
XlsxWriter in constant-memory mode (one row in memory at a time, a new sheet every 1,048,575 rows)
and stores the file with `default_storage`. Only the requester may read the job or its file.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path

import xlsxwriter
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from analytics import exports, selectors
from analytics.api.permissions import may_read_analytics
from analytics.models import ExportJob

logger = logging.getLogger(__name__)

EXPORTABLE = ("complaints", *exports.TABLES)
# Excel's limit per worksheet, header included.
SHEET_ROWS = 1_048_576
# A job a worker started but never finished (killed mid-way) may be claimed again after this.
BUILD_LEASE = dt.timedelta(minutes=30)
FILTER_FIELDS = ("since", "until", "department", "category", "ward", "source", "priority")


def export_request(*, user, table: str, filters: selectors.Filters, granularity: str = "day") -> ExportJob:
    """Record an export of `table` ("complaints" or a KPI table) for `user` and queue its build."""
    if table not in EXPORTABLE:
        raise ValueError(f"table must be one of {EXPORTABLE}")
    parameters = {name: getattr(filters, name) for name in FILTER_FIELDS}
    parameters.update(since=filters.since.isoformat(), until=filters.until.isoformat(), granularity=granularity)
    job = ExportJob.objects.create(requested_by=user, table=table, parameters=parameters)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id) -> None:
    from analytics.tasks import build_xlsx_export

    try:
        build_xlsx_export.delay(str(job_id))
    except Exception:  # the broker is down: say so rather than leave the job pending forever
        logger.exception("could not queue XLSX export %s", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
            status=ExportJob.Status.FAILED, error="Could not be queued; please ask again.", finished_at=timezone.now()
        )


def _claim(job_id) -> bool:
    """Take the job for this worker: pending, or running past its lease. A conditional UPDATE, so two
    workers given the same job (a re-delivered message) never both build it."""
    now = timezone.now()
    claimable = Q(status=ExportJob.Status.PENDING) | Q(
        status=ExportJob.Status.RUNNING, started_at__lt=now - BUILD_LEASE
    )
    return bool(ExportJob.objects.filter(claimable, pk=job_id).update(status=ExportJob.Status.RUNNING, started_at=now))


def _cell(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def write_workbook(path: Path | str, title: str, header: list[str], rows: Iterable[list]) -> int:
    """Write header and rows to an XLSX file at `path` in constant memory; returns the rows written."""
    # Strings stay strings: a ward or a name starting with "=" must never become a formula.
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    bold = workbook.add_format({"bold": True})
    written, sheet, line = 0, None, SHEET_ROWS
    for row in rows:
        if line >= SHEET_ROWS:
            sheet = workbook.add_worksheet(f"{title[:24]} {written // (SHEET_ROWS - 1) + 1}")
            sheet.write_row(0, 0, header, bold)
            line = 1
        sheet.write_row(line, 0, [_cell(value) for value in row])
        line += 1
        written += 1
    if sheet is None:  # no rows: still a workbook with the header
        workbook.add_worksheet(f"{title[:24]} 1").write_row(0, 0, header, bold)
    workbook.close()
    return written


def table_rows(table: str, scope: selectors.Scope, filters: selectors.Filters, granularity: str):
    if table == "complaints":
        return exports.complaint_rows(scope, filters)
    if table == "trends":
        return exports.TABLES[table](scope, filters, granularity)
    return exports.TABLES[table](scope, filters)


def export_build(job_id) -> ExportJob | None:
    """Build the job's file if this worker may claim it (None otherwise: done, failed or being built)."""
    if not _claim(job_id):
        return None
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    user = job.requested_by
    if not may_read_analytics(user):  # deactivated or no longer staff since asking
        return _finish(job, status=ExportJob.Status.FAILED, error="You may no longer read analytics.")
    parameters = dict(job.parameters)
    granularity = parameters.pop("granularity", "day")
    filters = selectors.Filters(
        **{
            **parameters,
            "since": dt.date.fromisoformat(parameters["since"]),
            "until": dt.date.fromisoformat(parameters["until"]),
        }
    )
    header, rows = table_rows(job.table, selectors.Scope.for_user(user), filters, granularity)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        count = write_workbook(path, job.table, header, rows)
        with path.open("rb") as handle:
            name = default_storage.save(f"analytics/exports/{job.pk}.xlsx", File(handle))
    job.file.name = name
    job.rows = count
    return _finish(job, status=ExportJob.Status.READY)


def export_failed(job_id) -> None:
    """The build raised: record it so the requester is told instead of waiting."""
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.FAILED, error="The export failed; please ask again.", finished_at=timezone.now()
    )


def _finish(job: ExportJob, *, status: str, error: str = "") -> ExportJob:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "file", "rows"])
    return job


def download_name(job: ExportJob) -> str:
    return f"{job.table}-{job.parameters.get('since')}-{job.parameters.get('until')}.xlsx"
