"""The SLA sweep (`complaints.services.sweeps.escalate_overdue`), its command and Celery task, and the
auto-close of resolved complaints whose reopen window has passed."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from complaints import services
from complaints.models import Complaint, ComplaintEvent, Escalation, Feedback, Status
from complaints.services import escalation as escalation_service
from complaints.services import sweeps
from complaints.tests.factories import file_complaint, in_progress_complaint
from departments.tests.factories import EscalationStepFactory

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def _overdue(complaint: Complaint, *, by: dt.timedelta = HOUR) -> Complaint:
    Complaint.objects.filter(pk=complaint.pk).update(sla_due_at=timezone.now() - by)
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def manager_corporation(dept_corporation):
    user = UserFactory(role=Role.MANAGER, department=dept_corporation, full_name="Kiran Corporation Manager")
    dept_corporation.manager = user
    dept_corporation.save(update_fields=["manager"])
    return user


@pytest.fixture
def working(citizen, dispatcher, officer_roads, category_potholes, sla_default, manager_public_works):
    """Make in-progress Roads complaints (Alice's), the common case for the sweep."""

    def _make(n: int = 1, **kwargs) -> list[Complaint]:
        return [
            in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
            for _ in range(n)
        ]

    return _make


def test_sweep_escalates_exactly_the_overdue_open_complaints(
    working, citizen, dispatcher, officer_roads, pothole, closure_reason_spam
):
    overdue, not_yet_due, resolved, closed = working(4)
    _overdue(overdue)
    Complaint.objects.filter(pk=not_yet_due.pk).update(sla_due_at=timezone.now() + HOUR)
    services.complaint_resolve(complaint=resolved, actor=officer_roads, note="Filled")
    _overdue(resolved)
    services.complaint_resolve(complaint=closed, actor=officer_roads, note="Filled")
    services.complaint_close(complaint=closed, actor=citizen, rating=5)
    _overdue(closed)
    rejected = file_complaint(citizen, title="Spam")
    services.complaint_reject(complaint=rejected, actor=dispatcher, closure_reason=closure_reason_spam)
    _overdue(rejected)
    # Filed without a category: new, no department, nobody to escalate to (even with a due time).
    unrouted = _overdue(file_complaint(citizen, title="Something is wrong"))
    # Routed at filing (new, with a department) and never triaged: its SLA clock runs too.
    new_routed = _overdue(pothole)

    result = sweeps.escalate_overdue()

    assert (result.escalated, result.skipped, result.errors) == (2, 0, 0)
    escalated = set(Complaint.objects.filter(escalation_level=1).values_list("pk", flat=True))
    assert escalated == {overdue.pk, new_routed.pk}
    for untouched in (not_yet_due, resolved, closed, rejected, unrouted):
        before_status = untouched.status
        untouched.refresh_from_db()
        assert (untouched.escalation_level, untouched.status) == (0, before_status)
    assert Escalation.objects.count() == 2


def test_escalation_climbs_the_tree_and_stays_at_the_top_with_its_manager(
    working, dept_roads, dept_public_works, dept_corporation, manager_public_works, manager_corporation, officer_roads
):
    (complaint,) = working(1)
    steps = []
    for _ in range(4):
        _overdue(complaint)
        steps.append(sweeps.escalate_overdue())
        complaint.refresh_from_db()

    # Roads -> Public Works (level 1) -> Corporation (level 2) -> stays at Corporation (level 3).
    departments = [(e.from_department.code, e.to_department.code, e.to_level) for e in complaint.escalations.all()]
    assert departments == [
        ("roads", "public-works", 1),
        ("public-works", "municipal-corporation", 2),
        ("municipal-corporation", "municipal-corporation", 3),
    ]
    assert [s.escalated for s in steps] == [1, 1, 1, 0]
    assert [s.at_top for s in steps] == [0, 0, 1, 0]
    assert complaint.department == dept_corporation
    assert complaint.assignee == manager_corporation
    assert complaint.status == Status.ESCALATED
    # Level 3 is the highest of the default policy: the fourth sweep leaves it with the top manager.
    assert complaint.escalation_level == 3
    assert steps[3].at_max_level == 1


def test_new_due_time_escalation_record_and_event_follow_the_policy(working, dept_public_works, manager_public_works):
    EscalationStepFactory(department=dept_public_works, level=1, hours=10)
    complaint = _overdue(working(1)[0])
    now = timezone.now()

    sweeps.escalate_overdue(now=now)

    complaint.refresh_from_db()
    assert complaint.sla_due_at == now + dt.timedelta(hours=10)
    assert complaint.department == dept_public_works
    assert complaint.assignee == manager_public_works
    record = Escalation.objects.get(complaint=complaint)
    assert (record.kind, record.from_level, record.to_level, record.actor) == (Escalation.Kind.AUTOMATIC, 0, 1, None)
    assert record.from_department.code == "roads"
    event = ComplaintEvent.objects.filter(complaint=complaint).latest("id")
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "escalate",
        None,
        Status.IN_PROGRESS,
        Status.ESCALATED,
    )
    assert event.note == sweeps.AUTOMATIC_REASON
    assert event.changes["escalation_level"] == [0, 1]


