"""The escalation-request queue and the notice admin: who opens them, who may decide or publish,
and that every decision goes through the escalation and notice services."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from complaints.models import ComplaintEvent, Escalation, EscalationRequest, Notice, Status
from complaints.notices import notice_create
from complaints.services import escalation_request_create, escalation_request_reject
from complaints.tests.factories import in_progress_complaint

pytestmark = pytest.mark.django_db

REQUESTS = "/admin/complaints/escalationrequest/"
NOTICES = "/admin/complaints/notice/"


def act(client, url: str, action: str, objects, *, apply: bool = True, **data):
    payload = {"action": action, "index": 0, "_selected_action": [o.pk for o in objects], **data}
    if apply:
        payload["apply"] = "1"
    return client.post(url, payload, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def offered(persona_user, model) -> set[str]:
    http_request = RequestFactory().get("/admin/")
    http_request.user = persona_user
    return set(admin.site._registry[model].get_actions(http_request))


@pytest.fixture
def roads_work(citizen, category_potholes, dispatcher, officer_roads, sla_default, manager_public_works):
    return in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)


@pytest.fixture
def pending(roads_work, citizen):
    return escalation_request_create(complaint=roads_work, requested_by=citizen, reason="Nobody came for a week")


# --- the escalation-request queue ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "list_status", "change_status"),
    [
        ("officer_roads", 200, 200),
        ("officer_water", 200, 302),  # not their department: "doesn't exist"
        ("manager_public_works", 200, 200),
        ("dispatcher", 200, 200),
        ("executive", 200, 200),
        ("admin_user", 200, 200),
        ("citizen", 302, 302),  # to the admin login
    ],
)
def test_who_opens_the_escalation_request_queue(client, request, pending, persona, list_status, change_status):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(REQUESTS).status_code == list_status
    assert client.get(reverse("admin:complaints_escalationrequest_change", args=[pending.pk])).status_code == (
        change_status
    )


@pytest.mark.parametrize(
    ("persona", "actions"),
    [
        ("officer_roads", set()),
        ("dispatcher", set()),
        ("executive", set()),
        ("manager_public_works", {"approve_requests", "reject_requests"}),
        ("admin_user", {"approve_requests", "reject_requests"}),
    ],
)
def test_only_managers_and_admins_are_offered_decisions(request, persona, actions):
    assert offered(request.getfixturevalue(persona), EscalationRequest) == actions


def test_manager_approves_and_the_complaint_escalates(client, manager_public_works, pending, dept_public_works):
    client.force_login(manager_public_works)

    response = act(client, REQUESTS, "approve_requests", [pending], note="Agreed")

    reference = pending.complaint.reference
    assert f"{reference}: escalation approved" in messages_of(response)
    pending.refresh_from_db()
    complaint = pending.complaint
    complaint.refresh_from_db()
    assert (pending.state, pending.decided_by, pending.decision_note) == (
        EscalationRequest.State.APPROVED,
        manager_public_works,
        "Agreed",
    )
    assert (complaint.status, complaint.escalation_level, complaint.department) == (
        Status.ESCALATED,
        1,
        dept_public_works,
    )
    assert Escalation.objects.get(complaint=complaint).kind == Escalation.Kind.REQUEST
    assert ComplaintEvent.objects.filter(complaint=complaint, action="escalate", actor=manager_public_works).exists()


def test_rejecting_needs_a_note(client, manager_public_works, pending):
    client.force_login(manager_public_works)

    response = act(client, REQUESTS, "reject_requests", [pending], note="")
    assert response.context["form"].errors["note"]
    pending.refresh_from_db()
    assert pending.state == EscalationRequest.State.PENDING

    response = act(client, REQUESTS, "reject_requests", [pending], note="The crew is scheduled for Monday")
    assert f"{pending.complaint.reference}: escalation request rejected" in messages_of(response)
    pending.refresh_from_db()
    assert pending.state == EscalationRequest.State.REJECTED
    assert ComplaintEvent.objects.filter(complaint=pending.complaint, action="escalation_request_rejected").exists()


def test_bulk_decisions_report_each_request(
    client, manager_public_works, pending, citizen, category_potholes, dispatcher, officer_roads
):
    other = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    decided = escalation_request_create(complaint=other, requested_by=citizen, reason="Too slow")
    escalation_request_reject(escalation_request=decided, actor=manager_public_works, note="No")
    client.force_login(manager_public_works)

    response = act(client, REQUESTS, "approve_requests", [pending, decided], note="")

    reported = messages_of(response)
    assert f"{pending.complaint.reference}: escalation approved" in reported
    assert f"{other.reference}: This escalation request has already been rejected." in reported


def test_an_officer_cannot_decide_even_by_posting(client, officer_roads, pending):
    client.force_login(officer_roads)

    act(client, REQUESTS, "approve_requests", [pending])

    pending.refresh_from_db()
    assert pending.state == EscalationRequest.State.PENDING


def test_pending_requests_come_first(
    client, admin_user, pending, citizen, category_potholes, dispatcher, officer_roads, manager_public_works
):
    other = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    decided = escalation_request_create(complaint=other, requested_by=citizen, reason="Too slow")
    escalation_request_reject(escalation_request=decided, actor=manager_public_works, note="No")
    newest_pending = escalation_request_create(
        complaint=in_progress_complaint(
            citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads
        ),
        requested_by=citizen,
        reason="Again",
    )
    client.force_login(admin_user)

    rows = list(client.get(REQUESTS).context["cl"].result_list)

    assert rows == [newest_pending, pending, decided]


def test_the_dashboard_counts_pending_requests_for_the_manager(client, manager_public_works, pending):
    client.force_login(manager_public_works)

    response = client.get("/admin/")

    tile = {t.key: t for t in response.context["dashboard"]}["escalation_requests"]
    assert tile.count == 1
    assert list(client.get(tile.url).context["cl"].result_list) == [pending]


# --- notices -------------------------------------------------------------------------------------
NOTICE_FORM = {
    "title": "Road closed on Tuesday",
    "body": "MG Road is closed for repairs on Tuesday.",
    "audience": "complainants",
    "ward": "",
    "latitude": "",
    "longitude": "",
    "radius_m": "",
    "lookback_days": "30",
}


@pytest.mark.parametrize(
    ("persona", "list_status", "add_status", "actions"),
    [
        ("officer_roads", 200, 403, set()),
        ("dispatcher", 200, 403, set()),
        ("executive", 200, 403, set()),
        ("manager_public_works", 200, 200, {"publish_notices"}),
        ("admin_user", 200, 200, {"publish_notices"}),
    ],
)
def test_who_opens_the_notice_admin(client, request, persona, list_status, add_status, actions):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    assert client.get(NOTICES).status_code == list_status
    assert client.get(f"{NOTICES}add/").status_code == add_status
    assert offered(user, Notice) == actions


def test_manager_writes_a_draft_for_their_department(client, manager_public_works, dept_public_works):
    client.force_login(manager_public_works)

    response = client.post(f"{NOTICES}add/", {**NOTICE_FORM, "department": dept_public_works.pk})

    assert response.status_code == 302
    notice = Notice.objects.get()
    assert (notice.department, notice.author, notice.state) == (
        dept_public_works,
        manager_public_works,
        Notice.State.DRAFT,
    )


def test_a_manager_cannot_write_for_another_department(client, manager_public_works, dept_water):
    client.force_login(manager_public_works)

    response = client.post(f"{NOTICES}add/", {**NOTICE_FORM, "department": dept_water.pk})

    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    assert not Notice.objects.exists()


def test_an_area_notice_without_an_area_is_a_field_error(client, manager_public_works, dept_public_works):
    client.force_login(manager_public_works)

    response = client.post(f"{NOTICES}add/", {**NOTICE_FORM, "department": dept_public_works.pk, "audience": "area"})

    assert response.status_code == 200
    assert "audience" in response.context["adminform"].form.errors
    assert not Notice.objects.exists()


def test_publishing_goes_through_the_service_and_only_once(client, manager_public_works, dept_public_works):
    notice = notice_create(actor=manager_public_works, department=dept_public_works, title="Hi", body="Body")
    client.force_login(manager_public_works)

    response = act(client, NOTICES, "publish_notices", [notice])
    assert "Notice “Hi”: published" in messages_of(response)
    notice.refresh_from_db()
    assert notice.state in (Notice.State.SENDING, Notice.State.SENT)
    assert notice.published_at is not None

    again = act(client, NOTICES, "publish_notices", [notice])
    assert any(m.startswith("Notice “Hi”: This notice is already") for m in messages_of(again))


def test_a_notice_is_read_only_once_written(client, manager_public_works, dept_public_works):
    notice = notice_create(actor=manager_public_works, department=dept_public_works, title="Hi", body="Body")
    client.force_login(manager_public_works)

    page = client.get(reverse("admin:complaints_notice_change", args=[notice.pk]))
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()
    assert client.post(reverse("admin:complaints_notice_change", args=[notice.pk]), NOTICE_FORM).status_code == 405


def test_other_departments_notices_are_not_listed(client, officer_water, manager_public_works, dept_public_works):
    notice_create(actor=manager_public_works, department=dept_public_works, title="Hi", body="Body")
    client.force_login(officer_water)

    assert list(client.get(NOTICES).context["cl"].result_list) == []
