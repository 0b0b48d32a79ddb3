"""A year of demo history so the dashboard means something to a new user (`manage.py seed`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from analytics.history import HISTORY_PREFIX, generate_history, plan_from_database
from analytics.summaries import rebuild_range
from complaints.models import Complaint

DEMO_HISTORY_DAYS = 365


def seed_demo_history(*, stdout=None, count: int | None = None, days: int = DEMO_HISTORY_DAYS) -> dict:
    """Write a year of generated complaints (once; `count` defaults to the setting
    ANALYTICS_DEMO_HISTORY_COMPLAINTS) and rebuild the summaries of that year.

    Idempotent: history already present (references starting with HISTORY_PREFIX) is not written
    again; the rebuild is idempotent anyway. Returns {"created": n, "summary_rows": m}.
    """
    count = settings.ANALYTICS_DEMO_HISTORY_COMPLAINTS if count is None else count
    created = 0
    if count and not Complaint.objects.filter(reference__startswith=HISTORY_PREFIX).exists():
        plan = plan_from_database()
        if plan is not None:
            created = generate_history(plan, count=count, days=days)
    today = timezone.localdate()
    rows = rebuild_range(today - dt.timedelta(days=days + 1), today, chunk_days=days + 2)
    if stdout is not None:
        stdout.write(f"  demo history: {created} complaints written, {rows} summary rows rebuilt")
    return {"created": created, "summary_rows": rows}
