"""Escalation requests: who may ask, who may decide (a persona matrix through the real API), one
pending request per complaint, and what approval and rejection do to the complaint."""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from complaints import selectors, services
from complaints.models import Complaint, ComplaintEvent, Escalation, EscalationRequest, Status
from complaints.tests.factories import in_progress_complaint

pytestmark = pytest.mark.django_db

BASE = "/api/v1/escalations/"


@pytest.fixture
def manager_water(dept_water):
    user = UserFactory(role=Role.MANAGER, department=dept_water, full_name="Meena Water Manager")
    dept_water.manager = user
    dept_water.save(update_fields=["manager"])
    return user


@pytest.fixture
def roads_complaint(citizen, dispatcher, officer_roads, category_potholes, sla_default, manager_public_works):
    """Alice's pothole, in progress at Roads: a request for it goes to Public Works' manager."""
    return in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)


@pytest.fixture
def pending(roads_complaint, citizen):
    return services.escalation_request_create(
        complaint=roads_complaint, requested_by=citizen, reason="Nothing has happened for a month."
    )


@pytest.fixture
def personas(
    citizen,
    other_citizen,
    officer_roads,
    officer_water,
    manager_public_works,
    manager_water,
    dispatcher,
    executive,
    admin_user,
):
    return {
        "citizen_owner": citizen,
        "other_citizen": other_citizen,
        "officer_of_department": officer_roads,
        "officer_elsewhere": officer_water,
        "manager_of_target": manager_public_works,
        "manager_elsewhere": manager_water,
        "dispatcher": dispatcher,
        "executive": executive,
        "admin": admin_user,
    }


# persona -> status code for approve and reject of a pending request on Alice's Roads complaint.
# Those who cannot see the complaint or the request get a 404; those who see it but may not decide, 403.
DECISION_MATRIX = {
    "citizen_owner": 403,
    "other_citizen": 404,
    "officer_of_department": 403,
    "officer_elsewhere": 404,
    "manager_of_target": 200,
    "manager_elsewhere": 404,
    "dispatcher": 403,
    "executive": 403,
    "admin": 200,
}


@pytest.mark.parametrize(("persona", "expected"), DECISION_MATRIX.items())
def test_who_may_approve_a_request(persona, expected, personas, pending, auth_client):
    response = auth_client(personas[persona]).post(f"{BASE}{pending.pk}/approve/", {"note": "Agreed"})

    assert response.status_code == expected, response.content
    pending.refresh_from_db()
    complaint = Complaint.objects.get(pk=pending.complaint_id)
    if expected == 200:
        assert response.json()["state"] == "approved"
        assert (pending.state, pending.decided_by, pending.decision_note) == ("approved", personas[persona], "Agreed")
        assert pending.decided_at is not None
        assert (complaint.department.code, complaint.escalation_level) == ("public-works", 1)
        record = Escalation.objects.get(complaint=complaint)
        assert (record.kind, record.actor) == (Escalation.Kind.REQUEST, personas[persona])
    else:
        assert pending.state == "pending"
        assert complaint.escalation_level == 0
        assert not Escalation.objects.exists()


@pytest.mark.parametrize(("persona", "expected"), DECISION_MATRIX.items())
def test_who_may_reject_a_request(persona, expected, personas, pending, auth_client):
    response = auth_client(personas[persona]).post(f"{BASE}{pending.pk}/reject/", {"note": "Work is scheduled."})

    assert response.status_code == expected, response.content
    pending.refresh_from_db()
    if expected == 200:
        assert (pending.state, pending.decided_by) == ("rejected", personas[persona])
        event = ComplaintEvent.objects.filter(complaint_id=pending.complaint_id).latest("id")
        assert (event.action, event.note, event.actor) == (
            "escalation_request_rejected",
            "Work is scheduled.",
            personas[persona],
        )
        assert Complaint.objects.get(pk=pending.complaint_id).escalation_level == 0
    else:
        assert pending.state == "pending"


