"""Review findings on the complaints side (issue 10: 3, 4, 5, 6), each with the test that catches it."""

from __future__ import annotations

import pytest
from django.test import Client

from complaints import services
from complaints.models import Complaint, Status
from complaints.selectors import PUBLIC_FIELDS


def _approved_citizen_request(pothole, citizen, manager_public_works, dispatcher, officer_roads):
    complaint = services.complaint_triage(complaint=pothole, actor=dispatcher, department=officer_roads.department)
    complaint = services.complaint_start(complaint=complaint, actor=officer_roads)
    request = services.escalation_request_create(
        complaint=complaint, requested_by=citizen, reason="My neighbour Mrs Sharma at 12 Lake Road fell in it"
    )
    services.escalation_request_approve(escalation_request=request, actor=manager_public_works)
    return Complaint.objects.get(pk=pothole.pk)


def test_a_citizens_escalation_reason_never_reaches_public_tracking(
    pothole, citizen, manager_public_works, dispatcher, officer_roads, api_client
):
    complaint = _approved_citizen_request(pothole, citizen, manager_public_works, dispatcher, officer_roads)
    assert complaint.status == Status.ESCALATED
    api = api_client.get(f"/api/v1/track/{complaint.reference}/")
    page = Client().get(f"/track/{complaint.reference}/")
    assert api.status_code == page.status_code == 200
    assert "escalate" in [line["action"] for line in api.json()["timeline"]]
    for body in (api.content.decode(), page.content.decode()):
        assert "Sharma" not in body and "Lake Road" not in body


def test_a_supporters_name_never_reaches_the_complaints_owner(pothole, citizen, other_citizen, auth_client):
    services.complaint_support(complaint=pothole, user=other_citizen)
    response = auth_client(citizen).get(f"/api/v1/complaints/{pothole.pk}/events/")
    assert response.status_code == 200
    supported = [line for line in response.json() if line["action"] == "supported"]
    assert len(supported) == 1 and supported[0]["actor"] is None
    assert other_citizen.full_name not in response.content.decode()
    page = Client()
    page.force_login(citizen)
    assert other_citizen.full_name not in page.get(f"/complaints/{pothole.reference}/").content.decode()


def test_staff_still_see_who_supported(pothole, other_citizen, officer_roads, auth_client):
    services.complaint_support(complaint=pothole, user=other_citizen)
    lines = auth_client(officer_roads).get(f"/api/v1/complaints/{pothole.pk}/events/").json()
    assert [line["actor"]["name"] for line in lines if line["action"] == "supported"] == [other_citizen.full_name]


def test_triaging_a_complaint_out_of_your_subtree_answers_200_not_500(
    pothole, manager_public_works, dept_water, auth_client
):
    complaint = pothole  # routed to Roads, under the manager's Public Works
    response = auth_client(manager_public_works).post(
        f"/api/v1/complaints/{complaint.pk}/triage/", {"department": dept_water.code}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["department"] == dept_water.code
    # And it is now out of the manager's reach, as the rule says.
    assert auth_client(manager_public_works).get(f"/api/v1/complaints/{complaint.pk}/").status_code == 404


@pytest.mark.parametrize("value", ["²", "٣", "1²", "99999999999999999999999"])
def test_unicode_digits_and_huge_ids_are_not_found_never_a_500(value, pothole, citizen, dispatcher, auth_client):
    assert auth_client(citizen).get(f"/api/v1/complaints/{value}/").status_code == 404
    duplicate = auth_client(dispatcher).post(
        f"/api/v1/complaints/{pothole.pk}/duplicate/", {"duplicate_of": value}, format="json"
    )
    assert duplicate.status_code == 400
    request = auth_client(citizen).post("/api/v1/escalations/", {"complaint": value, "reason": "x"}, format="json")
    assert request.status_code == 400


def test_public_serializers_show_only_allow_listed_fields():
    from complaints.api.serializers import NearbyComplaintSerializer, PublicComplaintSerializer, TrackSerializer

    derived = {"department_name": "department", "distance_m": None, "timeline": None, "replies": None}
    for serializer in (PublicComplaintSerializer, NearbyComplaintSerializer, TrackSerializer):
        for name in serializer.Meta.fields:
            source = derived.get(name, name)
            assert source is None or source in PUBLIC_FIELDS, f"{serializer.__name__}.{name} is not allow-listed"
