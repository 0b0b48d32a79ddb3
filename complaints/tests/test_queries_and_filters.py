import datetime as dt

import pytest
from django.utils import timezone

from complaints import services
from complaints.filtersets import ComplaintFilterSet
from complaints.models import Complaint
from complaints.tests.factories import file_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(
    citizen,
    other_citizen,
    category_infrastructure,
    category_potholes,
    category_water_leak,
    sla_default,
    dispatcher,
    officer_roads,
):
    rows = []
    for n in range(30):
        owner = citizen if n % 2 else other_citizen
        sub = category_potholes if n % 3 else category_water_leak
        complaint = file_complaint(
            owner,
            title=f"Issue {n}",
            category=category_infrastructure,
            subcategory=sub,
            latitude=f"28.{6100 + n:04d}",
            longitude="77.209000",
        )
        if n % 5 == 0 and sub == category_potholes:
            services.complaint_triage(
                complaint=complaint,
                actor=dispatcher,
                department=officer_roads.department,
                assignee=officer_roads,
                priority="urgent",
            )
        rows.append(complaint)
    return rows


@pytest.mark.parametrize("page_size", [5, 50])
@pytest.mark.parametrize("persona", ["citizen", "officer_roads", "manager_public_works", "dispatcher"])
def test_list_runs_a_fixed_number_of_queries_whatever_the_page_size(
    persona, page_size, many, auth_client, request, django_assert_max_num_queries
):
    client = auth_client(request.getfixturevalue(persona))
    # auth user, subtree (department roles), count, page: independent of rows on the page.
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/complaints/", {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) > 0


def _count(params) -> int:
    filterset = ComplaintFilterSet(params, queryset=Complaint.objects.all())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.count()


def test_filters(many, officer_roads, dept_public_works):
    total = Complaint.objects.count()
    roads = Complaint.objects.filter(department__code="roads").count()
    water = Complaint.objects.filter(department__code="water-supply").count()
    assert roads + water == total == 30
    assert _count({"department": "roads"}) == roads
    assert _count({"department": str(dept_public_works.pk)}) == roads  # roads is under public works
    assert _count({"department": "nowhere"}) == 0
    assert _count({"category": "infrastructure"}) == total
    assert _count({"category": "potholes"}) == roads
    triaged = Complaint.objects.filter(status="triaged").count()
    assert triaged > 0
    assert _count({"status": ["triaged"]}) == triaged
    assert _count({"status": ["new", "triaged"]}) == total
    assert _count({"priority": ["urgent"]}) == triaged
    assert _count({"assignee": officer_roads.pk}) == triaged
    assert _count({"unassigned": True}) == total - triaged
    assert _count({"q": "Issue 1"}) == 11  # Issue 1, 10..19
    first = Complaint.objects.order_by("id").first()
    assert _count({"q": first.reference.lower()}) == 1
    # Rows sit 0.0001 degrees of latitude (~11.1 m) apart, going north from 28.6100.
    assert _count({"near": "28.6100,77.2090", "radius_m": 120}) == 11  # rows 0..10, the last at ~111 m
    assert _count({"near": "28.6100,77.2090", "radius_m": 50}) == 5  # rows 0..4, the last at ~44.5 m
    assert _count({"near": "28.6100,77.2090", "radius_m": 50000}) == total
    Complaint.objects.filter(pk=first.pk).update(sla_due_at=timezone.now() - dt.timedelta(hours=1))
    assert _count({"overdue": True}) == 1
    assert _count({"overdue": False}) == total - 1
    tomorrow = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert _count({"created_after": tomorrow}) == 0
    assert _count({"created_before": tomorrow}) == total


def test_ordering_by_priority_puts_urgent_first(many, auth_client, dispatcher):
    rows = auth_client(dispatcher).get("/api/v1/complaints/", {"ordering": "-priority"}).json()["results"]
    assert rows[0]["priority"] == "urgent"
    rows = auth_client(dispatcher).get("/api/v1/complaints/", {"ordering": "supporters"}).json()["results"]
    assert rows[0]["supporters_count"] == 0
