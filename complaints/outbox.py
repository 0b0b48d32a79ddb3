"""The event outbox: every committed ComplaintEvent is handed to registered consumers.

The timeline row is the outbox. Services write events inside their transaction; after commit the
ids go to `complaints.tasks.dispatch_events`, which calls every consumer with them. A periodic sweep
hands over events that were never dispatched (broker down, worker killed, process died between
commit and dispatch). Consumers therefore see an id more than once and in any order: each must be
idempotent. A consumer that raises makes the batch retry later; the others have still done their
part and will simply see the ids again.

Apps register consumers in their AppConfig.ready():

    from complaints.outbox import register_consumer
    register_consumer("analytics.summaries", update_summaries_for_events)

`handler(event_ids: list[int]) -> None` receives ids of committed events.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

EventHandler = Callable[[list[int]], None]

_consumers: dict[str, EventHandler] = {}


def register_consumer(name: str, handler: EventHandler) -> None:
    """Register (or replace, by name) a consumer of committed complaint events."""
    _consumers[name] = handler


def unregister_consumer(name: str) -> None:
    _consumers.pop(name, None)


def registered_consumers() -> dict[str, EventHandler]:
    """Name -> handler, in registration order."""
    return dict(_consumers)


def run_consumers(event_ids: Sequence[int]) -> dict[str, Exception]:
    """Call every consumer with `event_ids`; returns {name: error} for those that raised."""
    ids = list(event_ids)
    failures: dict[str, Exception] = {}
    for name, handler in registered_consumers().items():
        try:
            handler(ids)
        except Exception as error:  # each consumer fails alone; the batch is retried for all
            failures[name] = error
    return failures


# --- dispatch ----------------------------------------------------------------------------------
# A dispatcher's claim on an event lasts this long; after it, a crashed dispatcher's events are
# claimed again by the sweep.
CLAIM_LEASE = dt.timedelta(minutes=5)
# The sweep leaves fresh events to the after-commit dispatch and takes what is older than this.
SWEEP_GRACE = dt.timedelta(minutes=1)


def dispatch_on_commit(event_ids: Sequence[int]) -> None:
    """After the current transaction commits, hand `event_ids` to the consumers (one Celery message).

    Writers of many events (the sweep) pass them together. If the transaction rolls back nothing is
    sent; if the broker is unreachable the change still stands: the events stay undispatched and the
    outbox sweep takes them a minute later.
    """
    ids = list(event_ids)
    transaction.on_commit(lambda: _publish(ids))


def _publish(event_ids: list[int]) -> None:
    if not event_ids:
        return
    from django.conf import settings

    from grievance.celery import app

    interval = settings.OUTBOX_PUBLISH_INTERVAL_MS
    if interval <= 0 or app.conf.task_always_eager:
        _send(event_ids)
    else:
        _publisher.submit(event_ids, interval / 1000)


def _send(event_ids: list[int]) -> None:
    from complaints.tasks import dispatch_events

    for start in range(0, len(event_ids), MAX_MESSAGE_IDS):
        chunk = event_ids[start : start + MAX_MESSAGE_IDS]
        try:
            dispatch_events.delay(chunk)
        except Exception:
            # Broker down: the change is committed and the events wait for the sweep.
            logger.warning("outbox: could not queue events %s; the outbox sweep will dispatch them", chunk[:10])


# One Celery message carries at most this many event ids (a sweep batch of 5,000 is one message).
MAX_MESSAGE_IDS = 5000


class _Publisher:
    """Coalesces one process's after-commit hand-offs into one Celery message per interval.

    Publishing a Celery message costs about as much Python as the rest of a complaint's creation;
    under load, the creates of one interval (OUTBOX_PUBLISH_INTERVAL_MS) share one message. The
    request only appends its ids to a list. If the process dies before the message goes, the events
    stay undispatched and the outbox sweep takes them (as for any process that dies after commit);
    at a normal exit what is pending is sent first.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: list[int] = []
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._interval = 0.0
        atexit.register(self.flush)

    def submit(self, event_ids: list[int], interval: float) -> None:
        with self._lock:
            self._pending.extend(event_ids)
            self._interval = interval
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                # First use in this process (a forked worker inherits no threads).
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self._interval)  # let the interval's other commits join this message
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            ids, self._pending = self._pending, []
        if ids:
            _send(ids)


_publisher = _Publisher()


def _claim(event_ids: Sequence[int], now: dt.datetime) -> list[int]:
    """Claim the undispatched events among `event_ids` with a conditional UPDATE (one winner each)."""
    from complaints.models import ComplaintEvent

    free = Q(dispatch_claimed_at__isnull=True) | Q(dispatch_claimed_at__lt=now - CLAIM_LEASE)
    with transaction.atomic():
        claimable = list(
            ComplaintEvent.objects.filter(free, pk__in=list(event_ids), dispatched_at__isnull=True)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if claimable:
            ComplaintEvent.objects.filter(pk__in=claimable).update(dispatch_claimed_at=now)
    return claimable


def dispatch(event_ids: Sequence[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every consumer on the undispatched events among `event_ids`, then mark them dispatched.

    Events already dispatched, or claimed by another dispatcher within its lease, are skipped. If a
    consumer fails, the claim is released so the sweep retries the batch (all consumers again:
    they are idempotent) after its grace period.
    """
    from complaints.models import ComplaintEvent

    now = now or timezone.now()
    claimed = _claim(event_ids, now)
    if not claimed:
        return {"dispatched": 0, "failed": 0}
    failures = run_consumers(claimed)
    if failures:
        for name, error in failures.items():
            logger.error("outbox: consumer %s failed on events %s: %r", name, claimed[:10], error)
        ComplaintEvent.objects.filter(pk__in=claimed, dispatched_at__isnull=True).update(dispatch_claimed_at=None)
        return {"dispatched": 0, "failed": len(claimed)}
    ComplaintEvent.objects.filter(pk__in=claimed).update(dispatched_at=timezone.now())
    return {"dispatched": len(claimed), "failed": 0}


def undispatched(*, now: dt.datetime | None = None):
    """Events no dispatcher has finished, older than the grace period, oldest first."""
    from complaints.models import ComplaintEvent

    now = now or timezone.now()
    return ComplaintEvent.objects.filter(dispatched_at__isnull=True, created_at__lt=now - SWEEP_GRACE).order_by(
        "created_at", "id"
    )


def dispatch_missed(*, limit: int = 5000, batch_size: int = 500, now: dt.datetime | None = None) -> dict[str, int]:
    """The outbox sweep: dispatch events left behind (broker down, worker killed, process died
    between commit and dispatch), in batches, at most `limit` per run."""
    totals = {"dispatched": 0, "failed": 0}
    last_id = 0
    seen = 0
    while seen < limit:
        ids = list(
            undispatched(now=now).filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        last_id = ids[-1]
        seen += len(ids)
        result = dispatch(ids, now=now)
        totals["dispatched"] += result["dispatched"]
        totals["failed"] += result["failed"]
    return totals
