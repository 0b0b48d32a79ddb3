"""Escalation on a set (`complaints_escalate`), and the set-based sweep and auto-close built on it:
the same rules as a single escalation, one transaction per batch, a fixed number of queries per
batch, the outbox hand-off once per batch, nothing half-done after a crash."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from complaints import outbox, services
from complaints.models import Complaint, ComplaintEvent, Escalation, Status
from complaints.services import escalation as escalation_service
from complaints.services import sweeps
from complaints.tests.factories import in_progress_complaint
from departments.tests.factories import EscalationStepFactory
from grievance.errors import TransitionNotAllowed
from notifications.models import Notification

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def manager_corporation(dept_corporation):
    user = UserFactory(role=Role.MANAGER, department=dept_corporation, full_name="Kiran Corporation Manager")
    dept_corporation.manager = user
    dept_corporation.save(update_fields=["manager"])
    return user


@pytest.fixture
def make(citizen, dispatcher, officer_roads, category_potholes, sla_default, manager_public_works):
    """An in-progress Roads complaint, then put where the test wants it (department, level), overdue."""

    def _make(*, department=None, level=0, status=None, due=None) -> Complaint:
        complaint = in_progress_complaint(
            citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads
        )
        values = {"escalation_level": level, "sla_due_at": due or timezone.now() - HOUR}
        if department is not None:
            values["department"] = department
        if status is not None:
            values["status"] = status
        Complaint.objects.filter(pk=complaint.pk).update(**values)
        complaint.refresh_from_db()
        return complaint

    return _make


def _state(complaint: Complaint) -> tuple:
    complaint.refresh_from_db()
    return (
        complaint.department_id,
        complaint.assignee_id,
        complaint.escalation_level,
        complaint.sla_due_at,
        complaint.status,
    )


def _escalate_event(complaint: Complaint) -> tuple:
    event = ComplaintEvent.objects.get(complaint=complaint, action="escalate")
    return (event.actor_id, event.from_status, event.to_status, event.note, event.changes)


def _escalation_row(complaint: Complaint) -> tuple:
    row = Escalation.objects.get(complaint=complaint)
    return (
        row.kind,
        row.from_level,
        row.to_level,
        row.from_department_id,
        row.to_department_id,
        row.actor_id,
        row.reason,
    )


def test_the_sweep_applies_exactly_the_rules_of_a_single_escalation(
    make, dept_roads, dept_public_works, dept_corporation, manager_public_works, manager_corporation, officer_roads
):
    # Public Works' own policy: one level of 10 hours. The Corporation keeps the default (72/48/24 h).
    EscalationStepFactory(department=dept_public_works, level=1, hours=10)
    cases = {
        "roads -> public works, level 1, 10 h": dict(department=dept_roads),
        "routed but never triaged (new)": dict(department=dept_roads, status=Status.NEW),
        "public works -> corporation, level 2, 48 h": dict(department=dept_public_works, level=1),
        "top of the tree: stays, level 3, 24 h": dict(department=dept_corporation, level=2),
        "beyond public works' single level": dict(department=dept_roads, level=1),
    }
    due = timezone.now() - HOUR
    pairs = {name: (make(**spec, due=due), make(**spec, due=due)) for name, spec in cases.items()}
    roads_due_before = pairs["roads -> public works, level 1, 10 h"][0].sla_due_at
    now = timezone.now()

    for name, (single, _) in pairs.items():
        if name == "beyond public works' single level":
            with pytest.raises(TransitionNotAllowed, match="highest escalation level"):
                services.complaint_escalate(
                    complaint=single, actor=None, reason=sweeps.AUTOMATIC_REASON, kind="automatic", now=now
                )
        else:
            services.complaint_escalate(
                complaint=single, actor=None, reason=sweeps.AUTOMATIC_REASON, kind="automatic", now=now
            )
    result = sweeps.escalate_overdue(now=now)

    assert (result.escalated, result.at_top, result.errors, result.at_max_level) == (4, 1, 0, 2)
    for name, (single, swept) in pairs.items():
        assert _state(swept) == _state(single), name
        if name == "beyond public works' single level":
            assert not swept.events.filter(action="escalate").exists()
            assert not Escalation.objects.filter(complaint__in=[single, swept]).exists()
            continue
        assert _escalate_event(swept) == _escalate_event(single), name
        assert _escalation_row(swept) == _escalation_row(single), name

    # And the rules themselves, spelled out.
    roads, _ = pairs["roads -> public works, level 1, 10 h"]
    assert _state(roads) == (dept_public_works.pk, manager_public_works.pk, 1, now + 10 * HOUR, Status.ESCALATED)
    assert _escalate_event(roads)[4] == {
        "department": ["roads", "public-works"],
        "assignee": [str(officer_roads.pk), str(manager_public_works.pk)],
        "escalation_level": [0, 1],
        "sla_due_at": [roads_due_before.isoformat(), (now + 10 * HOUR).isoformat()],
        "status": ["in_progress", "escalated"],
        "reached_top": False,
    }
    public_works, _ = pairs["public works -> corporation, level 2, 48 h"]
    assert _state(public_works)[:4] == (dept_corporation.pk, manager_corporation.pk, 2, now + 48 * HOUR)
    top, _ = pairs["top of the tree: stays, level 3, 24 h"]
    assert _state(top)[:4] == (dept_corporation.pk, manager_corporation.pk, 3, now + 24 * HOUR)
    changes = _escalate_event(top)[4]
    assert changes["reached_top"] is True and "department" not in changes
    assert _escalation_row(top)[:5] == ("automatic", 2, 3, dept_corporation.pk, dept_corporation.pk)


def test_a_set_escalation_by_a_manager_refuses_per_row_what_a_single_one_refuses(
    make, dept_roads, dept_public_works, manager_public_works, admin_user
):
    EscalationStepFactory(department=dept_public_works, level=1, hours=10)
    movable, at_max = make(), make(level=1)
    resolved = make(status=Status.RESOLVED)

    outcome = services.complaints_escalate(
        complaint_ids=[movable.pk, at_max.pk, resolved.pk], actor=admin_user, reason="Budget"
    )

    assert [m.complaint_id for m in outcome.moves] == [movable.pk]
    assert set(outcome.refused) == {at_max.pk, resolved.pk}
    assert "highest escalation level" in str(outcome.refused[at_max.pk])
    assert "resolved" in str(outcome.refused[resolved.pk]).lower()
    assert _escalation_row(movable)[0] == "manual"
    assert outcome.locked_ids == sorted([movable.pk, at_max.pk, resolved.pk])


def test_the_outbox_gets_each_batchs_event_ids_once_after_commit(make, monkeypatch, django_capture_on_commit_callbacks):
    complaints = [make() for _ in range(5)]
    published: list[list[int]] = []
    monkeypatch.setattr(outbox, "_publish", published.append)

    with django_capture_on_commit_callbacks(execute=True):
        result = sweeps.escalate_overdue(batch_size=2)

    assert result.escalated == 5 and result.batches == 3
    events = list(
        ComplaintEvent.objects.filter(action="escalate").order_by("complaint_id").values_list("complaint_id", "pk")
    )
    by_complaint = dict(events)
    expected = [[by_complaint[c.pk] for c in complaints[i : i + 2]] for i in (0, 2, 4)]
    assert published == expected


def test_the_sweeps_events_reach_the_notification_consumer_like_a_single_escalation(
    make, citizen, officer_roads, manager_public_works, django_capture_on_commit_callbacks
):
    (complaint,) = [make()]
    Notification.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        sweeps.escalate_overdue()

    assert set(Notification.objects.filter(kind="complaint_escalated").values_list("recipient_id", flat=True)) == {
        citizen.pk,
        manager_public_works.pk,
        officer_roads.pk,
    }
    assert ComplaintEvent.objects.get(complaint=complaint, action="escalate").dispatched_at is not None


class Crash(BaseException):
    """The process dies (not an error the sweep could catch and retry)."""


def test_a_crash_in_the_middle_of_a_batch_leaves_nothing_of_that_batch(make, monkeypatch):
    complaints = [make() for _ in range(5)]
    real = escalation_service.apply_escalations
    calls = []

    def crash_on_second_batch(moves, **kwargs):
        calls.append(len(moves))
        event_ids = real(moves, **kwargs)
        if len(calls) == 2:
            # This batch is written (complaints, events, Escalation rows) but not committed when the
            # process dies.
            assert Complaint.objects.filter(pk=moves[0].complaint_id, escalation_level=1).exists()
            raise Crash
        return event_ids

    monkeypatch.setattr(escalation_service, "apply_escalations", crash_on_second_batch)

    with pytest.raises(Crash):
        sweeps.escalate_overdue(batch_size=2)

    # The first batch committed whole; the second left no trace; the rest was never reached.
    levels = [_state(c)[2] for c in complaints]
    assert levels == [1, 1, 0, 0, 0]
    assert [c.status for c in complaints] == [Status.ESCALATED] * 2 + [Status.IN_PROGRESS] * 3
    assert set(ComplaintEvent.objects.filter(action="escalate").values_list("complaint_id", flat=True)) == {
        complaints[0].pk,
        complaints[1].pk,
    }
    assert Escalation.objects.count() == 2

    monkeypatch.setattr(escalation_service, "apply_escalations", real)
    again = sweeps.escalate_overdue(batch_size=2)
    assert again.escalated == 3
    assert [_state(c)[2] for c in complaints] == [1] * 5
    assert Escalation.objects.count() == ComplaintEvent.objects.filter(action="escalate").count() == 5


def test_a_batch_that_keeps_failing_changes_nothing_and_counts_every_row(make, monkeypatch):
    complaints = [make() for _ in range(3)]

    def broken(moves, **kwargs):
        raise RuntimeError("database said no")

    monkeypatch.setattr(escalation_service, "apply_escalations", broken)

    result = sweeps.escalate_overdue()

    assert (result.escalated, result.errors) == (0, 3)
    assert [_state(c)[2:] for c in complaints] == [(0, c.sla_due_at, Status.IN_PROGRESS) for c in complaints]
    assert not ComplaintEvent.objects.filter(action="escalate").exists()
    assert not Escalation.objects.exists()


def test_a_dry_run_writes_nothing_at_all(make):
    complaints = [make() for _ in range(3)]

    with CaptureQueriesContext(connection) as queries:
        result = sweeps.escalate_overdue(dry_run=True, batch_size=2)

    assert len(result.planned) == 3 and result.escalated == 0
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert [_state(c)[2] for c in complaints] == [0, 0, 0]


def test_a_sweep_batch_runs_a_fixed_number_of_queries_whatever_its_size(make, django_assert_max_num_queries):
    # The tree (departments, policies), two counts, then per batch: claim, update, events, escalation
    # rows (and savepoints), and a last claim that finds nothing.
    def queries_for(n: int) -> int:
        for _ in range(n):
            make()
        with CaptureQueriesContext(connection) as captured:
            assert sweeps.escalate_overdue(batch_size=1000).escalated == n
        return len(captured)

    small = queries_for(2)
    large = queries_for(40)
    assert large == small
    for _ in range(40):
        make()
    with django_assert_max_num_queries(small):
        sweeps.escalate_overdue(batch_size=1000)


def test_auto_close_closes_in_bulk_with_the_same_event_as_a_single_system_close(
    make, officer_roads, django_assert_max_num_queries, settings
):
    settings.COMPLAINT_REOPEN_WINDOW_DAYS = 7
    single, *bulk = [make(due=timezone.now() + HOUR) for _ in range(4)]
    for complaint in (single, *bulk):
        services.complaint_resolve(complaint=complaint, actor=officer_roads, note="Filled")
    services.complaint_close(complaint=single, actor=None)
    Complaint.objects.filter(pk__in=[c.pk for c in bulk]).update(resolved_at=timezone.now() - dt.timedelta(days=8))

    # The claim, one UPDATE, one INSERT of the events, and the claim that finds nothing (+ savepoints).
    with django_assert_max_num_queries(8):
        assert sweeps.close_expired_resolved(batch_size=1000) == 3

    reference = single.events.get(action="close")
    for complaint in bulk:
        complaint.refresh_from_db()
        assert complaint.status == Status.CLOSED and complaint.closed_at is not None
        event = complaint.events.get(action="close")
        assert (event.actor_id, event.from_status, event.to_status, event.note) == (
            reference.actor_id,
            reference.from_status,
            reference.to_status,
            reference.note,
        )
        assert set(event.changes) == set(reference.changes) == {"closed_at", "status"}
        assert event.changes["status"] == reference.changes["status"] == ["resolved", "closed"]
    assert sweeps.close_expired_resolved() == 0


# --- PostgreSQL: row locks --------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_complaint_someone_holds_is_skipped_without_waiting_and_escalated_next_time(make):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (SKIP LOCKED)")
    held, *others = [make() for _ in range(4)]
    locked, release = threading.Event(), threading.Event()

    def officer_editing():
        try:
            with transaction.atomic():
                Complaint.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=officer_editing)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        result = sweeps.escalate_overdue(batch_size=2)
    finally:
        release.set()
        thread.join()

    assert (result.escalated, result.skipped, result.errors) == (3, 1, 0)
    assert _state(held)[2] == 0 and [_state(c)[2] for c in others] == [1, 1, 1]
    assert sweeps.escalate_overdue().escalated == 1
    assert _state(held)[2] == 1


def test_escalating_a_single_complaint_is_a_set_of_one(make, admin_user, dept_public_works):
    complaint = make()

    escalated = services.complaint_escalate(complaint=complaint, actor=admin_user, reason="Budget")

    assert escalated.department == dept_public_works and escalated.escalation_level == 1
    assert _escalation_row(complaint)[0] == "manual"


def test_the_command_draws_a_bar_per_batch_and_ends_with_rows_per_second(make, capsys):
    for _ in range(3):
        make()

    from django.core.management import call_command

    call_command("escalate_overdue", "--batch-size", "2", "--no-close")

    out = capsys.readouterr().out
    assert "escalated 2/3 (66%) [####################----------]" in out
    assert "escalated 3/3 (100%) [##############################]" in out
    assert "3 row(s) in " in out and " rows/s." in out


def test_times_in_the_event_are_written_as_isoformat_writes_them_with_or_without_microseconds(make, dept_roads):
    # PostgreSQL builds the event's `changes` in SQL; they must read exactly as `Move.changes()`.
    whole = timezone.now().replace(microsecond=0) - HOUR
    with_micro = whole.replace(microsecond=120000)
    complaints = [make(due=whole), make(due=with_micro)]
    now = timezone.now().replace(microsecond=0)

    sweeps.escalate_overdue(now=now)

    new_due = (now + 72 * HOUR).isoformat()
    for complaint, old in zip(complaints, (whole, with_micro), strict=True):
        assert _escalate_event(complaint)[4]["sla_due_at"] == [old.isoformat(), new_due]
    assert ".120000+00:00" in with_micro.isoformat() and "." not in new_due
