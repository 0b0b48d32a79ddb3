"""The mobile app's hottest calls run a fixed, small number of SQL statements (issue 11), and the
written-out list and detail shapes are exactly what DRF's field-by-field serializers produce.

Statement counts inside a test include the SAVEPOINT/RELEASE pair of the service's transaction (the
test itself runs in one); in production create runs 6 statements between BEGIN and COMMIT.
"""

import pytest
from rest_framework import serializers as drf

from complaints import services
from complaints.api.serializers import CitizenContactSerializer, ComplaintDetailSerializer, ComplaintListSerializer
from complaints.models import Complaint
from complaints.tests.factories import file_complaint

pytestmark = pytest.mark.django_db

NEW_COMPLAINT = {
    "title": "No water",
    "description": "No water in ward 12 for three days.",
    "category": "infrastructure",
    "subcategory": "water-leak",
    "language": "en",
    "latitude": "28.613900",
    "longitude": "77.209000",
}


@pytest.fixture
def filed(citizen, category_infrastructure, category_potholes, category_water_leak, sla_default):
    return [
        file_complaint(citizen, title=f"Issue {n}", category=category_infrastructure, subcategory=category_potholes)
        for n in range(25)
    ]


def test_create_runs_six_statements(
    citizen,
    auth_client,
    category_water_leak,
    sla_default,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    client = auth_client(citizen)
    client.post("/api/v1/complaints/", NEW_COMPLAINT, format="json")  # the year's first also makes its counter row
    # user; both categories with their departments; SLA policy; counter UPDATE ... RETURNING;
    # complaint INSERT; event INSERT (+ the savepoint pair of the test's transaction).
    with django_assert_num_queries(8), django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/api/v1/complaints/", NEW_COMPLAINT, format="json")
    assert response.status_code == 201, response.content
    assert len(callbacks) == 1  # one outbox publish after commit, nothing else in the request
    body = response.json()
    complaint = Complaint.objects.get(reference=body["reference"])
    assert complaint.department.code == "water-supply" and complaint.sla_due_at is not None
    # The response built from the saved row is what a fresh read shows.
    fresh = ComplaintDetailSerializer(
        Complaint.objects.with_list_relations().get(pk=complaint.pk), context={"request": response.wsgi_request}
    ).data
    assert body == {**fresh, "updated_at": body["updated_at"]}


def test_create_still_refuses_what_full_clean_refused(citizen, auth_client, category_water_leak, sla_default):
    client = auth_client(citizen)
    cases = [
        ({"category": "nowhere"}, "category"),
        ({"category": "water-leak"}, "category"),  # a subcategory is not a top-level category
        ({"subcategory": "infrastructure"}, "subcategory"),
        ({"latitude": "95.000000"}, "latitude"),
        ({"longitude": None}, "longitude"),
        ({"title": "   "}, "title"),
    ]
    for change, field in cases:
        response = client.post("/api/v1/complaints/", {**NEW_COMPLAINT, **change}, format="json")
        assert response.status_code == 400, (change, response.content)
        assert field in str(response.json()), (change, response.json())
    assert Complaint.objects.count() == 0


def test_citizen_list_page_of_20_runs_three_statements(filed, citizen, auth_client, django_assert_num_queries):
    client = auth_client(citizen)
    with django_assert_num_queries(3):  # user, count, page
        response = client.get("/api/v1/complaints/", {"page_size": 20})
    assert response.status_code == 200
    assert response.json()["count"] == 25 and len(response.json()["results"]) == 20


def test_detail_by_reference_runs_two_statements(filed, citizen, auth_client, django_assert_num_queries):
    client = auth_client(citizen)
    with django_assert_num_queries(2):  # user, the complaint with its relations
        response = client.get(f"/api/v1/complaints/{filed[0].reference}/")
    assert response.status_code == 200
    assert response.json()["citizen"]["id"] == citizen.pk


def test_officer_filtered_list_runs_five_statements(
    filed, officer_roads, dispatcher, auth_client, django_assert_num_queries
):
    for complaint in filed[:5]:
        services.complaint_triage(complaint=complaint, actor=dispatcher, department=officer_roads.department)
    client = auth_client(officer_roads)
    params = {"page_size": 20, "status": ["new", "triaged"], "category": "potholes", "ordering": "-priority"}
    with django_assert_num_queries(5):  # user, department subtree, category, count, page
        response = client.get("/api/v1/complaints/", params)
    assert response.status_code == 200
    assert response.json()["count"] == 25


def test_written_out_shapes_match_drf_field_by_field(
    filed, citizen, dispatcher, officer_roads, closure_reason_spam, auth_client, service_user
):
    services.complaint_triage(
        complaint=filed[0], actor=dispatcher, department=officer_roads.department, assignee=officer_roads
    )
    services.complaint_reject(complaint=filed[1], actor=dispatcher, closure_reason=closure_reason_spam, note="spam")
    services.complaint_mark_duplicate(complaint=filed[2], actor=dispatcher, duplicate_of=filed[3])
    filed[4].latitude, filed[4].longitude, filed[4].metadata = "28.6139", "77.209", {"call": "c-1"}
    filed[4].save()
    uncategorised = file_complaint(citizen, title="Something else")
    rows = Complaint.objects.with_list_relations().filter(pk__in=[c.pk for c in [*filed[:5], uncategorised]])
    assert len(rows) == 6
    for viewer in (citizen, dispatcher):
        request = auth_client(viewer).get("/api/v1/").wsgi_request
        request.user = viewer
        for row in rows:
            listed = ComplaintListSerializer(row)
            assert list(listed.data.items()) == list(drf.ModelSerializer.to_representation(listed, row).items())
            detailed = ComplaintDetailSerializer(row, context={"request": request})
            generic = drf.ModelSerializer.to_representation(detailed, row)
            assert list(detailed.data.items()) == list(generic.items())
            assert detailed.data["citizen"] == CitizenContactSerializer(row.citizen).data


def test_the_api_list_and_detail_are_drfs_output_for_every_role(
    filed, citizen, dispatcher, officer_roads, manager_public_works, executive, closure_reason_spam, auth_client
):
    # The compiled list/detail paths (selectors.VisibleRows, visible_row) against DRF's generic,
    # field-by-field serializers on freshly loaded instances, as each role sees them.
    services.complaint_triage(
        complaint=filed[0], actor=dispatcher, department=officer_roads.department, assignee=officer_roads
    )
    services.complaint_start(complaint=filed[0], actor=officer_roads)
    services.complaint_reject(complaint=filed[1], actor=dispatcher, closure_reason=closure_reason_spam, note="spam")
    services.complaint_triage(complaint=filed[2], actor=dispatcher, department=officer_roads.department)
    services.complaint_mark_duplicate(complaint=filed[3], actor=dispatcher, duplicate_of=filed[4])
    for viewer in (citizen, dispatcher, officer_roads, manager_public_works, executive):
        client = auth_client(viewer)
        listed = client.get("/api/v1/complaints/", {"page_size": 100}).json()["results"]
        assert listed, viewer.role
        visible = Complaint.objects.visible_to(viewer).with_list_relations().order_by("-created_at", "-id")
        assert [row["id"] for row in listed] == [c.pk for c in visible], viewer.role
        request = client.get("/api/v1/").wsgi_request
        request.user = viewer
        for row, complaint in zip(listed, visible, strict=True):
            generic = ComplaintListSerializer(complaint)
            assert row == drf.ModelSerializer.to_representation(generic, complaint)
        for complaint in visible[:6]:
            detail = client.get(f"/api/v1/complaints/{complaint.reference}/").json()
            generic = ComplaintDetailSerializer(complaint, context={"request": request})
            assert detail == drf.ModelSerializer.to_representation(generic, complaint), (viewer.role, complaint.pk)
