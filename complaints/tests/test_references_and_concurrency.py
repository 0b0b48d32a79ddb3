import importlib
import threading

import pytest
from django.db import connection

from complaints import services
from complaints.models import Complaint, ComplaintEvent, ReferenceCounter
from complaints.references import format_reference, next_reference, reserve_numbers, sequence_name
from complaints.tests.factories import file_complaint, in_progress_complaint


def test_reference_format():
    assert format_reference(2026, 123) == "GRV-2026-000123"
    assert format_reference(2027, 1234567) == "GRV-2027-1234567"


# Years no other test files complaints in: on PostgreSQL a year's sequence, once committed by a
# transactional test, keeps counting for the rest of the run (this test's own sequences roll back).
@pytest.mark.django_db
def test_references_count_up_per_year():
    assert [next_reference(2091) for _ in range(3)] == ["GRV-2091-000001", "GRV-2091-000002", "GRV-2091-000003"]
    assert next_reference(2092) == "GRV-2092-000001"
    assert next_reference(2091) == "GRV-2091-000004"
    assert reserve_numbers(2091, 3) == [5, 6, 7]
    assert next_reference(2091) == "GRV-2091-000008"


@pytest.mark.django_db
def test_a_year_counted_before_the_sequences_continues_after_its_counter():
    ReferenceCounter.objects.create(year=2093, last_value=41)
    assert next_reference(2093) == "GRV-2093-000042"
    assert next_reference(2093) == "GRV-2093-000043"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_first_creates_of_a_new_year_racing_get_distinct_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the per-year sequences")
    from django.db import transaction

    def first_of_the_year():
        with transaction.atomic():
            return next_reference(2094)

    try:
        results, errors = _run_concurrently(20, first_of_the_year)
        assert errors == []
        assert sorted(results) == [f"GRV-2094-{n:06d}" for n in range(1, 21)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence_name(2094)}")


@pytest.mark.postgres
@pytest.mark.django_db
def test_migration_0006_turns_counters_into_sequences_and_back():
    if connection.vendor != "postgresql":
        pytest.skip("the sequences are PostgreSQL's")
    from django.apps import apps
    from django.db import connection as conn

    migration = importlib.import_module("complaints.migrations.0006_reference_sequences")
    ReferenceCounter.objects.create(year=2095, last_value=500)
    migration.counters_to_sequences(apps, conn.schema_editor().__class__(conn))
    assert next_reference(2095) == "GRV-2095-000501"
    migration.sequences_to_counters(apps, conn.schema_editor().__class__(conn))
    assert ReferenceCounter.objects.get(year=2095).last_value == 501
    assert next_reference(2095) == "GRV-2095-000502"  # a new sequence, after the counter


def _run_concurrently(n: int, target) -> list:
    results: list = []
    errors: list = []
    barrier = threading.Barrier(n)

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_creates_get_fifty_distinct_references(citizen, category_infrastructure, sla_default):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    results, errors = _run_concurrently(50, lambda: file_complaint(citizen, category=category_infrastructure).reference)
    assert errors == []
    assert len(set(results)) == 50
    assert Complaint.objects.count() == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_resolving_at_once_one_wins_one_gets_409(
    citizen, dispatcher, officer_roads, manager_public_works, category_potholes, sla_default
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    complaint = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    actors = iter([officer_roads, manager_public_works])
    lock = threading.Lock()

    def resolve():
        with lock:
            actor = next(actors)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(actor).access_token}")
        return client.post(f"/api/v1/complaints/{complaint.pk}/resolve/", {"note": f"done by {actor.pk}"}).status_code

    results, errors = _run_concurrently(2, resolve)
    assert errors == []
    assert sorted(results) == [200, 409]
    assert ComplaintEvent.objects.filter(complaint=complaint, action="resolve").count() == 1


@pytest.mark.django_db
def test_every_service_writes_exactly_one_event(citizen, dispatcher, officer_roads, category_potholes, sla_default):
    complaint = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    before = complaint.events.count()
    services.complaint_resolve(complaint=complaint, actor=officer_roads, note="ok")
    event = complaint.events.last()
    assert complaint.events.count() == before + 1
    assert (event.action, event.actor, event.from_status, event.to_status) == (
        "resolve",
        officer_roads,
        "in_progress",
        "resolved",
    )
    assert event.changes["status"] == ["in_progress", "resolved"]
