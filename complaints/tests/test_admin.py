"""The complaint back office, through the Django test client: who gets in, what they see, what they
may do, and that every action goes through the workflow and leaves a timeline event."""

import datetime as dt

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Comment, Complaint, ComplaintEvent, Escalation, Status
from complaints.tests.factories import file_complaint, in_progress_complaint

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/complaints/complaint/"


def change_url(complaint) -> str:
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


def logged_in(client, user):
    client.force_login(user)
    return client


def act(client, action: str, complaints, *, apply: bool = True, **data):
    """Post an admin action the way the changelist (or the intermediate form) does."""
    payload = {"action": action, "index": 0, "_selected_action": [c.pk for c in complaints], **data}
    if apply:
        payload["apply"] = "1"
    return client.post(CHANGELIST, payload, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def events(complaint, action: str):
    return ComplaintEvent.objects.filter(complaint=complaint, action=action)


@pytest.fixture
def working(citizen, category_potholes, dispatcher, officer_roads, sla_default):
    """A pothole complaint in progress with the roads officer."""
    return in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)


# --- who gets in, and what they see ---------------------------------------------------------------
PAGE_MATRIX = [
    # persona, changelist, pothole (roads), leak (water)
    ("officer_roads", 200, 200, 302),
    ("officer_water", 200, 302, 200),
    ("manager_public_works", 200, 200, 302),
    ("dispatcher", 200, 200, 200),
    ("executive", 200, 200, 200),
    ("admin_user", 200, 200, 200),
]


@pytest.mark.parametrize(("persona", "list_status", "pothole_status", "leak_status"), PAGE_MATRIX)
def test_each_role_opens_the_complaint_pages_within_its_reach(
    client, request, pothole, leak, persona, list_status, pothole_status, leak_status
):
    logged_in(client, request.getfixturevalue(persona))

    assert client.get(CHANGELIST).status_code == list_status
    assert client.get(change_url(pothole)).status_code == pothole_status
    assert client.get(change_url(leak)).status_code == leak_status


def test_a_complaint_outside_the_gate_is_reported_as_not_existing(client, officer_roads, leak):
    response = logged_in(client, officer_roads).get(change_url(leak), follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert any("doesn’t exist" in m for m in messages_of(response))
    assert leak.reference not in response.content.decode()


def test_a_citizen_is_sent_to_the_admin_login(client, citizen, pothole):
    logged_in(client, citizen)

    for url in (CHANGELIST, change_url(pothole), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    ("persona", "sees_pothole", "sees_leak"),
    [
        ("officer_roads", True, False),
        ("officer_water", False, True),
        ("manager_public_works", True, False),
        ("dispatcher", True, True),
        ("executive", True, True),
        ("admin_user", True, True),
    ],
)
def test_changelist_rows_follow_the_visibility_gate(client, request, pothole, leak, persona, sees_pothole, sees_leak):
    response = logged_in(client, request.getfixturevalue(persona)).get(CHANGELIST)

    rows = set(response.context["cl"].result_list)
    assert (pothole in rows) is sees_pothole
    assert (leak in rows) is sees_leak


def test_the_change_page_shows_the_citizens_contact_and_thumbnails_through_the_checked_route(
    client, dispatcher, pothole, citizen
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="JPEG")
    upload = SimpleUploadedFile("hole.jpg", buffer.getvalue(), content_type="image/jpeg")
    attachment = services.attachment_add(complaint=pothole, uploaded_by=citizen, upload=upload)

    logged_in(client, dispatcher)
    page = client.get(change_url(pothole)).content.decode()

    download = f"/api/v1/complaints/{pothole.pk}/attachments/{attachment.pk}/download/"
    assert f'<img src="{download}"' in page
    assert citizen.phone in page
    # The thumbnail's route works with the admin's session and serves the image.
    image = client.get(download)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"


def test_the_change_page_shows_the_timeline_in_order_and_offers_no_save(client, officer_roads, working):
    response = logged_in(client, officer_roads).get(change_url(working))

    page = response.content.decode()
    timeline = [(line.action, line.text) for line in response.context["timeline"]]
    assert timeline == [
        ("created", "Filed by the citizen"),
        ("triage", "Sent to Roads"),
        ("start", "Work started"),
    ]
    assert 'name="_save"' not in page
    assert "closelink" not in page  # no grey "Close" that reads like closing the complaint
    assert 'id="workflow-resolve_complaints"' in page
    assert 'id="workflow-triage_complaints"' not in page  # an officer never triages


def test_fields_cannot_be_saved_directly(client, admin_user, pothole):
    response = logged_in(client, admin_user).post(change_url(pothole), {"title": "Changed", "status": "closed"})

    assert response.status_code == 405
    pothole.refresh_from_db()
    assert (pothole.title, pothole.status) == ("Pothole on MG Road", Status.NEW)


def test_nobody_adds_or_deletes_complaints_in_the_admin(client, admin_user, pothole):
    logged_in(client, admin_user)

    assert client.get("/admin/complaints/complaint/add/").status_code == 403
    assert client.get(f"/admin/complaints/complaint/{pothole.pk}/delete/").status_code == 403
    assert Complaint.objects.filter(pk=pothole.pk).exists()


# --- which actions each role is offered ---------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("officer_roads", {"start_complaints", "resolve_complaints"}),
        (
            "manager_public_works",
            {
                "triage_complaints",
                "assign_complaints",
                "start_complaints",
                "resolve_complaints",
                "escalate_complaints",
                "reject_complaints",
                "mark_duplicate_complaints",
            },
        ),
        (
            "dispatcher",
            {"triage_complaints", "assign_complaints", "reject_complaints", "mark_duplicate_complaints"},
        ),
        ("executive", set()),
        (
            "admin_user",
            {
                "triage_complaints",
                "assign_complaints",
                "start_complaints",
                "resolve_complaints",
                "escalate_complaints",
                "reject_complaints",
                "mark_duplicate_complaints",
                "close_complaints",
            },
        ),
    ],
)
def test_each_role_is_offered_only_the_actions_it_may_take(request, persona, expected):
    http_request = RequestFactory().get(CHANGELIST)
    http_request.user = request.getfixturevalue(persona)

    offered = set(admin.site._registry[Complaint].get_actions(http_request))

    assert offered == expected


