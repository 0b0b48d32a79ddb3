"""XLSX exports: asked for over the API, built in the background (eager Celery here), stored with
default_storage, readable and downloadable by the requester only, through the same gate as the figures."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from analytics import xlsx
from analytics.models import ExportJob
from analytics.tasks import build_xlsx_export
from complaints.models import Complaint

URL = "/api/v1/analytics/exports/xlsx/"
PERIOD = {"since": "2025-11-01", "until": "2026-03-15"}
STAFF = ["executive", "admin_user", "dispatcher", "manager_public_works", "officer_roads", "officer_water"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _ask(client, django_capture_on_commit_callbacks, **body):
    """POST an export and let the after-commit queueing run (the eager task builds it)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**PERIOD, **body}, format="json")
    return response


def _sheets(response) -> list[list[tuple]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]


def _download(client, job_id):
    status = client.get(f"{URL}{job_id}/").json()
    assert status["status"] == "ready", status
    return _sheets(client.get(status["download_url"]))


def test_requester_gets_a_download_link_when_the_complaints_export_is_ready(
    auth_client, executive, city, django_capture_on_commit_callbacks
):
    client = auth_client(executive)
    response = _ask(client, django_capture_on_commit_callbacks, table="complaints")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["download_url"] is None
    assert body["status_url"].endswith(f"/api/v1/analytics/exports/xlsx/{body['id']}/")
    (sheet,) = _download(client, body["id"])
    header, rows = sheet[0], sheet[1:]
    start = timezone.make_aware(dt.datetime(2025, 11, 1))
    assert len(rows) == Complaint.objects.filter(created_at__gte=start).count() > 0
    assert header[:3] == ("reference", "created_at", "status")
    assert not {"citizen", "phone", "email", "address", "description"} & set(header)
    job = ExportJob.objects.get(pk=body["id"])
    assert job.rows == len(rows)
    assert default_storage.exists(job.file.name), "the file lives in the default storage"


def test_an_officers_export_holds_only_their_departments_complaints(
    auth_client, officer_water, dept_water, city, django_capture_on_commit_callbacks
):
    client = auth_client(officer_water)
    job_id = _ask(client, django_capture_on_commit_callbacks, table="complaints").json()["id"]
    (sheet,) = _download(client, job_id)
    department = sheet[0].index("department")
    assert len(sheet) > 1 and {row[department] for row in sheet[1:]} == {dept_water.name}
    references = [row[0] for row in sheet[1:]]
    assert Complaint.objects.filter(department=dept_water, reference__in=references).count() == len(references)


@pytest.mark.parametrize(
    "table", ["kpis", "trends", "team-departments", "team-officers", "wards", "rankings-sla", "rankings-satisfaction"]
)
def test_every_kpi_table_exports_as_xlsx(auth_client, executive, city, table, django_capture_on_commit_callbacks):
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", "2026-03-31")
    client = auth_client(executive)
    (sheet,) = _download(client, _ask(client, django_capture_on_commit_callbacks, table=table).json()["id"])
    assert len(sheet) > 1


def test_kpi_xlsx_agrees_with_the_api(auth_client, executive, city, django_capture_on_commit_callbacks):
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", "2026-03-31")
    client = auth_client(executive)
    (sheet,) = _download(client, _ask(client, django_capture_on_commit_callbacks, table="kpis").json()["id"])
    figures = dict(sheet[1:])
    kpis = client.get("/api/v1/analytics/kpis/", PERIOD).json()
    assert (figures["received"], figures["resolved"], figures["open"]) == (
        kpis["received"],
        kpis["resolved"],
        kpis["open"],
    )


@pytest.mark.parametrize(
    "persona,expected", [*((name, 202) for name in STAFF), ("citizen", 403), ("service_user", 403)]
)
def test_who_may_ask_for_an_export(request, auth_client, persona, expected, db, django_capture_on_commit_callbacks):
    response = _ask(auth_client(request.getfixturevalue(persona)), django_capture_on_commit_callbacks, table="kpis")
    assert response.status_code == expected
    assert ExportJob.objects.count() == (1 if expected == 202 else 0)


def test_anonymous_callers_are_refused(db):
    assert APIClient().post(URL, {**PERIOD, "table": "kpis"}, format="json").status_code == 401


