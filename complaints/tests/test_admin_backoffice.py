"""The back office as staff use it (issue 15): the Grievance name, an open queue by default with short
department names, a complaint page whose first screen says what, where and by when with a timeline in
words, triage whose assignees follow the department, nearby duplicate candidates, and escalation
requests decided from their own page. Through the Django test client and the real admin pages."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from complaints import services
from complaints.models import Complaint, ComplaintEvent, EscalationRequest, Status
from complaints.tests.factories import file_complaint, in_progress_complaint

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/complaints/complaint/"


def change_url(complaint) -> str:
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


def request_url(escalation_request) -> str:
    return reverse("admin:complaints_escalationrequest_change", args=[escalation_request.pk])


def refs(response) -> list[str]:
    return sorted(c.reference for c in response.context["cl"].result_list)


def action_form(client, action: str, complaints, **data):
    """Open an action's intermediate form the way a workflow button does (no `apply` yet)."""
    payload = {"action": action, "index": 0, "_selected_action": [c.pk for c in complaints], **data}
    return client.post(CHANGELIST, payload)


@pytest.fixture
def working(citizen, category_potholes, dispatcher, officer_roads, sla_default):
    return in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)


@pytest.fixture
def rejected(citizen, category_potholes, dispatcher, closure_reason_spam, sla_default):
    complaint = file_complaint(citizen, title="Old rubbish", category=category_potholes.parent)
    return services.complaint_reject(complaint=complaint, actor=dispatcher, closure_reason=closure_reason_spam)


# --- branding and titles ---------------------------------------------------------------------------
def test_the_back_office_carries_the_grievance_name(client, dispatcher):
    client.force_login(dispatcher)

    page = client.get("/admin/").content.decode()

    assert "Grievance back office" in page
    assert re.search(r"<title>[^<]*\| Grievance</title>", page)
    assert "Django administration" not in page
    assert "Django site admin" not in page


@pytest.mark.parametrize("persona", ["officer_roads", "executive"])
def test_a_complaint_page_is_titled_by_its_reference(client, request, persona, pothole):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(change_url(pothole)).content.decode()

    assert f"<h1>Complaint {pothole.reference}</h1>" in page
    assert "Change complaint" not in page
    assert "View complaint" not in page


# --- the list --------------------------------------------------------------------------------------
def test_the_list_shows_open_complaints_by_default_and_everything_on_request(client, dispatcher, pothole, rejected):
    client.force_login(dispatcher)

    default = client.get(CHANGELIST)
    assert refs(default) == [pothole.reference]
    # The filter says so, and "All" is a real choice rather than the default in disguise.
    page = default.content.decode()
    assert 'href="?status=all"' in page
    assert refs(client.get(CHANGELIST, {"status": "all"})) == sorted([pothole.reference, rejected.reference])
    assert refs(client.get(CHANGELIST, {"status": "rejected"})) == [rejected.reference]
    # A search by reference finds a closed complaint too.
    assert refs(client.get(CHANGELIST, {"q": rejected.reference})) == [rejected.reference]


def test_the_list_names_the_department_short_with_its_path_on_hover(client, dispatcher, pothole, dept_roads):
    client.force_login(dispatcher)

    page = client.get(CHANGELIST).content.decode()

    assert f'<span title="{dept_roads.path}">Roads</span>' in page
    assert dept_roads.path != "Roads"


def test_the_list_keeps_to_a_few_narrow_columns_and_a_screen_of_rows():
    from django.contrib import admin

    model_admin = admin.site._registry[Complaint]
    assert model_admin.list_display == [
        "reference",
        "title",
        "status",
        "priority",
        "department_short",
        "assignee",
        "due",
    ]
    assert model_admin.list_per_page == 15


