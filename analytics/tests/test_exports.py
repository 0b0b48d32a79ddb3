"""CSV exports go through the same gate as the figures and stream any number of rows."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from complaints.models import Complaint

PERIOD = {"since": "2025-11-01", "until": "2026-03-15"}


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_complaints_csv_has_every_visible_complaint_and_no_personal_data(auth_client, executive, city):
    rows = _csv(auth_client(executive).get("/api/v1/analytics/exports/complaints.csv", PERIOD))
    start = timezone.make_aware(dt.datetime(2025, 11, 1))
    assert len(rows) == Complaint.objects.filter(created_at__gte=start).count() > 0
    assert {row["reference"] for row in rows} <= set(Complaint.objects.values_list("reference", flat=True))
    assert not {"citizen", "phone", "email", "address", "description"} & set(rows[0])


def test_officers_export_only_their_departments_complaints(auth_client, officer_water, dept_water, city):
    rows = _csv(auth_client(officer_water).get("/api/v1/analytics/exports/complaints.csv", PERIOD))
    assert rows and {row["department"] for row in rows} == {dept_water.name}
    expected = Complaint.objects.filter(department=dept_water, reference__in=[row["reference"] for row in rows])
    assert expected.count() == len(rows)


def test_complaints_csv_streams_in_a_fixed_number_of_queries(
    auth_client, executive, city, django_assert_max_num_queries
):
    client = auth_client(executive)
    with django_assert_max_num_queries(3):
        rows = _csv(
            client.get("/api/v1/analytics/exports/complaints.csv", {"since": "2025-01-01", "until": "2026-12-31"})
        )
    assert len(rows) == Complaint.objects.count()


@pytest.mark.parametrize(
    "table", ["kpis", "trends", "team-departments", "team-officers", "wards", "rankings-sla", "rankings-satisfaction"]
)
def test_every_kpi_table_exports_as_csv(auth_client, executive, city, table):
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", "2026-03-31")
    rows = _csv(auth_client(executive).get(f"/api/v1/analytics/exports/{table}.csv", PERIOD))
    assert rows


def test_kpi_csv_agrees_with_the_api(auth_client, executive, city):
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", "2026-03-31")
    client = auth_client(executive)
    rows = {row["figure"]: row["value"] for row in _csv(client.get("/api/v1/analytics/exports/kpis.csv", PERIOD))}
    kpis = client.get("/api/v1/analytics/kpis/", PERIOD).json()
    assert int(rows["received"]) == kpis["received"]
    assert int(rows["resolved"]) == kpis["resolved"]


@pytest.mark.parametrize("path", ["complaints.csv", "kpis.csv"])
@pytest.mark.parametrize("persona", ["citizen", "service_user"])
def test_citizens_and_services_cannot_export(request, auth_client, persona, path, db):
    response = auth_client(request.getfixturevalue(persona)).get(f"/api/v1/analytics/exports/{path}")
    assert response.status_code == 403


def test_unknown_table_is_a_404(auth_client, executive, db):
    assert auth_client(executive).get("/api/v1/analytics/exports/passwords.csv").status_code == 404
