"""Track, nearby and comments: what reaches citizens and the public, and what never does."""

import pytest

from complaints import services

pytestmark = pytest.mark.django_db


def test_track_is_public_and_free_of_personal_data_and_internal_notes(
    api_client, pothole, officer_roads, dispatcher, citizen
):
    services.complaint_triage(complaint=pothole, actor=dispatcher, department=officer_roads.department)
    services.comment_add(
        complaint=pothole, author=officer_roads, body="Contractor is the mayor's cousin", is_internal=True
    )
    services.comment_add(complaint=pothole, author=citizen, body=f"Call me on {citizen.phone}")
    response = api_client.get(f"/api/v1/track/{pothole.reference.lower()}/")
    assert response.status_code == 200
    text = response.content.decode()
    for secret in (citizen.full_name, citizen.phone, citizen.email, "mayor", officer_roads.full_name):
        assert secret not in text
    assert [e["action"] for e in response.json()["timeline"]] == ["created", "triage"]


def test_internal_notes_never_reach_the_citizen(auth_client, pothole, officer_roads, citizen):
    services.comment_add(complaint=pothole, author=officer_roads, body="internal only", is_internal=True)
    services.comment_add(complaint=pothole, author=officer_roads, body="public reply")
    alice = auth_client(citizen)
    comments = alice.get(f"/api/v1/complaints/{pothole.pk}/comments/").json()
    assert [c["body"] for c in comments] == ["public reply"]
    events = alice.get(f"/api/v1/complaints/{pothole.pk}/events/").content.decode()
    assert "internal only" not in events
    staff = auth_client(officer_roads).get(f"/api/v1/complaints/{pothole.pk}/comments/").json()
    assert [c["body"] for c in staff] == ["internal only", "public reply"]


def test_citizen_cannot_write_an_internal_note(auth_client, pothole, citizen):
    response = auth_client(citizen).post(
        f"/api/v1/complaints/{pothole.pk}/comments/", {"body": "x", "is_internal": True}
    )
    assert response.status_code == 403
    assert not pothole.comments.exists()


def test_nearby_lists_open_complaints_close_by_without_personal_data(auth_client, pothole, other_citizen, citizen):
    response = auth_client(other_citizen).get("/api/v1/complaints/nearby/", {"lat": "28.6140", "lng": "77.2091"})
    assert response.status_code == 200
    rows = response.json()
    assert [r["reference"] for r in rows] == [pothole.reference]
    assert rows[0]["distance_m"] < 30
    assert citizen.phone not in response.content.decode()
    far = auth_client(other_citizen).get("/api/v1/complaints/nearby/", {"lat": "28.70", "lng": "77.2090"})
    assert far.json() == []


def test_nearby_needs_valid_coordinates(auth_client, other_citizen):
    response = auth_client(other_citizen).get("/api/v1/complaints/nearby/", {"lat": "200", "lng": "x"})
    assert response.status_code == 400
    assert {"lat", "lng"} <= set(response.json()["errors"])


def test_citizen_never_sees_another_citizens_complaint(auth_client, pothole, other_citizen):
    bob = auth_client(other_citizen)
    assert bob.get(f"/api/v1/complaints/{pothole.pk}/").status_code == 404
    assert bob.get(f"/api/v1/complaints/{pothole.reference}/").status_code == 404
    assert bob.get("/api/v1/complaints/").json()["count"] == 0


def test_detail_shows_citizen_contact_to_staff_only(auth_client, pothole, officer_roads, citizen):
    staff_view = auth_client(officer_roads).get(f"/api/v1/complaints/{pothole.pk}/").json()
    assert staff_view["citizen"]["phone"] == citizen.phone
    assert "resolve" not in staff_view["allowed_actions"]
    assert "start" not in staff_view["allowed_actions"]
