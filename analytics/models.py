"""The daily summary table: what the dashboards read instead of a million raw complaints.

One row per local date x department x category x ward x source x priority, holding the counts and
duration sums every KPI needs. Each figure is dated by when it happened (received on the filing
date, resolved on the resolution date, ...) and keyed by the complaint's *current* classification,
so a row always equals a direct count over the raw complaints (see `analytics.summaries`).
Rows are derived data: rebuilt from raw rows, never edited by hand. `DepartmentDaySummary` is the
same figures rolled up to date x department, for the dashboards that filter on nothing finer.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class SummaryCounts(models.Model):
    """The counts and duration sums every KPI needs; shared by the summary tables."""

    # Counted on the day it happened.
    received = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    # Of those resolved that day: how many had a due time, and how many met it.
    resolved_with_sla = models.PositiveIntegerField(default=0)
    resolved_within_sla = models.PositiveIntegerField(default=0)
    # Durations in seconds; the count of first actions is its own column, the count of
    # resolutions is `resolved`.
    first_action_count = models.PositiveIntegerField(default=0)
    first_action_seconds = models.FloatField(default=0)
    resolution_seconds = models.FloatField(default=0)
    # Citizen feedback, dated by when it was given.
    rating_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_high_count = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DailySummary(SummaryCounts):
    day = models.DateField()
    department = models.ForeignKey(
        "departments.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "departments.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ward = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=8)
    priority = models.CharField(max_length=8)

    class Meta:
        verbose_name = "daily summary"
        verbose_name_plural = "daily summaries"
        indexes = [
            # Every dashboard query is "a date range, maybe some departments".
            models.Index(fields=["day", "department"], name="summary_day_department"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id}/{self.category_id}/{self.ward}/{self.source}/{self.priority}"


class DepartmentDaySummary(SummaryCounts):
    """The daily summaries rolled up to date x department: what an unfiltered dashboard reads.

    Written by `analytics.summaries.rebuild` in the same transaction as the daily rows of those
    dates (a GROUP BY over them), so it always equals their sum. A dashboard filtered by category,
    ward, source or priority reads the daily table instead."""

    day = models.DateField()
    department = models.ForeignKey(
        "departments.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = "department day summary"
        verbose_name_plural = "department day summaries"
        indexes = [models.Index(fields=["day", "department"], name="dept_summary_day_department")]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id}"


class SummaryDay(models.Model):
    """One row per summarised date: locked while that date's rows are replaced, so two rebuilds
    (the command and the outbox consumer) never interleave their delete and insert."""

    day = models.DateField(primary_key=True)
    rebuilt_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.day)


class ExportJob(models.Model):
    """An XLSX export asked for by one staff member, built in the background (`analytics.xlsx`).

    Only the requester may see its status or download its file. The figures go through the same
    gate as the API, evaluated for the requester when the file is built."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Being written"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # "complaints" or one of analytics.exports.TABLES.
    table = models.CharField(max_length=32)
    # The validated filters (dates as ISO strings) and, for trends, the granularity.
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="analytics/exports/", blank=True)
    rows = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="export_requester_recent")]

    def __str__(self) -> str:
        return f"{self.table} export {self.pk} ({self.status})"