# --- the complaint page --------------------------------------------------------------------------
def test_the_first_screen_says_what_where_and_by_when_without_a_map_when_no_tiles(
    client, settings, officer_roads, working
):
    settings.MAP_TILE_URL = ""
    Complaint.objects.filter(pk=working.pk).update(
        latitude="28.613900", longitude="77.209000", address="MG Road near the bus stop", ward="12"
    )
    client.force_login(officer_roads)

    response = client.get(change_url(working))

    page = response.content.decode()
    summary = page[page.index('id="complaint-summary"') : page.index('id="timeline"')]
    assert "A deep pothole near the bus stop." in summary
    assert "Due" in summary and working.sla_due_at is not None
    assert "MG Road near the bus stop, ward 12" in summary
    assert "Pin at 28.613900, 77.209000" in summary
    assert 'id="complaint-map"' not in page
    assert "leaflet.js" not in page


def test_the_first_screen_shows_a_map_with_the_vendored_leaflet_when_tiles_are_set(
    client, settings, officer_roads, working
):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    Complaint.objects.filter(pk=working.pk).update(latitude="28.613900", longitude="77.209000")
    client.force_login(officer_roads)

    page = client.get(change_url(working)).content.decode()

    assert 'data-lat="28.613900"' in page and 'data-lng="77.209000"' in page
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in page
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/js/backoffice.js" in page


def test_photos_are_thumbnails_on_the_first_screen_through_the_checked_route(client, dispatcher, pothole, citizen):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="JPEG")
    upload = SimpleUploadedFile("hole.jpg", buffer.getvalue(), content_type="image/jpeg")
    attachment = services.attachment_add(complaint=pothole, uploaded_by=citizen, upload=upload)
    client.force_login(dispatcher)

    page = client.get(change_url(pothole)).content.decode()

    summary = page[page.index('id="complaint-summary"') : page.index('id="timeline"')]
    download = f"/api/v1/complaints/{pothole.pk}/attachments/{attachment.pk}/download/"
    assert f'<img src="{download}" alt="hole.jpg" class="thumbnail"' in summary
    # And the timeline says so in words.
    assert "Photo added" in page


def test_the_timeline_reads_in_words(client, manager_public_works, working, dept_public_works):
    services.comment_add(complaint=working, author=manager_public_works, body="Crew booked.", is_internal=True)
    services.complaint_escalate(complaint=working, actor=manager_public_works, reason="Needs the big crew")
    client.force_login(manager_public_works)

    response = client.get(change_url(working))

    texts = [line.text for line in response.context["timeline"]]
    assert texts[:4] == ["Filed by the citizen", "Sent to Roads", "Work started", "Internal note"]
    # Manual escalation moves it up the tree: from Roads to Public Works.
    assert Complaint.objects.get(pk=working.pk).department == dept_public_works
    assert texts[4] == "Escalated to Public Works"
    page = response.content.decode()
    assert "Needs the big crew" in page
    assert "staff only" in page
    # No action codes, status codes or boolean icons in the history.
    assert "icon-no.svg" not in page and "icon-yes.svg" not in page
    assert ">in_progress<" not in page


def test_the_complaint_page_costs_the_same_whatever_its_history(
    client, django_assert_max_num_queries, officer_roads, working
):
    client.force_login(officer_roads)
    with django_assert_max_num_queries(40) as few:
        client.get(change_url(working))
    for n in range(6):
        services.comment_add(complaint=working, author=officer_roads, body=f"Update {n}", is_internal=bool(n % 2))

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(change_url(working)).status_code == 200


def test_no_inline_scripts_or_event_handlers_in_the_admin_templates():
    # A Content-Security-Policy may forbid inline scripts: the back office keeps its JS in static files.
    for template in Path(django_settings.BASE_DIR, "templates", "admin").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "style=" not in text, template


# --- triage ----------------------------------------------------------------------------------------
def test_triage_defaults_to_the_current_department_and_offers_its_people(
    client, dispatcher, pothole, dept_roads, officer_roads, officer_water, manager_public_works
):
    client.force_login(dispatcher)

    response = action_form(client, "triage_complaints", [pothole])

    form = response.context["form"]
    assert form["department"].value() == dept_roads.pk
    assert set(form.fields["assignee"].queryset) == {officer_roads, manager_public_works}
    page = response.content.decode()
    assert f'<option value="{dept_roads.pk}" selected>' in page
    assignee_select = page[page.index('name="assignee"') : page.index("</select>", page.index('name="assignee"'))]
    assert f'<option value="{officer_roads.pk}"' in assignee_select
    assert f'<option value="{officer_water.pk}"' not in assignee_select
    assert 'data-assignees-url="/admin/complaints/complaint/assignees/"' in page