def test_the_executive_sees_everything_read_only(client, executive, working):
    logged_in(client, executive)
    page = client.get(change_url(working)).content.decode()
    assert "workflow-" not in page
    assert 'id="comment-box"' not in page

    act(client, "resolve_complaints", [working], note="Done")

    working.refresh_from_db()
    assert working.status == Status.IN_PROGRESS
    assert not events(working, "resolve").exists()


# --- the actions go through the services --------------------------------------------------------
def test_dispatcher_triages_through_the_intermediate_form(
    client, dispatcher, citizen, officer_roads, dept_roads, sla_default
):
    new = file_complaint(citizen)
    logged_in(client, dispatcher)

    form_page = act(client, "triage_complaints", [new], apply=False)
    assert form_page.status_code == 200
    assert "form" in form_page.context and new.reference in form_page.content.decode()

    response = act(
        client,
        "triage_complaints",
        [new],
        department=dept_roads.pk,
        priority="high",
        assignee=officer_roads.pk,
        note="Roads, urgent-ish",
    )

    assert f"{new.reference}: triaged" in messages_of(response)
    new.refresh_from_db()
    assert (new.status, new.department, new.priority, new.assignee) == (
        Status.TRIAGED,
        dept_roads,
        "high",
        officer_roads,
    )
    assert new.sla_due_at is not None
    event = events(new, "triage").get()
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        dispatcher,
        Status.NEW,
        Status.TRIAGED,
        "Roads, urgent-ish",
    )


def test_triage_with_an_assignee_outside_the_department_reports_the_row_and_changes_nothing(
    client, dispatcher, pothole, officer_water, dept_roads
):
    logged_in(client, dispatcher)

    response = act(
        client, "triage_complaints", [pothole], department=dept_roads.pk, assignee=officer_water.pk, note="Deep one"
    )

    # The assignee choices follow the department, so the pick comes back as a field error with
    # everything typed kept (the note, the department).
    form = response.context["form"]
    assert "assignee" in form.errors
    assert officer_water not in form.fields["assignee"].queryset
    page = response.content.decode()
    assert "Deep one" in page
    assert form["department"].value() == str(dept_roads.pk)
    pothole.refresh_from_db()
    assert pothole.status == Status.NEW
    assert not events(pothole, "triage").exists()


def test_manager_assigns_and_the_officer_starts_and_resolves(
    client, citizen, category_potholes, dispatcher, manager_public_works, officer_roads, dept_roads, sla_default
):
    complaint = file_complaint(citizen, category=category_potholes.parent, subcategory=category_potholes)
    complaint = services.complaint_triage(complaint=complaint, actor=dispatcher, department=dept_roads)

    response = act(logged_in(client, manager_public_works), "assign_complaints", [complaint], assignee=officer_roads.pk)
    assert f"{complaint.reference}: assigned" in messages_of(response)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.assignee) == (Status.IN_PROGRESS, officer_roads)
    assert events(complaint, "assign").get().actor == manager_public_works

    client.logout()
    response = act(logged_in(client, officer_roads), "resolve_complaints", [complaint], note="Filled the pothole.")
    assert f"{complaint.reference}: resolved" in messages_of(response)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolution_note) == (Status.RESOLVED, "Filled the pothole.")
    assert events(complaint, "resolve").get().note == "Filled the pothole."