def test_running_the_sweep_twice_changes_nothing_the_second_time(working):
    complaints = working(3)
    for complaint in complaints:
        _overdue(complaint)
    now = timezone.now()

    first = sweeps.escalate_overdue(now=now)
    events = ComplaintEvent.objects.count()
    second = sweeps.escalate_overdue(now=now)

    assert first.escalated == 3
    assert (second.escalated, second.total) == (0, 0)
    assert Escalation.objects.count() == 3
    assert ComplaintEvent.objects.count() == events


def test_dry_run_changes_nothing_and_lists_what_would_change(working):
    (complaint,) = working(1)
    _overdue(complaint)
    events = ComplaintEvent.objects.count()

    result = sweeps.escalate_overdue(dry_run=True)

    assert result.escalated == 0
    assert result.planned == [sweeps.PlannedEscalation(complaint.reference, "Roads", "Public Works", 1)]
    complaint.refresh_from_db()
    assert (complaint.escalation_level, complaint.department.code) == (0, "roads")
    assert ComplaintEvent.objects.count() == events
    assert not Escalation.objects.exists()


def test_command_dry_run_prints_the_plan_and_changes_nothing(working, capsys):
    (complaint,) = working(1)
    _overdue(complaint)

    call_command("escalate_overdue", "--dry-run")

    out = capsys.readouterr().out
    assert f"{complaint.reference}: Roads -> Public Works (level 1)" in out
    assert "Dry run: 1 complaint(s) would be escalated." in out
    complaint.refresh_from_db()
    assert complaint.escalation_level == 0


def test_command_limit_escalates_at_most_n(working, capsys):
    for complaint in working(3):
        _overdue(complaint)

    call_command("escalate_overdue", "--limit", "2")

    assert Complaint.objects.filter(escalation_level=1).count() == 2
    call_command("escalate_overdue", "--limit", "2")
    assert Complaint.objects.filter(escalation_level=1).count() == 3


def test_command_shows_progress_per_batch_and_a_summary(working, capsys):
    for complaint in working(5):
        _overdue(complaint)

    call_command("escalate_overdue", "--batch-size", "2")

    out = capsys.readouterr().out
    assert "escalated 2/5 (40%)" in out
    assert "escalated 4/5 (80%)" in out
    assert "escalated 5/5 (100%)" in out
    assert "Escalated 5 complaint(s) (0 at the top of the tree), skipped 0, errors 0." in out


def test_command_rejects_a_batch_size_below_one():
    with pytest.raises(CommandError):
        call_command("escalate_overdue", "--batch-size", "0")


def test_one_failing_complaint_does_not_stop_the_others(working, monkeypatch, capsys):
    complaints = working(3)
    for complaint in complaints:
        _overdue(complaint)
    broken = complaints[1].pk
    real_apply = escalation_service.apply_escalations

    def apply_escalations(moves, **kwargs):
        # A row whose event cannot be written: its whole batch rolls back, then the rows are retried
        # one at a time and only this one fails.
        if any(move.complaint_id == broken for move in moves):
            raise RuntimeError("a bad row")
        return real_apply(moves, **kwargs)

    monkeypatch.setattr(escalation_service, "apply_escalations", apply_escalations)

    with pytest.raises(CommandError, match="1 complaint"):
        call_command("escalate_overdue")

    assert "Escalated 2 complaint(s)" in capsys.readouterr().out
    levels = dict(Complaint.objects.values_list("pk", "escalation_level"))
    assert levels == {complaints[0].pk: 1, broken: 0, complaints[2].pk: 1}


