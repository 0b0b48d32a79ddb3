"""Celery tasks of the complaints app: thin, they call services and own their retries."""

from __future__ import annotations

import logging
import time
import uuid

from celery import shared_task
from django.core.cache import cache

from complaints import outbox
from complaints.services import sweeps

logger = logging.getLogger(__name__)

# Held while a sweep runs so beat ticks that pile up (a slow sweep, a worker restart re-delivering an
# acks_late task) do not run sweeps side by side. Only an optimisation: the sweep's row claims
# (SKIP LOCKED) already make concurrent sweeps safe. Expires on its own if a worker dies mid-sweep.
SWEEP_LOCK_KEY = "complaints:escalate-overdue:running"
SWEEP_LOCK_SECONDS = 15 * 60


@shared_task(name="complaints.tasks.escalate_overdue", acks_late=True, ignore_result=True)
def escalate_overdue(limit: int | None = None, close_resolved: bool = True) -> dict:
    """The beat task (every 5 minutes by default): escalate overdue complaints, then close resolved
    complaints whose reopen window has passed. Returns the counts."""
    token = uuid.uuid4().hex
    if not cache.add(SWEEP_LOCK_KEY, token, SWEEP_LOCK_SECONDS):
        logger.info("escalate_overdue: another sweep is running; skipping this tick")
        return {"skipped_run": True}
    started = time.perf_counter()
    try:
        # Set-based, a transaction per batch (complaints.services.sweeps); events go to the outbox.
        result = sweeps.escalate_overdue(limit=limit)
        closed = sweeps.close_expired_resolved() if close_resolved else 0
    finally:
        if cache.get(SWEEP_LOCK_KEY) == token:
            cache.delete(SWEEP_LOCK_KEY)
    counts = {
        "escalated": result.escalated,
        "at_top": result.at_top,
        "skipped": result.skipped,
        "errors": result.errors,
        "at_max_level": result.at_max_level,
        "closed": closed,
        "seconds": round(time.perf_counter() - started, 2),
    }
    logger.info("escalate_overdue: %s", counts)
    return counts


@shared_task(
    name="complaints.tasks.send_notice",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
)
def send_notice(notice_id: int) -> dict:
    """Fan a published notice out to its recipients in batches. Safe to retry or re-run: people who
    already have the notice are skipped."""
    from complaints.notices import notice_send

    notice = notice_send(notice_id=notice_id)
    return {"notice": notice.pk, "sent": notice.sent_count, "failed": notice.failed_count}


# --- the outbox ---------------------------------------------------------------------------------
@shared_task(name="complaints.tasks.dispatch_events", acks_late=True, ignore_result=True)
def dispatch_events(event_ids: list[int]) -> dict:
    """Hand committed timeline events to the outbox consumers. Safe to run twice (claims, idempotent
    consumers); a failure leaves the events for `dispatch_missed_events`."""
    return outbox.dispatch(event_ids)


@shared_task(name="complaints.tasks.dispatch_missed_events", acks_late=True, ignore_result=True)
def dispatch_missed_events(limit: int = 5000) -> dict:
    """The outbox sweep (every minute from the beat schedule): events nobody dispatched."""
    result = outbox.dispatch_missed(limit=limit)
    if result["dispatched"] or result["failed"]:
        logger.info("outbox sweep: %s", result)
    return result
