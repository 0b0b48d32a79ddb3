"""The whole life of a complaint over HTTP, one persona per role, as the mobile app and back office drive it."""

import datetime as dt

import pytest
from django.utils import timezone

from complaints.models import Complaint, Feedback

pytestmark = pytest.mark.django_db

BASE = "/api/v1/complaints/"


def test_complaint_goes_from_filing_to_closed_with_feedback(
    auth_client,
    citizen,
    dispatcher,
    manager_public_works,
    officer_roads,
    category_infrastructure,
    category_potholes,
    sla_default,
):
    alice = auth_client(citizen)
    filed = alice.post(
        BASE,
        {
            "title": "Pothole on MG Road",
            "description": "Deep pothole next to the bus stop; two scooters fell today.",
            "category": "infrastructure",
            "subcategory": category_potholes.code,
            "latitude": "28.6139",
            "longitude": "77.2090",
            "address": "MG Road bus stop",
        },
    )
    assert filed.status_code == 201, filed.json()
    body = filed.json()
    assert body["reference"].startswith(f"GRV-{timezone.localdate().year}-")
    assert body["status"] == "new"
    # Routed to the subcategory's department at once, with its SLA clock running.
    assert body["department"] == "roads"
    assert body["sla_due_at"] is not None
    assert body["citizen"]["phone"] == citizen.phone
    reference = body["reference"]

    # The dispatcher triages: priority high (24 h) recomputes the due time from filing.
    triaged = auth_client(dispatcher).post(
        f"{BASE}{reference}/triage/", {"department": "roads", "priority": "high", "note": "Busy road"}
    )
    assert triaged.status_code == 200, triaged.json()
    complaint = Complaint.objects.get(reference=reference)
    assert complaint.status == "triaged"
    assert complaint.sla_due_at == complaint.created_at + dt.timedelta(hours=24)

    # The manager of public works (parent of roads) assigns the roads officer: work starts.
    assigned = auth_client(manager_public_works).post(f"{BASE}{complaint.pk}/assign/", {"assignee": officer_roads.pk})
    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["status"] == "in_progress"
    assert assigned.json()["assignee"]["id"] == officer_roads.pk

    officer = auth_client(officer_roads)
    note = officer.post(f"{BASE}{complaint.pk}/comments/", {"body": "Crew booked for Tuesday", "is_internal": True})
    assert note.status_code == 201
    reply = officer.post(f"{BASE}{complaint.pk}/comments/", {"body": "We will fix it this week."})
    assert reply.status_code == 201

    resolved = officer.post(f"{BASE}{complaint.pk}/resolve/", {"note": "Pothole filled and levelled."})
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution_note"] == "Pothole filled and levelled."

    closed = alice.post(f"{BASE}{reference}/close/", {"rating": 5, "comment": "Quick work, thanks"})
    assert closed.status_code == 200, closed.json()
    assert closed.json()["status"] == "closed"
    assert Feedback.objects.get(complaint=complaint).rating == 5
    assert alice.get(f"{BASE}{reference}/feedback/").json()["rating"] == 5
    assert alice.post(f"{BASE}{reference}/close/", {"rating": 1}).status_code == 409  # feedback once

    events = alice.get(f"{BASE}{reference}/events/").json()
    assert [e["action"] for e in events] == ["created", "triage", "assign", "commented", "resolve", "close"]
    assert [(e["from_status"], e["to_status"]) for e in events if e["action"] == "resolve"] == [
        ("in_progress", "resolved")
    ]
    staff_events = auth_client(dispatcher).get(f"{BASE}{reference}/events/").json()
    assert "internal_note" in [e["action"] for e in staff_events]