# persona -> status code for asking to escalate Alice's Roads complaint.
ASK_MATRIX = {
    "citizen_owner": 201,
    "other_citizen": 400,  # cannot see the complaint: "no complaint you can see", never a hint it exists
    "officer_of_department": 201,
    "officer_elsewhere": 400,
    "manager_of_target": 201,
    "manager_elsewhere": 400,
    "dispatcher": 403,
    "executive": 403,
    "admin": 403,  # escalates directly instead
}


@pytest.mark.parametrize(("persona", "expected"), ASK_MATRIX.items())
def test_who_may_ask_for_escalation(persona, expected, personas, roads_complaint, auth_client):
    response = auth_client(personas[persona]).post(BASE, {"complaint": roads_complaint.reference, "reason": "Too slow"})

    assert response.status_code == expected, response.content
    assert EscalationRequest.objects.count() == (1 if expected == 201 else 0)
    if expected == 400:
        assert "complaint" in response.json()["errors"]


def test_citizen_asks_by_id_and_the_request_goes_to_the_parent_departments_manager(
    auth_client, citizen, roads_complaint
):
    response = auth_client(citizen).post(BASE, {"complaint": roads_complaint.pk, "reason": "Still a hole"})

    assert response.status_code == 201
    body = response.json()
    assert (body["complaint_reference"], body["state"], body["target_department"]) == (
        roads_complaint.reference,
        "pending",
        "public-works",
    )
    assert body["requested_by"]["name"] == "Alice Citizen"
    event = roads_complaint.events.latest("id")
    assert (event.action, event.note, event.actor) == ("escalation_requested", "Still a hole", citizen)
    assert event.changes["escalation_request_id"] == body["id"]


def test_only_one_pending_request_per_complaint(auth_client, citizen, officer_roads, pending):
    response = auth_client(officer_roads).post(BASE, {"complaint": pending.complaint_id, "reason": "Me too"})

    assert response.status_code == 409
    assert EscalationRequest.objects.count() == 1


def test_a_new_request_may_follow_a_decided_one(auth_client, citizen, manager_public_works, pending):
    services.escalation_request_reject(escalation_request=pending, actor=manager_public_works, note="Scheduled")

    response = auth_client(citizen).post(BASE, {"complaint": pending.complaint_id, "reason": "Still nothing"})

    assert response.status_code == 201
    assert EscalationRequest.objects.filter(state="pending").count() == 1


def test_at_the_top_the_request_goes_to_the_departments_own_manager(citizen, dept_corporation, roads_complaint):
    Complaint.objects.filter(pk=roads_complaint.pk).update(department=dept_corporation)

    request = services.escalation_request_create(complaint=roads_complaint, requested_by=citizen, reason="Slow")

    assert request.target_department == dept_corporation


def test_a_decided_request_cannot_be_decided_again(auth_client, manager_public_works, admin_user, pending):
    assert auth_client(manager_public_works).post(f"{BASE}{pending.pk}/approve/").status_code == 200

    again = auth_client(admin_user).post(f"{BASE}{pending.pk}/reject/", {"note": "No"})
    approve_again = auth_client(admin_user).post(f"{BASE}{pending.pk}/approve/")

    assert (again.status_code, approve_again.status_code) == (409, 409)
    assert Escalation.objects.count() == 1


def test_rejecting_needs_a_note(auth_client, manager_public_works, pending):
    response = auth_client(manager_public_works).post(f"{BASE}{pending.pk}/reject/", {"note": "  "})

    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    pending.refresh_from_db()
    assert pending.state == "pending"


def test_a_manager_above_the_target_department_may_decide(citizen, dept_corporation, pending, auth_client):
    corporation_manager = UserFactory(role=Role.MANAGER, department=dept_corporation)

    response = auth_client(corporation_manager).post(f"{BASE}{pending.pk}/approve/")

    assert response.status_code == 200