def test_the_assignee_choices_follow_the_posted_department(
    client, dispatcher, pothole, dept_water, officer_roads, officer_water
):
    client.force_login(dispatcher)

    # Water chosen, a Roads officer still picked: refused, with Water's people offered and the note kept.
    response = action_form(
        client,
        "triage_complaints",
        [pothole],
        apply="1",
        department=dept_water.pk,
        assignee=officer_roads.pk,
        note="Wet",
    )
    form = response.context["form"]
    assert "assignee" in form.errors
    assert list(form.fields["assignee"].queryset) == [officer_water]
    assert "Wet" in response.content.decode()
    pothole.refresh_from_db()
    assert pothole.status == Status.NEW

    # Picking from the offered list works.
    action_form(client, "triage_complaints", [pothole], apply="1", department=dept_water.pk, assignee=officer_water.pk)
    pothole.refresh_from_db()
    assert (pothole.department, pothole.assignee, pothole.status) == (dept_water, officer_water, Status.TRIAGED)


@pytest.mark.parametrize(
    ("department", "expected"),
    [("roads", {"officer_roads", "manager_public_works"}), ("water", {"officer_water"}), ("abc", set()), ("", set())],
)
def test_the_assignees_endpoint_lists_the_people_of_a_department(
    client,
    request,
    dispatcher,
    department,
    expected,
    dept_roads,
    dept_water,
    officer_roads,
    officer_water,
    manager_public_works,
):
    ids = {"roads": str(dept_roads.pk), "water": str(dept_water.pk)}
    client.force_login(dispatcher)

    response = client.get("/admin/complaints/complaint/assignees/", {"department": ids.get(department, department)})

    assert response.status_code == 200
    got = {person["id"] for person in response.json()["assignees"]}
    assert got == {request.getfixturevalue(name).pk for name in expected}


def test_the_assignees_endpoint_is_closed_to_those_who_cannot_route(
    client, executive, officer_roads, citizen, dept_roads
):
    for person in (executive, officer_roads):
        client.force_login(person)
        assert client.get("/admin/complaints/complaint/assignees/", {"department": dept_roads.pk}).status_code == 403
    client.force_login(citizen)
    assert client.get("/admin/complaints/complaint/assignees/", {"department": dept_roads.pk}).status_code == 302


# --- duplicates ------------------------------------------------------------------------------------
@pytest.fixture
def neighbours(other_citizen, category_infrastructure, category_potholes, category_water_leak, sla_default):
    """Around the pothole at 28.6139, 77.2090: a pothole ~50 m away, one ~2 km away, a leak ~20 m away."""

    def at(title, lat, lng, subcategory):
        return file_complaint(
            other_citizen,
            title=title,
            category=category_infrastructure,
            subcategory=subcategory,
            latitude=lat,
            longitude=lng,
        )

    return {
        "near": at("Same hole", "28.614300", "77.209200", category_potholes),
        "far": at("Far hole", "28.631900", "77.209000", category_potholes),
        "leak": at("Leak here", "28.614000", "77.209100", category_water_leak),
    }


def test_mark_duplicate_offers_the_nearby_open_complaints_of_the_same_kind(client, dispatcher, pothole, neighbours):
    client.force_login(dispatcher)

    response = action_form(client, "mark_duplicate_complaints", [pothole])

    choices = dict(response.context["form"].fields["candidate"].choices)
    assert set(choices) == {str(neighbours["near"].pk)}
    assert neighbours["near"].reference in choices[str(neighbours["near"].pk)]

    done = client.post(
        CHANGELIST,
        {
            "action": "mark_duplicate_complaints",
            "index": 0,
            "_selected_action": [pothole.pk],
            "apply": "1",
            "candidate": str(neighbours["near"].pk),
            "note": "Same hole",
        },
        follow=True,
    )
    assert f"{pothole.reference}: marked as duplicate" in [str(m) for m in done.context["messages"]]
    pothole.refresh_from_db()
    assert (pothole.status, pothole.duplicate_of) == (Status.REJECTED, neighbours["near"])