def test_officer_starts_from_the_change_page_and_returns_to_it(
    client, citizen, category_potholes, dispatcher, officer_roads, dept_roads, sla_default
):
    complaint = file_complaint(citizen, category=category_potholes.parent, subcategory=category_potholes)
    complaint = services.complaint_triage(complaint=complaint, actor=dispatcher, department=dept_roads)
    logged_in(client, officer_roads)

    response = client.post(
        CHANGELIST,
        {"action": "start_complaints", "index": 0, "_selected_action": [complaint.pk], "_return_to_change": "1"},
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(complaint)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.assignee) == (Status.IN_PROGRESS, officer_roads)
    assert events(complaint, "start").get().actor == officer_roads


def test_resolve_without_a_note_shows_the_form_again_and_changes_nothing(client, officer_roads, working):
    response = act(logged_in(client, officer_roads), "resolve_complaints", [working], note="  ")

    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    working.refresh_from_db()
    assert working.status == Status.IN_PROGRESS


def test_bulk_resolve_reports_each_row(client, officer_roads, working, citizen, category_potholes, dispatcher):
    second = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    untriaged = file_complaint(citizen, category=category_potholes.parent, subcategory=category_potholes)

    response = act(logged_in(client, officer_roads), "resolve_complaints", [working, second, untriaged], note="Fixed")

    reported = messages_of(response)
    assert f"{working.reference}: resolved" in reported
    assert f"{second.reference}: resolved" in reported
    assert f"{untriaged.reference}: Cannot resolve a complaint that is new. Allowed now: start." in reported or any(
        m.startswith(f"{untriaged.reference}: Cannot resolve a complaint that is new") for m in reported
    )
    statuses = dict(Complaint.objects.filter(pk__in=[working.pk, second.pk, untriaged.pk]).values_list("pk", "status"))
    assert statuses == {working.pk: Status.RESOLVED, second.pk: Status.RESOLVED, untriaged.pk: Status.NEW}
    assert not events(untriaged, "resolve").exists()


def test_manager_escalates_with_a_reason(client, manager_public_works, working, dept_public_works):
    response = act(logged_in(client, manager_public_works), "escalate_complaints", [working], reason="Stuck for weeks")

    assert f"{working.reference}: escalated" in messages_of(response)
    working.refresh_from_db()
    assert (working.status, working.escalation_level, working.department) == (Status.ESCALATED, 1, dept_public_works)
    escalation = Escalation.objects.get(complaint=working)
    assert (escalation.actor, escalation.reason) == (manager_public_works, "Stuck for weeks")
    assert events(working, "escalate").get().note == "Stuck for weeks"

    page = client.get(change_url(working)).content.decode()
    assert "Stuck for weeks" in page  # in the escalation history and the timeline


def test_dispatcher_rejects_with_a_closure_reason(client, dispatcher, pothole, closure_reason_spam):
    response = act(logged_in(client, dispatcher), "reject_complaints", [pothole], closure_reason=closure_reason_spam.pk)

    assert f"{pothole.reference}: rejected" in messages_of(response)
    pothole.refresh_from_db()
    assert (pothole.status, pothole.closure_reason) == (Status.REJECTED, closure_reason_spam)
    assert events(pothole, "reject").get().actor == dispatcher


def test_dispatcher_marks_a_duplicate_by_the_originals_reference(
    client, dispatcher, pothole, other_citizen, closure_reason_duplicate
):
    copy = file_complaint(other_citizen, title="Same pothole")

    response = act(logged_in(client, dispatcher), "mark_duplicate_complaints", [copy], original=pothole.reference)

    assert f"{copy.reference}: marked as duplicate" in messages_of(response)
    copy.refresh_from_db()
    assert (copy.status, copy.duplicate_of) == (Status.REJECTED, pothole)
    assert events(copy, "duplicate").exists()


def test_mark_duplicate_does_not_accept_a_reference_outside_the_gate(
    client, officer_roads, manager_public_works, pothole, leak
):
    response = act(
        logged_in(client, manager_public_works), "mark_duplicate_complaints", [pothole], original=leak.reference
    )

    assert response.context["form"].errors["original"] == ["No complaint with this reference."]
    pothole.refresh_from_db()
    assert pothole.status == Status.NEW


