import threading

import pytest
from django.db import connection

from complaints import services
from complaints.models import Complaint, ComplaintEvent
from complaints.references import format_reference, next_reference
from complaints.tests.factories import file_complaint, in_progress_complaint


def test_reference_format():
    assert format_reference(2026, 123) == "GRV-2026-000123"
    assert format_reference(2027, 1234567) == "GRV-2027-1234567"


@pytest.mark.django_db
def test_references_count_up_per_year():
    assert [next_reference(2026) for _ in range(3)] == ["GRV-2026-000001", "GRV-2026-000002", "GRV-2026-000003"]
    assert next_reference(2027) == "GRV-2027-000001"
    assert next_reference(2026) == "GRV-2026-000004"


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
