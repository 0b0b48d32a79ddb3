"""Citizen pages through the Django test client: who sees what, filing, the workflow forms, tracking."""

import datetime as dt
import io
import os
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from complaints import services
from complaints.models import Attachment, Comment, Complaint, Feedback, Status, Support
from complaints.tests.factories import file_complaint, in_progress_complaint


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def stored_files() -> list[str]:
    return [os.path.join(root, f) for root, _dirs, files in os.walk(settings.MEDIA_ROOT) for f in files]


def page_client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def detail_url(complaint) -> str:
    return reverse("complaints:detail", args=[complaint.reference])


@pytest.fixture
def resolved_pothole(citizen, category_potholes, dispatcher, officer_roads, sla_default):
    complaint = in_progress_complaint(
        citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads
    )
    return services.complaint_resolve(complaint=complaint, actor=officer_roads, note="Filled with bitumen.")


@pytest.fixture
def new_complaint_data(category_infrastructure, category_potholes, dept_roads, sla_default):
    return {
        "title": "Pothole near Lajpat Nagar market",
        "description": "A deep pothole in the left lane; two scooters fell yesterday.",
        "category": str(category_infrastructure.pk),
        "subcategory": str(category_potholes.pk),
        "address": "Ring Road, near the market gate",
        "ward": "Ward 42",
        "latitude": "28.567800",
        "longitude": "77.243400",
    }


# --- access ------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("name", ["complaints:list", "complaints:new"])
def test_anonymous_visitor_is_sent_to_sign_in(name):
    response = page_client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_visitor_is_sent_to_sign_in_for_a_complaint(pothole):
    response = page_client().get(detail_url(pothole))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_owner_sees_their_complaint_with_status_department_and_due_time(pothole, citizen):
    response = page_client(citizen).get(detail_url(pothole))
    assert response.status_code == 200
    html = response.content.decode()
    assert pothole.reference in html
    assert "Roads" in html
    assert pothole.description in html
    assert f'datetime="{timezone.localtime(pothole.sla_due_at).isoformat()}"' in html
    assert "Complaint filed" in html


def test_citizen_cannot_see_another_citizens_complaint(pothole, other_citizen):
    assert page_client(other_citizen).get(detail_url(pothole)).status_code == 404
    assert page_client(other_citizen).get(detail_url(pothole).lower()).status_code == 404


def test_unknown_or_malformed_reference_is_a_404(citizen):
    client = page_client(citizen)
    assert client.get(reverse("complaints:detail", args=["GRV-2026-999999"])).status_code == 404
    assert client.get("/complaints/%3Cscript%3E/").status_code == 404


def test_staff_of_the_department_and_dispatcher_see_the_complaint(pothole, officer_roads, dispatcher, officer_water):
    assert page_client(officer_roads).get(detail_url(pothole)).status_code == 200
    assert page_client(dispatcher).get(detail_url(pothole)).status_code == 200
    assert page_client(officer_water).get(detail_url(pothole)).status_code == 404


def test_executive_reads_but_gets_no_forms(pothole, executive):
    response = page_client(executive).get(detail_url(pothole))
    assert response.status_code == 200
    assert reverse("complaints:comment", args=[pothole.reference]) not in response.content.decode()


def test_staff_cannot_file_as_a_citizen_on_the_citizen_page(dispatcher):
    response = page_client(dispatcher).get(reverse("complaints:new"))
    assert response.status_code == 403
    assert b"back office" in response.content


