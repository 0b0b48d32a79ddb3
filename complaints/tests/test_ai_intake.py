"""The AI service files structured complaints with an API key; retries are safe with Idempotency-Key."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services import api_key_create, api_key_revoke
from complaints.models import Complaint

URL = "/api/v1/internal/ai/complaints/"

PAYLOAD = {
    "title": "Garbage not collected",
    "description": "No pickup for 5 days on Nehru Street.",
    "transcript": "कचरा पाँच दिन से नहीं उठाया गया",
    "language": "hi",
    "translated_text": "Garbage has not been picked up for five days",
    "category_code": "infrastructure",
    "subcategory_code": "potholes",
    "latitude": "28.61",
    "longitude": "77.20",
    "source": "ai",
    "metadata": {"call_id": "c-123", "confidence": 0.93},
    "citizen_phone": "+91 98111 22233",
    "citizen_name": "Sunita",
}


@pytest.fixture
def intake_key(service_user):
    _, plaintext = api_key_create(name="ai", owner=service_user, scopes=["intake"])
    return plaintext


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.mark.django_db
def test_ai_service_files_a_complaint_for_a_new_citizen(intake_key, category_potholes, sla_default, service_user):
    response = _client(intake_key).post(URL, PAYLOAD, format="json")
    assert response.status_code == 201, response.json()
    complaint = Complaint.objects.get(reference=response.json()["reference"])
    assert complaint.citizen.phone == "+919811122233"
    assert complaint.citizen.role == Role.CITIZEN
    assert complaint.citizen.full_name == "Sunita"
    assert complaint.created_by == service_user
    assert complaint.source == "ai"
    assert complaint.department.code == "roads"  # routed by subcategory
    assert complaint.transcript == PAYLOAD["transcript"]
    assert complaint.metadata == {"call_id": "c-123", "confidence": 0.93}


@pytest.mark.django_db
def test_existing_citizen_is_found_by_phone(intake_key, citizen, category_potholes, sla_default):
    response = _client(intake_key).post(URL, {**PAYLOAD, "citizen_phone": citizen.phone}, format="json")
    assert response.status_code == 201
    assert Complaint.objects.get().citizen == citizen
    assert User.objects.filter(role=Role.CITIZEN).count() == 1


@pytest.mark.django_db
def test_explicit_department_code_wins_over_routing(intake_key, category_potholes, dept_water, sla_default):
    response = _client(intake_key).post(URL, {**PAYLOAD, "department_code": "water-supply"}, format="json")
    assert response.status_code == 201
    assert response.json()["department"] == "water-supply"


@pytest.mark.django_db
def test_retry_with_the_same_idempotency_key_returns_the_first_response(intake_key, category_potholes, sla_default):
    client = _client(intake_key)
    first = client.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="call-c-123")
    second = client.post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="call-c-123")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Complaint.objects.count() == 1
    different = client.post(URL, {**PAYLOAD, "title": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="call-c-123")
    assert different.status_code == 409
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "override,field",
    [
        ({"category_code": "unknown"}, "category_code"),
        ({"citizen_phone": "12"}, "citizen_phone"),
        ({"latitude": "200"}, "latitude"),
        ({"metadata": "not an object"}, "metadata"),
        ({"source": "web"}, "source"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_intake_is_400_and_saves_nothing(intake_key, category_potholes, sla_default, override, field):
    response = _client(intake_key).post(URL, {**PAYLOAD, **override}, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{field}")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Complaint.objects.exists()
    assert not User.objects.filter(role=Role.CITIZEN).exists()


@pytest.mark.django_db
def test_revoked_key_is_401_and_key_without_intake_scope_is_403(service_user, category_potholes, sla_default):
    key, plaintext = api_key_create(name="old", owner=service_user, scopes=["intake"])
    api_key_revoke(api_key=key)
    assert _client(plaintext).post(URL, PAYLOAD, format="json").status_code == 401
    _, unscoped = api_key_create(name="reports", owner=service_user, scopes=[])
    assert _client(unscoped).post(URL, PAYLOAD, format="json").status_code == 403
    assert _client("gv_nope.nope").post(URL, PAYLOAD, format="json").status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_complaint(intake_key, category_potholes, sla_default):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks")
    results: list[int] = []
    barrier = threading.Barrier(4)

    def post():
        try:
            barrier.wait()
            response = _client(intake_key).post(URL, PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="same-call")
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201] * 4
    assert Complaint.objects.count() == 1