def test_manual_escalation_beyond_the_policys_highest_level_is_409(auth_client, working, dept_public_works, admin_user):
    # Public Works' own policy has a single level: a Roads complaint can reach level 1 there, no more.
    EscalationStepFactory(department=dept_public_works, level=1, hours=24)
    first, second = working(2)
    client = auth_client(admin_user)
    assert client.post(f"/api/v1/complaints/{first.pk}/escalate/", {"reason": "Budget"}).status_code == 200

    Complaint.objects.filter(pk=second.pk).update(escalation_level=1)
    response = client.post(f"/api/v1/complaints/{second.pk}/escalate/", {"reason": "Again"})

    assert response.status_code == 409
    assert "highest escalation level" in response.json()["detail"]
    assert not Escalation.objects.filter(complaint=second).exists()


# --- concurrency -------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_escalate_each_complaint_exactly_once(working):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (SKIP LOCKED) and serialises writers")
    complaints = working(60)
    Complaint.objects.filter(pk__in=[c.pk for c in complaints]).update(sla_due_at=timezone.now() - HOUR)
    now = timezone.now()
    barrier = threading.Barrier(2)
    results: list = []
    errors: list = []

    def sweep():
        try:
            barrier.wait()
            results.append(sweeps.escalate_overdue(now=now, batch_size=10))
        except Exception as exc:  # asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(r.escalated for r in results) == 60
    assert sum(r.errors for r in results) == 0
    assert Escalation.objects.count() == 60
    assert set(Complaint.objects.values_list("escalation_level", flat=True)) == {1}


# --- auto-close --------------------------------------------------------------------------------
def test_resolved_complaints_close_after_the_reopen_window_and_not_before(working, officer_roads, settings):
    settings.COMPLAINT_REOPEN_WINDOW_DAYS = 7
    expired, recent = working(2)
    for complaint in (expired, recent):
        services.complaint_resolve(complaint=complaint, actor=officer_roads, note="Filled")
    Complaint.objects.filter(pk=expired.pk).update(resolved_at=timezone.now() - dt.timedelta(days=7, hours=1))
    Complaint.objects.filter(pk=recent.pk).update(resolved_at=timezone.now() - dt.timedelta(days=6))

    assert sweeps.close_expired_resolved(dry_run=True) == 1
    assert Complaint.objects.filter(status=Status.CLOSED).count() == 0
    assert sweeps.close_expired_resolved() == 1

    expired.refresh_from_db()
    recent.refresh_from_db()
    assert expired.status == Status.CLOSED and expired.closed_at is not None
    assert recent.status == Status.RESOLVED
    event = expired.events.latest("id")
    assert (event.action, event.actor) == ("close", None)
    assert not Feedback.objects.filter(complaint=expired).exists()
    assert sweeps.close_expired_resolved() == 0


def test_command_closes_expired_resolved_complaints_unless_told_not_to(working, officer_roads, capsys):
    (complaint,) = working(1)
    services.complaint_resolve(complaint=complaint, actor=officer_roads, note="Filled")
    Complaint.objects.filter(pk=complaint.pk).update(resolved_at=timezone.now() - dt.timedelta(days=30))

    call_command("escalate_overdue", "--no-close")
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED

    call_command("escalate_overdue")
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED
    assert "Closed 1 resolved complaint(s) past the reopen window." in capsys.readouterr().out


# --- Celery task and beat schedule -------------------------------------------------------------
def test_celery_task_runs_the_sweep_and_the_auto_close(working, officer_roads):
    from complaints.tasks import escalate_overdue

    overdue, resolved = working(2)
    _overdue(overdue)
    services.complaint_resolve(complaint=resolved, actor=officer_roads, note="Filled")
    Complaint.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now() - dt.timedelta(days=30))

    counts = escalate_overdue.delay().get()

    assert counts["escalated"] == 1 and counts["closed"] == 1
    overdue.refresh_from_db()
    resolved.refresh_from_db()
    assert overdue.escalation_level == 1
    assert resolved.status == Status.CLOSED


def test_celery_task_skips_a_tick_while_another_sweep_runs(working):
    from django.core.cache import cache

    from complaints.tasks import SWEEP_LOCK_KEY, escalate_overdue

    (complaint,) = working(1)
    _overdue(complaint)
    cache.add(SWEEP_LOCK_KEY, "another worker", 60)

    assert escalate_overdue.delay().get() == {"skipped_run": True}
    complaint.refresh_from_db()
    assert complaint.escalation_level == 0

    cache.delete(SWEEP_LOCK_KEY)
    assert escalate_overdue.delay().get()["escalated"] == 1


def test_beat_schedule_runs_the_sweep_every_five_minutes():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.select_related("interval").get(name="escalate-overdue-complaints")
    assert task.task == "complaints.tasks.escalate_overdue"
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (5, "minutes")
