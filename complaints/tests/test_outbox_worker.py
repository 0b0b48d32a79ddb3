"""The outbox with a real Celery worker on Redis: after-commit dispatch, and recovery after the
broker was down during a change. Every event reaches the consumer exactly once."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from complaints import outbox
from complaints.models import ComplaintEvent
from complaints.tests.factories import file_complaint

REDIS_URL = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not REDIS_URL.startswith("redis"), reason="REDIS_URL is not set: no Redis broker to test"),
]


@pytest.fixture
def recorder():
    seen: Counter[int] = Counter()
    outbox.register_consumer("test.worker-recorder", seen.update)
    yield seen
    outbox.unregister_consumer("test.worker-recorder")


def _wait_dispatched(event_id: int, seconds: float = 20) -> ComplaintEvent:
    deadline = time.monotonic() + seconds
    event = ComplaintEvent.objects.get(pk=event_id)
    while event.dispatched_at is None and time.monotonic() < deadline:
        time.sleep(0.1)
        event.refresh_from_db()
    return event


def test_a_real_worker_dispatches_a_committed_change_once(celery_conf, recorder):
    from celery.contrib.testing.worker import start_worker

    from complaints.tasks import dispatch_events

    citizen = UserFactory(role=Role.CITIZEN)
    app = celery_conf(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        complaint = file_complaint(citizen)  # commits; on_commit queues dispatch_events on Redis
        event_id = ComplaintEvent.objects.get(complaint=complaint).pk
        assert _wait_dispatched(event_id).dispatched_at is not None
        # A duplicated message (a redelivery after a worker restart) changes nothing.
        assert dispatch_events.apply_async(([event_id],), ignore_result=False).get(timeout=20) == {
            "dispatched": 0,
            "failed": 0,
        }
    assert recorder == Counter({event_id: 1})


def test_broker_down_during_a_change_then_the_sweep_on_a_real_worker_delivers_once(celery_conf, recorder):
    from celery.contrib.testing.worker import start_worker

    from complaints.tasks import dispatch_missed_events

    citizen = UserFactory(role=Role.CITIZEN)
    # Nothing listens on port 1: publishing fails at once (no retries), the change still commits.
    celery_conf(broker_url="redis://127.0.0.1:1/0", task_always_eager=False, task_publish_retry=False)
    complaint = file_complaint(citizen)
    event = ComplaintEvent.objects.get(complaint=complaint)
    assert event.dispatched_at is None and recorder == Counter()
    # A minute later the broker is back and the beat sweep runs on a worker.
    ComplaintEvent.objects.filter(pk=event.pk).update(created_at=event.created_at - dt.timedelta(minutes=2))
    app = celery_conf(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert dispatch_missed_events.apply_async(ignore_result=False).get(timeout=20)["dispatched"] == 1
        assert dispatch_missed_events.apply_async(ignore_result=False).get(timeout=20)["dispatched"] == 0
    assert recorder == Counter({event.pk: 1})