def test_a_candidate_not_offered_is_refused_and_the_note_kept(client, dispatcher, pothole, neighbours):
    client.force_login(dispatcher)

    response = action_form(
        client, "mark_duplicate_complaints", [pothole], apply="1", candidate=str(neighbours["far"].pk), note="Keep me"
    )

    assert "candidate" in response.context["form"].errors
    assert "Keep me" in response.content.decode()
    pothole.refresh_from_db()
    assert pothole.status == Status.NEW


# --- escalation requests ---------------------------------------------------------------------------
@pytest.fixture
def pending(working, citizen, manager_public_works):
    return services.escalation_request_create(complaint=working, requested_by=citizen, reason="A month of nothing.")


def test_the_complaint_page_says_a_request_is_pending_with_a_link(client, officer_roads, working, pending):
    client.force_login(officer_roads)

    page = client.get(change_url(working)).content.decode()

    assert 'id="pending-request"' in page
    assert f'href="{request_url(pending)}"' in page


def test_no_pending_notice_without_a_request(client, officer_roads, working):
    client.force_login(officer_roads)
    assert 'id="pending-request"' not in client.get(change_url(working)).content.decode()


def test_the_request_page_is_titled_and_offers_approve_and_reject_to_the_deciding_manager(
    client, manager_public_works, working, pending
):
    client.force_login(manager_public_works)

    page = client.get(request_url(pending)).content.decode()

    assert f"<h1>Escalation request for {working.reference}</h1>" in page
    assert 'id="decision-approve_requests"' in page
    assert 'id="decision-reject_requests"' in page
    assert "Change escalation request" not in page


@pytest.mark.parametrize("persona", ["officer_roads", "dispatcher", "executive"])
def test_the_request_page_offers_no_decision_to_others(client, request, persona, pending):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(request_url(pending))

    assert response.status_code == 200
    assert 'id="decision-approve_requests"' not in response.content.decode()


def test_the_manager_approves_from_the_request_page_and_returns_to_it(client, manager_public_works, working, pending):
    client.force_login(manager_public_works)
    requests_changelist = reverse("admin:complaints_escalationrequest_changelist")
    button = {"action": "approve_requests", "index": 0, "_selected_action": [pending.pk], "_return_to_change": "1"}

    form_page = client.post(requests_changelist, button)
    assert form_page.status_code == 200
    response = client.post(requests_changelist, {**button, "apply": "1", "note": "Go"}, follow=True)

    assert response.redirect_chain[-1][0] == request_url(pending)
    assert f"{working.reference}: escalation approved" in [str(m) for m in response.context["messages"]]
    pending.refresh_from_db()
    assert pending.state == EscalationRequest.State.APPROVED
    assert ComplaintEvent.objects.filter(complaint=working, action="escalate").exists()
    # Decided: no buttons any more, and the complaint page no longer says it is pending.
    assert 'id="decision-approve_requests"' not in response.content.decode()
    assert 'id="pending-request"' not in client.get(change_url(working)).content.decode()


def test_a_refused_single_action_comes_back_on_its_form_with_the_text_kept(client, officer_roads, pothole):
    client.force_login(officer_roads)

    # Resolving a complaint nobody has started: the service refuses.
    response = action_form(
        client, "resolve_complaints", [pothole], apply="1", note="Filled it in", _return_to_change="1"
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "Cannot resolve" in " ".join(form.non_field_errors())
    page = response.content.decode()
    assert "Filled it in" in page
    assert 'name="_return_to_change"' in page
    pothole.refresh_from_db()
    assert pothole.status == Status.NEW
    assert not ComplaintEvent.objects.filter(complaint=pothole, action="resolve").exists()


def test_assign_offers_the_people_of_the_complaints_department(
    client, manager_public_works, working, officer_roads, officer_water
):
    client.force_login(manager_public_works)

    response = action_form(client, "assign_complaints", [working])

    people = set(response.context["form"].fields["assignee"].queryset)
    assert officer_roads in people and manager_public_works in people
    assert officer_water not in people