def test_admin_closes_a_resolved_complaint(client, admin_user, officer_roads, working):
    services.complaint_resolve(complaint=working, actor=officer_roads, note="Done")

    response = act(logged_in(client, admin_user), "close_complaints", [working])

    assert f"{working.reference}: closed" in messages_of(response)
    working.refresh_from_db()
    assert working.status == Status.CLOSED
    assert events(working, "close").get().actor == admin_user


def test_an_action_cannot_reach_a_complaint_outside_the_gate(client, officer_roads, leak, officer_water, dispatcher):
    leak = services.complaint_triage(complaint=leak, actor=dispatcher, department=officer_water.department)
    leak = services.complaint_start(complaint=leak, actor=officer_water)

    act(logged_in(client, officer_roads), "resolve_complaints", [leak], note="Not mine")

    leak.refresh_from_db()
    assert leak.status == Status.IN_PROGRESS


def test_an_officer_cannot_run_an_action_their_role_is_not_offered(client, officer_roads, pothole, dept_roads):
    response = act(logged_in(client, officer_roads), "triage_complaints", [pothole], department=dept_roads.pk)

    assert response.status_code == 200
    pothole.refresh_from_db()
    assert pothole.status == Status.NEW
    assert not events(pothole, "triage").exists()


# --- comments ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("visibility", "internal", "event"), [("0", False, "commented"), ("1", True, "internal_note")])
def test_staff_add_a_public_reply_or_an_internal_note(client, officer_roads, working, visibility, internal, event):
    url = reverse("admin:complaints_complaint_comment", args=[working.pk])

    response = logged_in(client, officer_roads).post(url, {"body": "We are on it.", "is_internal": visibility})

    assert response.status_code == 302 and response["Location"] == change_url(working)
    comment = Comment.objects.get(complaint=working)
    assert (comment.author, comment.body, comment.is_internal) == (officer_roads, "We are on it.", internal)
    assert events(working, event).get().changes == {"comment_id": comment.pk}


def test_comment_on_a_complaint_outside_the_gate_is_404(client, officer_roads, leak):
    url = reverse("admin:complaints_complaint_comment", args=[leak.pk])

    response = logged_in(client, officer_roads).post(url, {"body": "Hello", "is_internal": "1"})

    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_an_empty_comment_is_refused_with_a_message(client, officer_roads, working):
    url = reverse("admin:complaints_complaint_comment", args=[working.pk])

    response = logged_in(client, officer_roads).post(url, {"body": "", "is_internal": "1"}, follow=True)

    assert any(m.startswith("body:") for m in messages_of(response))
    assert not Comment.objects.exists()


def test_the_executive_cannot_comment(client, executive, working):
    url = reverse("admin:complaints_complaint_comment", args=[working.pk])

    response = logged_in(client, executive).post(url, {"body": "Hello", "is_internal": "1"})

    assert response.status_code == 403
    assert not Comment.objects.exists()


# --- filters, search, ordering ----------------------------------------------------------------
def _refs(response) -> list[str]:
    return [c.reference for c in response.context["cl"].result_list]


def test_filters_narrow_the_list(
    client, dispatcher, officer_roads, working, leak, pothole, dept_public_works, dept_water
):
    Complaint.objects.filter(pk=leak.pk).update(sla_due_at=timezone.now() - dt.timedelta(hours=1))
    logged_in(client, dispatcher)

    assert set(_refs(client.get(CHANGELIST, {"department": dept_public_works.pk}))) == {
        working.reference,
        pothole.reference,
    }
    assert _refs(client.get(CHANGELIST, {"department": dept_water.pk})) == [leak.reference]
    assert _refs(client.get(CHANGELIST, {"overdue": "yes"})) == [leak.reference]
    assert _refs(client.get(CHANGELIST, {"status": "in_progress"})) == [working.reference]
    assert set(_refs(client.get(CHANGELIST, {"assigned": "nobody"}))) == {pothole.reference, leak.reference}
    client.logout()
    assert _refs(logged_in(client, officer_roads).get(CHANGELIST, {"assigned": "me"})) == [working.reference]


def test_search_by_reference_title_and_citizen_phone(client, dispatcher, pothole, leak, other_citizen):
    logged_in(client, dispatcher)

    assert _refs(client.get(CHANGELIST, {"q": pothole.reference})) == [pothole.reference]
    assert _refs(client.get(CHANGELIST, {"q": "burst"})) == [leak.reference]
    assert _refs(client.get(CHANGELIST, {"q": other_citizen.phone[-6:]})) == [leak.reference]