def test_citizen_reopens_within_the_window_and_not_after(
    auth_client, citizen, dispatcher, officer_roads, category_potholes, sla_default
):
    from complaints import services
    from complaints.tests.factories import in_progress_complaint

    complaint = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    services.complaint_resolve(complaint=complaint, actor=officer_roads, note="Filled")
    alice = auth_client(citizen)

    missing_reason = alice.post(f"{BASE}{complaint.pk}/reopen/", {})
    assert missing_reason.status_code == 400
    assert "reason" in missing_reason.json()["errors"]

    reopened = alice.post(f"{BASE}{complaint.pk}/reopen/", {"reason": "Still a hole: they only put gravel"})
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "in_progress"

    services.complaint_resolve(complaint=complaint, actor=officer_roads, note="Asphalted properly")
    Complaint.objects.filter(pk=complaint.pk).update(resolved_at=timezone.now() - dt.timedelta(days=8))
    too_late = alice.post(f"{BASE}{complaint.pk}/reopen/", {"reason": "Again"})
    assert too_late.status_code == 409
    assert "reopen window" in too_late.json()["detail"]


def test_illegal_transition_is_409_naming_the_status_and_allowed_actions(auth_client, pothole, officer_roads):
    response = auth_client(officer_roads).post(f"{BASE}{pothole.pk}/resolve/", {"note": "done"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed"
    assert body["status"] == "new"
    assert "new" in body["detail"]
    assert isinstance(body["allowed_actions"], list)
    assert pothole.events.count() == 1  # only "created": nothing was written


def test_role_that_may_never_do_an_action_gets_403(auth_client, pothole, citizen):
    response = auth_client(citizen).post(f"{BASE}{pothole.pk}/triage/", {"department": "roads"})
    assert response.status_code == 403


def test_dispatcher_rejects_with_a_closure_reason(auth_client, pothole, dispatcher, closure_reason_spam):
    response = auth_client(dispatcher).post(
        f"{BASE}{pothole.pk}/reject/", {"closure_reason": "spam", "note": "Test post"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["closure_reason"] == "spam"
    unknown = auth_client(dispatcher).post(f"{BASE}{pothole.pk}/reject/", {"closure_reason": "nope"})
    assert unknown.status_code == 400


def test_marking_a_duplicate_links_and_closes_it_and_supports_the_original(
    auth_client, pothole, leak, dispatcher, closure_reason_duplicate
):
    response = auth_client(dispatcher).post(f"{BASE}{leak.pk}/duplicate/", {"duplicate_of": pothole.reference})
    assert response.status_code == 200, response.json()
    assert response.json()["duplicate_of"] == pothole.reference
    assert response.json()["status"] == "rejected"
    assert response.json()["closure_reason"] == "duplicate"
    pothole.refresh_from_db()
    assert pothole.supporters_count == 1


def test_manager_escalates_to_the_parent_department(
    auth_client, citizen, dispatcher, officer_roads, manager_public_works, category_potholes, sla_default
):
    from complaints.tests.factories import in_progress_complaint

    complaint = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    response = auth_client(manager_public_works).post(
        f"{BASE}{complaint.pk}/escalate/", {"reason": "Needs a budget decision"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "escalated"
    assert body["escalation_level"] == 1
    assert body["department"] == "public-works"
    assert complaint.escalations.get().to_department.code == "public-works"


def test_citizen_supports_anothers_complaint_once(auth_client, pothole, other_citizen, citizen):
    bob = auth_client(other_citizen)
    first = bob.post(f"{BASE}{pothole.reference}/support/")
    assert first.status_code == 200
    assert first.json()["supporters_count"] == 1
    assert "citizen" not in first.json()
    assert bob.post(f"{BASE}{pothole.reference}/support/").status_code == 409
    assert auth_client(citizen).post(f"{BASE}{pothole.reference}/support/").status_code == 409


def test_staff_files_on_behalf_of_a_citizen_found_or_created_by_phone(
    auth_client, dispatcher, category_infrastructure, sla_default
):
    response = auth_client(dispatcher).post(
        BASE,
        {
            "title": "Caller reports broken drain",
            "description": "Reported by phone call.",
            "category": "infrastructure",
            "citizen_phone": "98765 43210",
            "citizen_name": "Ravi",
        },
    )
    assert response.status_code == 201, response.json()
    complaint = Complaint.objects.get(reference=response.json()["reference"])
    assert complaint.citizen.phone == "+919876543210"
    assert complaint.created_by == dispatcher
    assert complaint.source == "admin"