@pytest.mark.parametrize(
    "persona,expected", [*((name, 404) for name in STAFF), ("citizen", 403), ("service_user", 403)]
)
def test_only_the_requester_sees_the_job_and_its_file(
    request, auth_client, make_user, dept_public_works, persona, expected, city, django_capture_on_commit_callbacks
):
    # A second manager of Public Works: the other manager of the same department still may not look.
    requester = make_user(role=Role.MANAGER, department=dept_public_works)
    job_id = _ask(auth_client(requester), django_capture_on_commit_callbacks, table="complaints").json()["id"]
    assert auth_client(requester).get(f"{URL}{job_id}/download/").status_code == 200
    other = auth_client(request.getfixturevalue(persona))
    assert other.get(f"{URL}{job_id}/").status_code == expected
    assert other.get(f"{URL}{job_id}/download/").status_code == expected


def test_a_job_not_built_yet_says_so(auth_client, executive, db):
    client = auth_client(executive)
    job_id = client.post(URL, {**PERIOD, "table": "kpis"}, format="json").json()["id"]  # not committed: not queued
    assert client.get(f"{URL}{job_id}/").json()["status"] == "pending"
    response = client.get(f"{URL}{job_id}/download/")
    assert response.status_code == 409 and "not ready" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"table": "passwords"},
        {"table": "kpis", "since": "2026-03-15", "until": "2026-01-01"},
        {"table": "kpis", "priority": "whenever"},
        {"table": "trends", "granularity": "hour"},
        {},
    ],
)
def test_bad_export_requests_are_400_and_record_nothing(auth_client, executive, body, db):
    response = auth_client(executive).post(URL, body, format="json")
    assert response.status_code == 400
    assert ExportJob.objects.count() == 0


def test_unknown_job_ids_are_404(auth_client, executive, db):
    client = auth_client(executive)
    assert client.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get(f"{URL}not-a-uuid/").status_code == 404


def test_status_reads_in_a_fixed_number_of_queries(
    auth_client, executive, city, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = auth_client(executive)
    job_id = _ask(client, django_capture_on_commit_callbacks, table="kpis").json()["id"]
    with django_assert_max_num_queries(3):
        assert client.get(f"{URL}{job_id}/").status_code == 200


def test_building_twice_builds_once(executive, city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = xlsx.export_request(user=executive, table="kpis", filters=_filters())
    job.refresh_from_db()
    built_at = job.finished_at
    assert job.status == "ready"
    assert build_xlsx_export(str(job.pk)) is None, "a re-delivered message finds the job done"
    job.refresh_from_db()
    assert job.finished_at == built_at


def test_a_requester_who_lost_access_gets_a_failed_job_not_a_file(executive, city):
    job = xlsx.export_request(user=executive, table="complaints", filters=_filters())
    executive.is_active = False
    executive.save(update_fields=["is_active"])
    assert build_xlsx_export(str(job.pk)) == "failed"
    job.refresh_from_db()
    assert (job.status, job.file.name) == ("failed", "")


def test_a_failed_build_is_recorded(executive, city, monkeypatch):
    job = xlsx.export_request(user=executive, table="kpis", filters=_filters())
    monkeypatch.setattr(xlsx, "write_workbook", lambda *args: 1 / 0)
    assert build_xlsx_export(str(job.pk)) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "failed" in job.error


def test_a_broker_that_is_down_fails_the_job_instead_of_leaving_it_pending(
    executive, db, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(build_xlsx_export, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        job = xlsx.export_request(user=executive, table="kpis", filters=_filters())
    job.refresh_from_db()
    assert job.status == "failed" and "queued" in job.error


def test_workbook_starts_a_new_sheet_at_the_row_limit_and_never_writes_formulas(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "SHEET_ROWS", 3)  # a header and two rows per sheet
    rows = [['=HYPERLINK("http://evil")', 1], ["b", 2.5], ["c", None], ["d", dt.date(2026, 1, 2)], ["e", 5]]
    assert xlsx.write_workbook(tmp_path / "out.xlsx", "complaints", ["name", "value"], rows) == 5
    workbook = openpyxl.load_workbook(tmp_path / "out.xlsx")
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]
    assert [len(sheet) for sheet in sheets] == [3, 3, 2]
    assert all(sheet[0] == ("name", "value") for sheet in sheets)
    first = workbook.worksheets[0]["A2"]
    assert first.value == '=HYPERLINK("http://evil")' and first.data_type == "s", "text, not a formula"
    assert sheets[1][2] == ("d", "2026-01-02")


def _filters():
    from analytics.selectors import Filters

    return Filters(since=dt.date(2025, 11, 1), until=dt.date(2026, 3, 15))