# --- my complaints -----------------------------------------------------------------------------
def test_list_shows_only_own_complaints_newest_first(pothole, leak, citizen):
    second = file_complaint(citizen, title="Streetlight dark for a week")
    response = page_client(citizen).get(reverse("complaints:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert leak.reference not in html
    assert html.index(second.reference) < html.index(pothole.reference)


def test_list_filters_by_status(pothole, citizen, dispatcher, dept_roads):
    other = file_complaint(citizen, title="Garbage not collected")
    services.complaint_triage(complaint=other, actor=dispatcher, department=dept_roads)
    client = page_client(citizen)
    html = client.get(reverse("complaints:list"), {"status": "triaged"}).content.decode()
    assert other.reference in html and pothole.reference not in html
    # An unknown status is ignored, not a 500.
    assert client.get(reverse("complaints:list"), {"status": "bogus"}).status_code == 200


def test_list_runs_a_fixed_number_of_queries_and_paginates(
    citizen, category_infrastructure, category_potholes, sla_default, django_assert_max_num_queries
):
    for n in range(25):
        file_complaint(citizen, title=f"Pothole {n}", category=category_infrastructure, subcategory=category_potholes)
    client = page_client(citizen)
    client.get(reverse("complaints:list"))  # warm the session and any per-process caches
    with django_assert_max_num_queries(5):
        first = client.get(reverse("complaints:list"))
    with django_assert_max_num_queries(5):
        second = client.get(reverse("complaints:list"), {"page": 2})
    assert first.content.decode().count('href="/complaints/GRV-') == 20
    assert second.content.decode().count('href="/complaints/GRV-') == 5
    assert "Page 2 of 2" in second.content.decode()


# --- filing ------------------------------------------------------------------------------------
def test_citizen_files_a_complaint_with_photos_and_sees_its_reference(citizen, other_citizen, new_complaint_data):
    client = page_client(citizen)
    assert client.get(reverse("complaints:new")).status_code == 200
    data = {**new_complaint_data, "files": [png("a.png"), png("b.png")]}
    response = client.post(reverse("complaints:new"), data, follow=True)
    complaint = Complaint.objects.get(citizen=citizen)
    assert response.redirect_chain[-1][0] == detail_url(complaint)
    assert complaint.reference in [str(m) for m in response.context["messages"]][0]
    assert complaint.department.code == "roads"
    assert complaint.subcategory.code == "potholes"
    assert str(complaint.latitude) == "28.567800"
    assert complaint.attachments.count() == 2
    html = response.content.decode()
    for attachment in complaint.attachments.all():
        url = reverse("api:complaint-download", args=[complaint.pk, attachment.pk])
        assert url in html
        # The download route takes the page's session, and only for those who may see it.
        assert client.get(url).status_code == 200
        assert page_client(other_citizen).get(url).status_code == 404


def test_filing_needs_title_description_and_category(citizen, new_complaint_data):
    data = {**new_complaint_data, "title": "", "description": "  ", "category": ""}
    response = page_client(citizen).post(reverse("complaints:new"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert {"title", "description", "category"} <= set(form.errors)
    assert not Complaint.objects.exists()
    assert 'role="alert"' in response.content.decode()


def test_subcategory_of_another_category_is_a_clear_form_error(
    citizen, new_complaint_data, category_potholes, dept_lighting
):
    from departments.tests.factories import CategoryFactory

    lighting = CategoryFactory(code="lighting", name="Lighting", default_department=dept_lighting)
    data = {**new_complaint_data, "category": str(lighting.pk), "subcategory": str(category_potholes.pk)}
    response = page_client(citizen).post(reverse("complaints:new"), data)
    assert response.status_code == 400
    assert "is not part of" in response.context["form"].errors["subcategory"][0]
    assert not Complaint.objects.exists()


def test_inactive_categories_are_not_offered(citizen, new_complaint_data, category_infrastructure):
    from departments.tests.factories import CategoryFactory

    CategoryFactory(code="old", name="Retired category", is_active=False)
    response = page_client(citizen).get(reverse("complaints:new"))
    assert "Retired category" not in response.content.decode()
    assert "Infrastructure" in response.content.decode()


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [("28.5", "", "longitude"), ("", "77.2", "latitude"), ("91", "77.2", "latitude"), ("28.5", "181", "longitude")],
)
def test_location_needs_both_coordinates_in_range(citizen, new_complaint_data, latitude, longitude, field):
    data = {**new_complaint_data, "latitude": latitude, "longitude": longitude}
    response = page_client(citizen).post(reverse("complaints:new"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_a_bad_attachment_leaves_no_complaint_and_no_file(citizen, new_complaint_data):
    before = stored_files()
    bad = SimpleUploadedFile("notes.png", b"this is not an image", content_type="image/png")
    data = {**new_complaint_data, "files": [png(), bad]}
    response = page_client(citizen).post(reverse("complaints:new"), data)
    assert response.status_code == 400
    assert "notes.png" in response.context["form"].errors["files"][0]
    assert not Complaint.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files() == before


def test_an_oversized_attachment_is_a_form_error(citizen, new_complaint_data, settings):
    settings.COMPLAINT_ATTACHMENT_MAX_BYTES = 50
    data = {**new_complaint_data, "files": [png()]}
    response = page_client(citizen).post(reverse("complaints:new"), data)
    assert response.status_code == 400
    assert "at most" in response.context["form"].errors["files"][0]
    assert not Complaint.objects.exists()


def test_more_files_than_allowed_is_a_form_error(citizen, new_complaint_data):
    data = {**new_complaint_data, "files": [png(f"{n}.png") for n in range(settings.COMPLAINT_MAX_ATTACHMENTS + 1)]}
    response = page_client(citizen).post(reverse("complaints:new"), data)
    assert response.status_code == 400
    assert "files" in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_a_storage_failure_midway_removes_the_complaint_and_the_files_already_stored(
    citizen, new_complaint_data, monkeypatch
):
    # The second upload fails after the first was stored: the page must undo both rows and files.
    real_add = services.attachment_add
    calls = []

    def failing_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_add(**kwargs)

    from complaints.services import intake

    monkeypatch.setattr(intake, "attachment_add", failing_second)
    before = stored_files()
    data = {**new_complaint_data, "files": [png("a.png"), png("b.png")]}
    with pytest.raises(OSError):
        page_client(citizen).post(reverse("complaints:new"), data)
    assert len(calls) == 2
    assert not Complaint.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files() == before


# --- conversation ------------------------------------------------------------------------------
def test_owner_adds_a_comment_and_internal_notes_never_show(pothole, citizen, officer_roads):
    services.comment_add(complaint=pothole, author=officer_roads, body="Crew booked for Tuesday.")
    services.comment_add(
        complaint=pothole, author=officer_roads, body="Contractor is slow, chase him", is_internal=True
    )
    client = page_client(citizen)
    response = client.post(
        reverse("complaints:comment", args=[pothole.reference]), {"body": "It got worse after the rain."}, follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "It got worse after the rain." in html
    assert "Crew booked for Tuesday." in html
    assert "Contractor is slow" not in html
    assert "Internal note" not in html
    assert Comment.objects.filter(complaint=pothole, author=citizen).count() == 1


def test_internal_notes_stay_off_the_citizen_page_even_for_staff(pothole, officer_roads):
    services.comment_add(complaint=pothole, author=officer_roads, body="Budget is exhausted", is_internal=True)
    html = page_client(officer_roads).get(detail_url(pothole)).content.decode()
    assert "Budget is exhausted" not in html


def test_empty_comment_is_a_field_error(pothole, citizen):
    response = page_client(citizen).post(reverse("complaints:comment", args=[pothole.reference]), {"body": " "})
    assert response.status_code == 400
    assert "body" in response.context["comment_form"].errors
    assert not Comment.objects.exists()


def test_another_citizen_cannot_comment(pothole, other_citizen):
    response = page_client(other_citizen).post(reverse("complaints:comment", args=[pothole.reference]), {"body": "x"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_comment_on_a_closed_complaint_shows_the_services_message(resolved_pothole, citizen):
    services.complaint_close(complaint=resolved_pothole, actor=citizen, rating=4)
    response = page_client(citizen).post(
        reverse("complaints:comment", args=[resolved_pothole.reference]), {"body": "One more thing"}
    )
    assert response.status_code == 409
    assert "This complaint is closed" in response.content.decode()


# --- close and reopen --------------------------------------------------------------------------
def test_citizen_closes_a_resolved_complaint_with_a_rating(resolved_pothole, citizen):
    client = page_client(citizen)
    html = client.get(detail_url(resolved_pothole)).content.decode()
    assert reverse("complaints:close", args=[resolved_pothole.reference]) in html
    assert reverse("complaints:reopen", args=[resolved_pothole.reference]) in html
    assert "Filled with bitumen." in html
    response = client.post(
        reverse("complaints:close", args=[resolved_pothole.reference]),
        {"rating": "4", "comment": "Quick work"},
        follow=True,
    )
    assert response.status_code == 200
    resolved_pothole.refresh_from_db()
    assert resolved_pothole.status == Status.CLOSED
    feedback = Feedback.objects.get(complaint=resolved_pothole)
    assert (feedback.rating, feedback.comment) == (4, "Quick work")
    assert "4 of 5" in response.content.decode()


@pytest.mark.parametrize("rating", ["", "0", "6", "five"])
def test_close_needs_a_rating_from_1_to_5(resolved_pothole, citizen, rating):
    response = page_client(citizen).post(
        reverse("complaints:close", args=[resolved_pothole.reference]), {"rating": rating}
    )
    assert response.status_code == 400
    assert "rating" in response.context["close_form"].errors
    resolved_pothole.refresh_from_db()
    assert resolved_pothole.status == Status.RESOLVED


def test_closing_a_complaint_that_is_not_resolved_shows_the_refusal(pothole, citizen):
    response = page_client(citizen).post(reverse("complaints:close", args=[pothole.reference]), {"rating": "5"})
    assert response.status_code == 409
    assert "Cannot close a complaint that is new" in response.content.decode()
    assert not Feedback.objects.exists()


def test_citizen_reopens_within_the_window(resolved_pothole, citizen):
    response = page_client(citizen).post(
        reverse("complaints:reopen", args=[resolved_pothole.reference]), {"reason": "The pothole is back."}, follow=True
    )
    assert response.status_code == 200
    resolved_pothole.refresh_from_db()
    assert resolved_pothole.status == Status.IN_PROGRESS
    assert "Reopened" in response.content.decode()


def test_reopen_after_the_window_is_refused_with_the_services_message(resolved_pothole, citizen):
    Complaint.objects.filter(pk=resolved_pothole.pk).update(
        resolved_at=timezone.now() - dt.timedelta(days=settings.COMPLAINT_REOPEN_WINDOW_DAYS + 1)
    )
    client = page_client(citizen)
    assert reverse("complaints:reopen", args=[resolved_pothole.reference]) not in client.get(
        detail_url(resolved_pothole)
    ).content.decode()
    response = client.post(reverse("complaints:reopen", args=[resolved_pothole.reference]), {"reason": "Still broken"})
    assert response.status_code == 409
    assert "reopen window" in response.content.decode()
    resolved_pothole.refresh_from_db()
    assert resolved_pothole.status == Status.RESOLVED


def test_reopen_needs_a_reason(resolved_pothole, citizen):
    response = page_client(citizen).post(reverse("complaints:reopen", args=[resolved_pothole.reference]), {})
    assert response.status_code == 400
    assert "reason" in response.context["reopen_form"].errors


# --- public tracking ---------------------------------------------------------------------------
def test_track_form_sends_to_the_complaint_and_rejects_nonsense(pothole):
    client = page_client()
    response = client.get(reverse("complaints:track"), {"reference": f" {pothole.reference.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("complaints:track-detail", args=[pothole.reference])
    assert client.get(reverse("complaints:track")).status_code == 200
    bad = client.get(reverse("complaints:track"), {"reference": "hello"})
    assert bad.status_code == 400
    assert "GRV-2026-000123" in bad.content.decode()
    assert client.get(reverse("complaints:track-detail", args=["GRV-2000-000001"])).status_code == 404


def test_track_page_is_public_and_free_of_personal_details(pothole, citizen, officer_roads, dispatcher):
    citizen.email = "alice@example.org"
    citizen.save()
    services.comment_add(complaint=pothole, author=citizen, body="Call me on my number any time")
    services.comment_add(complaint=pothole, author=officer_roads, body="Secret internal remark", is_internal=True)
    services.complaint_triage(complaint=pothole, actor=dispatcher, department=pothole.department, note="Triage note")
    response = page_client().get(reverse("complaints:track-detail", args=[pothole.reference]))
    html = response.content.decode()
    assert response.status_code == 200
    assert pothole.reference in html and "Roads" in html
    assert "Sent to the department" in html
    for private in (
        citizen.full_name,
        citizen.phone,
        "alice@example.org",
        officer_roads.full_name,
        "Call me on my number",
        "Secret internal remark",
        pothole.description,
        "Triage note",
    ):
        assert private not in html


def test_anonymous_visitor_is_asked_to_sign_in_to_support(pothole):
    client = page_client()
    html = client.get(reverse("complaints:track-detail", args=[pothole.reference])).content.decode()
    assert "Sign in to say" in html
    response = client.post(reverse("complaints:support", args=[pothole.reference]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Support.objects.exists()


def test_another_citizen_supports_once_and_a_second_time_gets_a_message(pothole, other_citizen):
    client = page_client(other_citizen)
    url = reverse("complaints:support", args=[pothole.reference])
    assert url in client.get(reverse("complaints:track-detail", args=[pothole.reference])).content.decode()
    first = client.post(url, follow=True)
    assert first.status_code == 200
    pothole.refresh_from_db()
    assert pothole.supporters_count == 1
    assert "already said this affects you" in first.content.decode()
    second = client.post(url, follow=True)
    assert second.status_code == 200
    assert "You already support this complaint." in second.content.decode()
    pothole.refresh_from_db()
    assert pothole.supporters_count == 1


def test_owner_gets_no_support_button(pothole, citizen):
    client = page_client(citizen)
    html = client.get(reverse("complaints:track-detail", args=[pothole.reference])).content.decode()
    assert reverse("complaints:support", args=[pothole.reference]) not in html
    response = client.post(reverse("complaints:support", args=[pothole.reference]), follow=True)
    assert "You filed this complaint" in response.content.decode()
    assert not Support.objects.exists()


# --- CSRF --------------------------------------------------------------------------------------
def test_forms_are_csrf_protected(pothole, citizen, new_complaint_data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    assert client.post(reverse("complaints:comment", args=[pothole.reference]), {"body": "hi"}).status_code == 403
    assert client.post(reverse("complaints:new"), new_complaint_data).status_code == 403
    assert client.post(reverse("complaints:support", args=[pothole.reference])).status_code == 403
    assert not Comment.objects.exists()
    # With the token from the page, the same post works.
    html = client.get(detail_url(pothole)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post(
        reverse("complaints:comment", args=[pothole.reference]), {"body": "hi", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


# --- escalation requests -----------------------------------------------------------------------
def test_owner_asks_for_escalation_once(
    citizen, category_potholes, dispatcher, officer_roads, manager_public_works, sla_default
):
    from complaints.models import EscalationRequest
    from departments.models import EscalationStep

    EscalationStep.objects.create(department=officer_roads.department.parent, level=1, hours=48)
    EscalationStep.objects.create(department=officer_roads.department, level=1, hours=48)
    complaint = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    client = page_client(citizen)
    url = reverse("complaints:request-escalation", args=[complaint.reference])
    assert url in client.get(detail_url(complaint)).content.decode()
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400 and "reason" in empty.context["escalation_form"].errors
    response = client.post(url, {"reason": "Nobody has come for ten days."}, follow=True)
    assert response.status_code == 200
    request = EscalationRequest.objects.get(complaint=complaint)
    assert (request.requested_by, request.state) == (citizen, EscalationRequest.State.PENDING)
    html = response.content.decode()
    assert "You asked for escalation" in html and url not in html
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 409
    assert "already waiting for a decision" in again.content.decode()
    assert EscalationRequest.objects.count() == 1


def test_another_citizen_cannot_ask_to_escalate(pothole, other_citizen):
    from complaints.models import EscalationRequest

    url = reverse("complaints:request-escalation", args=[pothole.reference])
    assert page_client(other_citizen).post(url, {"reason": "x"}).status_code == 404
    assert not EscalationRequest.objects.exists()
