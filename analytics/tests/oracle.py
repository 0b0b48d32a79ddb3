"""The figures computed the obvious way, straight from raw complaints, events and feedback.

Deliberately independent of analytics.summaries and analytics.selectors: plain counts with explicit
filters, and durations computed in Python. Tests compare what the product shows against this.
"""

import datetime as dt
import statistics

from django.db.models import F, Sum

from analytics.selectors import percentile
from analytics.summaries import FIRST_ACTIONS, local_bounds
from complaints.models import Complaint, ComplaintEvent, Feedback, Status


def figures(complaints, since: dt.date, until: dt.date) -> dict:
    start, end = local_bounds(since, until)
    resolved = complaints.filter(resolved_at__gte=start, resolved_at__lt=end)
    events = ComplaintEvent.objects.filter(complaint__in=complaints, created_at__gte=start, created_at__lt=end)
    feedback = Feedback.objects.filter(complaint__in=complaints, created_at__gte=start, created_at__lt=end)
    first: dict[int, dt.datetime] = {}
    for complaint_id, at in ComplaintEvent.objects.filter(
        complaint__in=complaints, action__in=FIRST_ACTIONS
    ).values_list("complaint_id", "created_at"):
        first[complaint_id] = min(at, first.get(complaint_id, at))
    created = dict(complaints.values_list("pk", "created_at"))
    first_waits = [(at - created[pk]).total_seconds() for pk, at in first.items() if start <= at < end]
    resolutions = [(r - c).total_seconds() for r, c in resolved.values_list("resolved_at", "created_at")]
    rating_count = feedback.count()
    return {
        "received": complaints.filter(created_at__gte=start, created_at__lt=end).count(),
        "resolved": resolved.count(),
        "closed": complaints.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end).count(),
        "rejected": complaints.filter(status=Status.REJECTED, closed_at__gte=start, closed_at__lt=end).count(),
        "reopened": events.filter(action="reopen").count(),
        "escalated": events.filter(action="escalate").count(),
        "resolved_with_sla": resolved.filter(sla_due_at__isnull=False).count(),
        "resolved_within_sla": resolved.filter(resolved_at__lte=F("sla_due_at")).count(),
        "first_action_count": len(first_waits),
        "first_action_mean": statistics.mean(first_waits) if first_waits else None,
        "first_action_median": percentile(first_waits, 0.5),
        "first_action_p90": percentile(first_waits, 0.9),
        "resolution_mean": statistics.mean(resolutions) if resolutions else None,
        "resolution_median": percentile(resolutions, 0.5),
        "resolution_p90": percentile(resolutions, 0.9),
        "rating_count": rating_count,
        "rating_sum": feedback.aggregate(total=Sum("rating"))["total"] or 0,
        "rating_high_count": feedback.filter(rating__gte=4).count(),
    }


def open_now(complaints, now: dt.datetime) -> dict:
    open_ = complaints.filter(status__in=("new", "triaged", "in_progress", "escalated"))
    return {"open": open_.count(), "overdue": open_.filter(sla_due_at__lt=now).count()}


def all_complaints():
    return Complaint.objects.all()
