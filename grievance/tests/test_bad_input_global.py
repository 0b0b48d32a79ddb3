"""Bad input anywhere in the API is a 400 with a field error, never a 500 or a half-save: deep or
huge JSON, NUL characters and lone surrogates, unicode digits in id filters, dates out of range."""

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create
from complaints.models import Complaint

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
INTAKE = "/api/v1/internal/ai/complaints/"


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100_000, 2_000, 33])
def test_deeply_nested_json_is_a_400_for_anonymous_callers(depth):
    response = APIClient().post(TOKEN, data=deep_json(depth), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] in ("parse_error", "validation_error")


def test_deep_json_in_a_field_names_the_field(auth_client, citizen):
    body = '{"full_name": "x", "preferred_language": ' + deep_json(50) + "}"
    response = auth_client(citizen).patch("/api/v1/auth/me/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "preferred_language" in response.json()["errors"]


def test_shallow_json_still_works(auth_client, citizen):
    response = auth_client(citizen).patch("/api/v1/auth/me/", {"full_name": "Alice C"}, format="json")
    assert response.status_code == 200


def test_an_oversized_json_body_is_refused(settings, auth_client, citizen):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"full_name": "' + "x" * 2000 + '"}'
    response = auth_client(citizen).patch("/api/v1/auth/me/", data=body, content_type="application/json")
    assert response.status_code in (400, 413)


@pytest.fixture
def intake_client(service_user, category_potholes, sla_default):
    _, plaintext = api_key_create(name="ai", owner=service_user, scopes=["intake"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    return client


INTAKE_PAYLOAD = {
    "title": "Garbage not collected",
    "description": "No pickup for 5 days.",
    "category_code": "infrastructure",
    "subcategory_code": "potholes",
    "source": "ai",
    "citizen_phone": "+91 98111 22233",
}


@pytest.mark.parametrize(
    "metadata",
    [
        '{"note": "a\\u0000b"}',
        '{"a\\u0000": 1}',
        '{"nested": [{"deeper": "\\ud800"}]}',
    ],
    ids=["nul-in-value", "nul-in-key", "lone-surrogate"],
)
def test_nul_and_lone_surrogates_in_intake_metadata_are_a_400_and_save_nothing(intake_client, metadata):
    import json

    body = json.dumps({**INTAKE_PAYLOAD})[:-1] + ', "metadata": ' + metadata + "}"
    response = intake_client.post(INTAKE, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "metadata" in response.json()["errors"]
    assert Complaint.objects.count() == 0


def test_a_nul_in_a_form_field_is_a_field_error(auth_client, citizen):
    response = auth_client(citizen).patch("/api/v1/auth/me/", {"full_name": "a\x00b"}, format="multipart")
    assert response.status_code == 400
    assert "full_name" in response.json()["errors"]


@pytest.mark.parametrize("value", ["²", "١٢", "1²", "roads;drop", "x" * 65])
def test_unicode_digits_in_the_complaint_department_filter_are_not_a_500(auth_client, dispatcher, value):
    response = auth_client(dispatcher).get("/api/v1/complaints/", {"department": value})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []


@pytest.mark.parametrize("value", ["²", "٣", "x y"])
def test_unicode_digits_in_the_user_department_filter_are_not_a_500(auth_client, admin_user, value):
    response = auth_client(admin_user).get("/api/v1/users/", {"department": value})
    assert response.status_code in (200, 400)


def test_an_ascii_id_and_a_code_still_filter(auth_client, admin_user, officer_roads, dept_roads):
    by_id = auth_client(admin_user).get("/api/v1/users/", {"department": str(dept_roads.pk)})
    by_code = auth_client(admin_user).get("/api/v1/users/", {"department": "roads"})
    assert [u["id"] for u in by_id.json()["results"]] == [officer_roads.pk]
    assert [u["id"] for u in by_code.json()["results"]] == [officer_roads.pk]


def test_unicode_digits_in_the_admin_department_filter_are_not_a_500(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get("/admin/complaints/complaint/", {"department": "²"})
    assert response.status_code in (200, 302)


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "1800-01-01T00:00:00Z", "2200-01-01"]
)
def test_dates_out_of_range_are_a_400(auth_client, dispatcher, value):
    for name in ("created_after", "created_before"):
        response = auth_client(dispatcher).get("/api/v1/complaints/", {name: value})
        assert response.status_code == 400
        assert name in response.json()["errors"]


def test_a_date_in_range_still_filters(auth_client, dispatcher):
    response = auth_client(dispatcher).get("/api/v1/complaints/", {"created_after": "2024-01-01T00:00:00+05:30"})
    assert response.status_code == 200


