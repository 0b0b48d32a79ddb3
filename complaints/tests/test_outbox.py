"""The event outbox: every committed timeline event reaches every consumer, once, whatever fails.

A recording consumer stands in for notifications, analytics and channels; the notification
consumer's own idempotency is tested with the notifications.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from complaints import outbox, services
from complaints.models import ComplaintEvent
from complaints.tests.factories import file_complaint


class Recorder:
    def __init__(self):
        self.seen: Counter[int] = Counter()
        self.fail = False

    def __call__(self, event_ids: list[int]) -> None:
        if self.fail:
            raise RuntimeError("consumer down")
        self.seen.update(event_ids)


@pytest.fixture
def recorder():
    consumer = Recorder()
    outbox.register_consumer("test.recorder", consumer)
    yield consumer
    outbox.unregister_consumer("test.recorder")


def later(minutes=2):
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_a_committed_change_is_dispatched_after_commit(
    recorder, citizen, category_infrastructure, sla_default, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(citizen, category=category_infrastructure)
    event = ComplaintEvent.objects.get(complaint=complaint)
    assert recorder.seen == Counter({event.pk: 1})
    event.refresh_from_db()
    assert event.dispatched_at is not None
    # The sweep finds nothing left to do.
    assert outbox.dispatch_missed(now=later()) == {"dispatched": 0, "failed": 0}
    assert recorder.seen[event.pk] == 1


def test_a_rolled_back_change_dispatches_nothing(recorder, citizen, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        file_complaint(citizen, title="")  # refused: no title
    assert callbacks == []
    assert not ComplaintEvent.objects.exists()


def test_broker_down_the_change_stands_and_the_sweep_delivers_once(
    recorder, citizen, monkeypatch, django_capture_on_commit_callbacks
):
    from complaints import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.dispatch_events, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(citizen)
    event = ComplaintEvent.objects.get(complaint=complaint)
    assert recorder.seen == Counter()
    assert event.dispatched_at is None
    # Inside the grace period the sweep leaves it to the after-commit dispatch.
    assert outbox.dispatch_missed()["dispatched"] == 0
    assert outbox.dispatch_missed(now=later())["dispatched"] == 1
    assert outbox.dispatch_missed(now=later(3))["dispatched"] == 0
    assert recorder.seen == Counter({event.pk: 1})


def test_a_process_that_dies_between_commit_and_dispatch_loses_nothing(
    recorder, citizen, django_capture_on_commit_callbacks
):
    # The after-commit callbacks never run: the process is gone.
    with django_capture_on_commit_callbacks(execute=False):
        complaint = file_complaint(citizen)
        services.comment_add(complaint=complaint, author=citizen, body="Any news?")
    ids = set(ComplaintEvent.objects.values_list("pk", flat=True))
    assert len(ids) == 2 and recorder.seen == Counter()
    assert outbox.dispatch_missed(now=later()) == {"dispatched": 2, "failed": 0}
    assert recorder.seen == Counter({pk: 1 for pk in ids})


def test_a_failing_consumer_is_retried_by_the_sweep_and_others_are_not_lost(
    recorder, citizen, django_capture_on_commit_callbacks
):
    recorder.fail = True
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(citizen)
    event = ComplaintEvent.objects.get(complaint=complaint)
    event.refresh_from_db()
    assert event.dispatched_at is None and event.dispatch_claimed_at is None
    recorder.fail = False
    assert outbox.dispatch_missed(now=later())["dispatched"] == 1
    assert recorder.seen == Counter({event.pk: 1})


def test_a_dispatcher_that_died_mid_batch_is_taken_over_after_its_lease(recorder, citizen):
    complaint = file_complaint(citizen)
    event = ComplaintEvent.objects.get(complaint=complaint)
    # A worker claimed the event and was killed before finishing.
    ComplaintEvent.objects.filter(pk=event.pk).update(dispatch_claimed_at=timezone.now())
    assert outbox.dispatch([event.pk])["dispatched"] == 0  # still within its lease: hands off
    assert outbox.dispatch_missed(now=later())["dispatched"] == 0
    after_lease = timezone.now() + outbox.CLAIM_LEASE + dt.timedelta(minutes=1)
    assert outbox.dispatch_missed(now=after_lease)["dispatched"] == 1
    assert recorder.seen == Counter({event.pk: 1})


def test_dispatching_the_same_events_twice_runs_the_consumers_once(recorder, citizen):
    complaint = file_complaint(citizen)
    ids = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("pk", flat=True))
    assert outbox.dispatch(ids)["dispatched"] == 1
    assert outbox.dispatch(ids)["dispatched"] == 0
    assert recorder.seen == Counter({ids[0]: 1})


def test_the_outbox_sweep_task_is_on_the_beat_schedule(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="complaints.tasks.dispatch_missed_events")
    assert task.enabled and task.interval.every == 1 and task.interval.period == "minutes"


# --- the per-process publisher (OUTBOX_PUBLISH_INTERVAL_MS) ----------------------------------------
@pytest.fixture
def non_eager(settings):
    from grievance.celery import app

    settings.OUTBOX_PUBLISH_INTERVAL_MS = 30
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


def _wait(predicate, timeout=5.0):
    import time

    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_commits_within_the_interval_share_one_message(
    non_eager, citizen, monkeypatch, django_capture_on_commit_callbacks
):
    from complaints import tasks

    messages = []
    monkeypatch.setattr(tasks.dispatch_events, "delay", lambda ids: messages.append(list(ids)))
    complaints = []
    for n in range(5):  # five changes committed one after the other
        with django_capture_on_commit_callbacks(execute=True):
            complaints.append(file_complaint(citizen, title=f"Issue {n}"))
    events = sorted(ComplaintEvent.objects.filter(complaint__in=complaints).values_list("pk", flat=True))
    assert _wait(lambda: sum(len(ids) for ids in messages) == 5)
    assert sorted(pk for ids in messages for pk in ids) == events
    assert len(messages) < 5  # coalesced (one, unless the interval ended between two commits)


def test_a_message_carries_at_most_max_ids(non_eager, monkeypatch):
    from complaints import tasks

    messages = []
    monkeypatch.setattr(tasks.dispatch_events, "delay", lambda ids: messages.append(list(ids)))
    outbox._publish(list(range(1, outbox.MAX_MESSAGE_IDS + 3)))
    assert _wait(lambda: len(messages) == 2)
    assert [len(ids) for ids in messages] == [outbox.MAX_MESSAGE_IDS, 2]


def test_broker_down_in_the_publisher_leaves_the_events_to_the_sweep(
    non_eager, recorder, citizen, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from complaints import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.dispatch_events, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file_complaint(citizen)
    assert _wait(lambda: "could not queue events" in caplog.text)
    event = ComplaintEvent.objects.get(complaint=complaint)
    assert event.dispatched_at is None and recorder.seen == Counter()
    assert outbox.dispatch_missed(now=later())["dispatched"] == 1
    assert recorder.seen == Counter({event.pk: 1})


def test_pending_ids_are_sent_at_exit(monkeypatch):
    from complaints import tasks

    messages = []
    monkeypatch.setattr(tasks.dispatch_events, "delay", lambda ids: messages.append(list(ids)))
    publisher = outbox._Publisher()
    publisher._pending = [7, 8]  # submitted, the interval not over yet, then the process exits
    publisher.flush()  # what atexit runs
    assert messages == [[7, 8]] and publisher._pending == []