def test_overdue_complaints_come_first_then_by_due_time(client, dispatcher, pothole, leak, citizen):
    later = file_complaint(citizen, title="No department yet")
    Complaint.objects.filter(pk=leak.pk).update(sla_due_at=timezone.now() - dt.timedelta(hours=1))
    Complaint.objects.filter(pk=pothole.pk).update(sla_due_at=timezone.now() + dt.timedelta(hours=1))

    response = logged_in(client, dispatcher).get(CHANGELIST)

    assert _refs(response) == [leak.reference, pothole.reference, later.reference]
    assert "overdue" in response.content.decode()


# --- query counts ----------------------------------------------------------------------------------
def _file_many(n: int, citizen, category_potholes, dispatcher, officer_roads):
    from departments.models import SLAPolicy
    from departments.tests.factories import SLAPolicyFactory

    if not SLAPolicy.objects.exists():
        SLAPolicyFactory()
    for i in range(n):
        complaint = file_complaint(
            citizen, title=f"Issue {i}", category=category_potholes.parent, subcategory=category_potholes
        )
        if i % 2:
            complaint = services.complaint_triage(
                complaint=complaint, actor=dispatcher, department=officer_roads.department, assignee=officer_roads
            )


@pytest.mark.parametrize("persona", ["officer_roads", "dispatcher"])
def test_changelist_query_count_does_not_grow_with_the_page(
    client, request, django_assert_max_num_queries, citizen, category_potholes, dispatcher, officer_roads, persona
):
    user = request.getfixturevalue(persona)
    logged_in(client, user)
    _file_many(5, citizen, category_potholes, dispatcher, officer_roads)
    with django_assert_max_num_queries(13) as few:
        assert len(client.get(CHANGELIST).context["cl"].result_list) == 5

    _file_many(45, citizen, category_potholes, dispatcher, officer_roads)
    with django_assert_max_num_queries(len(few.captured_queries)):
        # A full page: about one screen of compact rows.
        assert len(client.get(CHANGELIST).context["cl"].result_list) == 15


# --- the dashboard -------------------------------------------------------------------------------
def test_the_index_opens_on_the_persons_queue(client, officer_roads, working, pothole, leak):
    Complaint.objects.filter(pk=working.pk).update(sla_due_at=timezone.now() - dt.timedelta(hours=1))

    response = logged_in(client, officer_roads).get("/admin/")

    tiles = {tile.key: tile for tile in response.context["dashboard"]}
    # The roads officer sees roads only, and only what an officer acts on: their own in-progress
    # one, which is overdue (triage and assignment are the dispatcher's and the manager's).
    assert set(tiles) == {"mine", "overdue"}
    assert tiles["mine"].count == 1
    assert tiles["overdue"].count == 1
    page = response.content.decode()
    assert 'href="/admin/complaints/complaint/?status=open&amp;assigned=me"' in page
    # The link opens the same rows the count promised.
    assert _refs(client.get(tiles["mine"].url)) == [working.reference]
    assert _refs(client.get(tiles["overdue"].url)) == [working.reference]


@pytest.mark.parametrize(
    ("persona", "keys"),
    [
        ("dispatcher", ["new", "unassigned", "overdue"]),
        ("manager_public_works", ["new", "unassigned", "mine", "overdue", "escalation_requests"]),
        ("admin_user", ["new", "unassigned", "mine", "overdue", "escalation_requests"]),
        ("executive", []),
    ],
)
def test_each_role_sees_only_the_tiles_it_can_act_on(client, request, persona, keys, working, pothole, leak):
    response = logged_in(client, request.getfixturevalue(persona)).get("/admin/")

    tiles = {tile.key: tile for tile in response.context["dashboard"]}
    assert list(tiles) == keys
    if "new" in tiles:
        # Each tile links to the list filtered the same way as its count.
        assert len(_refs(client.get(tiles["new"].url))) == tiles["new"].count


def test_the_index_query_count_does_not_grow_with_the_complaints(
    client, django_assert_max_num_queries, dispatcher, citizen, category_potholes, officer_roads
):
    logged_in(client, dispatcher)
    _file_many(2, citizen, category_potholes, dispatcher, officer_roads)
    with django_assert_max_num_queries(7) as few:
        client.get("/admin/")

    _file_many(20, citizen, category_potholes, dispatcher, officer_roads)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/admin/")
    assert {t.key: t.count for t in response.context["dashboard"]}["new"] == 11