def test_approval_after_the_complaint_moved_is_409(auth_client, manager_public_works, pending):
    # The sweep escalated it to Public Works meanwhile: the request's target no longer matches.
    services.complaint_escalate(complaint=pending.complaint_id, actor=None, reason="Overdue", kind="automatic")

    response = auth_client(manager_public_works).post(f"{BASE}{pending.pk}/approve/")

    assert response.status_code == 409
    assert Escalation.objects.count() == 1


def test_asking_for_a_closed_or_unrouted_complaint_is_409(
    auth_client, citizen, officer_roads, roads_complaint, pothole
):
    services.complaint_resolve(complaint=roads_complaint, actor=officer_roads, note="Filled")
    assert auth_client(citizen).post(BASE, {"complaint": roads_complaint.pk, "reason": "x"}).status_code == 409

    Complaint.objects.filter(pk=pothole.pk).update(department=None)
    assert auth_client(citizen).post(BASE, {"complaint": pothole.pk, "reason": "x"}).status_code == 409
    assert not EscalationRequest.objects.exists()


def test_asking_needs_a_reason_and_a_complaint(auth_client, citizen, roads_complaint):
    response = auth_client(citizen).post(BASE, {"complaint": "", "reason": ""})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"complaint", "reason"}
    assert not EscalationRequest.objects.exists()


# --- reading -------------------------------------------------------------------------------------
READ_MATRIX = {
    "citizen_owner": True,
    "other_citizen": False,
    "officer_of_department": True,
    "officer_elsewhere": False,
    "manager_of_target": True,
    "manager_elsewhere": False,
    "dispatcher": True,
    "executive": True,
    "admin": True,
}


@pytest.mark.parametrize(("persona", "sees"), READ_MATRIX.items())
def test_who_sees_a_request(persona, sees, personas, pending, auth_client):
    client = auth_client(personas[persona])

    listed = [row["id"] for row in client.get(BASE).json()["results"]]
    detail = client.get(f"{BASE}{pending.pk}/")

    assert listed == ([pending.pk] if sees else [])
    assert detail.status_code == (200 if sees else 404)


def test_a_request_aimed_at_a_managers_subtree_is_visible_to_them(
    citizen, dept_public_works, dept_water, manager_water, roads_complaint, auth_client
):
    # A request whose target is Water (e.g. for a complaint later moved away) stays in Water's queue.
    request = services.escalation_request_create(complaint=roads_complaint, requested_by=citizen, reason="Slow")
    EscalationRequest.objects.filter(pk=request.pk).update(target_department=dept_water)

    assert list(selectors.escalation_requests_visible_to(manager_water)) == [request]


def test_list_filters_by_state_in_a_fixed_number_of_queries(
    auth_client,
    citizen,
    dispatcher,
    officer_roads,
    category_potholes,
    sla_default,
    manager_public_works,
    django_assert_max_num_queries,
):
    for n in range(6):
        complaint = in_progress_complaint(
            citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads
        )
        request = services.escalation_request_create(complaint=complaint, requested_by=citizen, reason=f"slow {n}")
        if n % 2:
            services.escalation_request_reject(escalation_request=request, actor=manager_public_works, note="No")
    client = auth_client(dispatcher)

    with django_assert_max_num_queries(4):
        response = client.get(BASE, {"state": "pending"})

    assert response.status_code == 200
    assert [row["state"] for row in response.json()["results"]] == ["pending"] * 3
    assert client.get(BASE, {"state": "bogus"}).status_code == 400


def test_a_citizen_cannot_approve_through_the_service_either(citizen, pending):
    from grievance.errors import ActionForbidden

    with pytest.raises(ActionForbidden):
        services.escalation_request_approve(escalation_request=pending, actor=citizen)
    assert EscalationRequest.objects.get(pk=pending.pk).state == EscalationRequest.State.PENDING
    assert Complaint.objects.get(pk=pending.complaint_id).status == Status.IN_PROGRESS
