"""Citizen pages, issue 15: errors the GOV.UK way, a pin or an address, nearby complaints with
"Me too", statuses in plain words, the header, and the friendly error pages."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from PIL import Image

from complaints import services
from complaints.models import Complaint, Status, Support
from complaints.tests.factories import file_complaint, in_progress_complaint

pytestmark = pytest.mark.django_db

NEW = "/complaints/new/"


def page_client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def assert_describedby_ids_exist(html: str) -> None:
    ids = ids_in(html)
    for value in re.findall(r'aria-describedby="([^"]*)"', html):
        assert value.split(), "an empty aria-describedby"
        for target in value.split():
            assert target in ids, f"aria-describedby points to #{target}, which is not on the page"


def summary_links(html: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="error-summary".*?</ul>', html, re.S)
    assert summary, "no error summary"
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary.group(0))


@pytest.fixture
def data(category_infrastructure, category_potholes, dept_roads, sla_default):
    return {
        "title": "Pothole near Lajpat Nagar market",
        "description": "A deep pothole in the left lane.",
        "category": str(category_infrastructure.pk),
        "subcategory": str(category_potholes.pk),
        "address": "",
        "ward": "",
        "latitude": "28.567800",
        "longitude": "77.243400",
    }


# --- errors, the GOV.UK way -----------------------------------------------------------------------
def test_errors_have_a_summary_linking_to_each_field_plain_messages_and_an_error_title(citizen, data):
    response = page_client(citizen).post(NEW, {**data, "title": "", "description": " ", "category": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r"<title>Error: Report a problem", html)
    # In the order of the page: category comes first on the form.
    assert summary_links(html)[:3] == [
        ("id_category", "Choose a category"),
        ("id_title", "Enter a title"),
        ("id_description", "Describe the problem"),
    ]
    # Each message again next to its field, with the field pointing at it.
    assert (
        '<p class="error-message" id="id_title-error"><span class="visually-hidden">Error: </span>Enter a title</p>'
        in html
    )
    assert re.search(
        r'<input[^>]*aria-describedby="id_title_helptext id_title-error"[^>]*aria-invalid="true"', html
    ) or re.search(r'<input[^>]*aria-invalid="true"[^>]*aria-describedby="id_title_helptext id_title-error"', html)
    assert "This field is required" not in html
    assert not re.search(r"<ul[^>]*role=\"alert\"", html)
    assert "data-error-summary" in html and 'tabindex="-1"' in html
    assert_describedby_ids_exist(html)
    assert not Complaint.objects.exists()


def test_every_form_page_points_aria_describedby_at_ids_that_exist(citizen, pothole, data):
    client = page_client(citizen)
    pages = [
        client.get(NEW),
        client.post(NEW, {**data, "title": ""}),
        client.get(reverse("complaints:detail", args=[pothole.reference])),
        client.post(reverse("complaints:comment", args=[pothole.reference]), {"body": ""}),
        client.get(reverse("complaints:track")),
        client.get(reverse("complaints:track"), {"reference": "nonsense"}),
        Client().get(reverse("accounts:login")),
        Client().post(reverse("accounts:login"), {"phone": ""}),
    ]
    for response in pages:
        assert_describedby_ids_exist(response.content.decode())


def test_an_error_on_the_detail_page_is_summarised_at_the_top_and_titled(citizen, pothole):
    response = page_client(citizen).post(reverse("complaints:comment", args=[pothole.reference]), {"body": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.index("error-summary") < html.index("<h1>")
    assert ("id_body", "Enter your comment") in summary_links(html)
    assert "<title>Error: " in html


def test_a_services_refusal_links_to_the_form_it_concerns(citizen, pothole):
    # Closing a complaint that is not resolved: the service says no; the summary leads to the form.
    response = page_client(citizen).post(reverse("complaints:close", args=[pothole.reference]), {"rating": "5"})
    assert response.status_code == 409
    links = summary_links(response.content.decode())
    assert links and links[0][0] == "close-form"


def test_files_chosen_before_an_error_are_named_with_a_note_to_choose_them_again(citizen, data):
    response = page_client(citizen).post(NEW, {**data, "title": "", "files": [png("pothole.png")]})
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'id="files-not-kept">\s*You chose pothole.png\. Files cannot be kept', html)
    assert re.search(r'<input[^>]*type="file"[^>]*aria-describedby="id_files_helptext files-not-kept"', html)


def test_the_tracking_form_says_what_a_reference_looks_like(client):
    html = client.get(reverse("complaints:track"), {"reference": "12"}).content.decode()
    assert ("id_reference", "Enter a reference like GRV-2026-000123") in summary_links(html)


# --- where: a pin or an address --------------------------------------------------------------------
def test_a_complaint_needs_a_pin_or_an_address(citizen, data):
    response = page_client(citizen).post(NEW, {**data, "latitude": "", "longitude": "", "address": ""})
    assert response.status_code == 400
    assert ("id_address", "Put a pin on the map, use your location, or enter an address or landmark") in summary_links(
        response.content.decode()
    )
    assert not Complaint.objects.exists()


def test_a_pin_alone_is_enough(citizen, data):
    response = page_client(citizen).post(NEW, data)
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (str(complaint.latitude), str(complaint.longitude), complaint.address) == ("28.567800", "77.243400", "")


def test_an_address_alone_is_enough(citizen, data):
    response = page_client(citizen).post(
        NEW, {**data, "latitude": "", "longitude": "", "address": "Opposite the Sector 9 market gate", "ward": "9"}
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.latitude, complaint.address, complaint.ward) == (None, "Opposite the Sector 9 market gate", "9")


def test_half_a_pin_sends_the_citizen_to_the_location_section(citizen, data):
    response = page_client(citizen).post(NEW, {**data, "longitude": "", "address": "Ring Road"})
    assert response.status_code == 400
    html = response.content.decode()
    assert [href for href, _message in summary_links(html)] == ["location"]
    assert 'id="location"' in html and 'id="location-error"' in html


def test_the_filing_page_works_without_a_map_and_calls_nothing_outside(citizen, settings, category_infrastructure):
    settings.MAP_TILE_URL = ""
    html = page_client(citizen).get(NEW).content.decode()
    assert 'id="map"' not in html and "leaflet" not in html
    assert 'name="address"' in html and 'name="ward"' in html
    assert 'type="hidden" name="latitude"' in html
    assert "https://" not in html and "http://" not in html


def test_with_tiles_configured_the_page_loads_the_vendored_map(citizen, settings, category_infrastructure):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Example tiles"
    html = page_client(citizen).get(NEW).content.decode()
    assert '<script src="/static/vendor/leaflet/leaflet.js" defer></script>' in html
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert 'id="map"' in html


# --- nearby open complaints, "Me too" --------------------------------------------------------------
def nearby(client, category, subcategory=None, lat="28.613950", lng="77.209000"):
    params = {"lat": lat, "lng": lng, "category": category.pk, "subcategory": subcategory.pk if subcategory else ""}
    return client.get(reverse("complaints:nearby"), params)


def test_nearby_shows_open_complaints_of_the_same_kind_around_the_pin_with_me_too(
    pothole, other_citizen, category_infrastructure, category_potholes, category_water_leak
):
    # Bob is 6 m from Alice's pothole: he is offered "Me too" instead of filing again.
    far = file_complaint(
        pothole.citizen,
        title="Far pothole",
        category=category_infrastructure,
        subcategory=category_potholes,
        latitude="28.700000",
        longitude="77.209000",
    )
    leak = file_complaint(
        pothole.citizen,
        title="Leak next door",
        category=category_infrastructure,
        subcategory=category_water_leak,
        latitude="28.613900",
        longitude="77.209000",
    )
    response = nearby(page_client(other_citizen), category_infrastructure, category_potholes)
    html = response.content.decode()
    assert response.status_code == 200
    assert pothole.reference in html and "6 m away" in html
    assert f'formaction="{reverse("complaints:support", args=[pothole.reference])}"' in html
    assert far.reference not in html and leak.reference not in html
    # Personal details never reach another citizen.
    assert pothole.citizen.full_name not in html and pothole.citizen.phone not in html


def test_nearby_leaves_out_closed_complaints_and_is_empty_when_nothing_is_close(
    pothole, other_citizen, category_infrastructure, category_potholes, dispatcher, closure_reason_spam
):
    services.complaint_reject(complaint=pothole, actor=dispatcher, closure_reason=closure_reason_spam)
    response = nearby(page_client(other_citizen), category_infrastructure, category_potholes)
    assert response.status_code == 200 and response.content == b""


def test_the_citizens_own_nearby_complaint_is_a_link_not_a_me_too(pothole, citizen, category_infrastructure):
    html = nearby(page_client(citizen), category_infrastructure).content.decode()
    assert "You reported this one" in html and "formaction" not in html


def test_nearby_needs_a_sign_in_and_sane_parameters(pothole, citizen, category_infrastructure):
    assert nearby(page_client(), category_infrastructure).status_code == 302
    bad = page_client(citizen).get(reverse("complaints:nearby"), {"lat": "95", "lng": "x", "category": "0"})
    assert bad.status_code == 400


def test_me_too_from_the_filing_form_supports_the_complaint_instead_of_filing(pothole, other_citizen, data):
    # The button sits inside the filing form (formaction): the whole form posts to "support".
    response = page_client(other_citizen).post(
        reverse("complaints:support", args=[pothole.reference]), data, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("complaints:track-detail", args=[pothole.reference])
    assert Support.objects.filter(complaint=pothole, user=other_citizen).exists()
    assert Complaint.objects.count() == 1


def test_a_duplicate_links_the_citizen_to_the_original(
    pothole, other_citizen, category_infrastructure, category_potholes, dispatcher, closure_reason_duplicate
):
    copy = file_complaint(
        other_citizen, category=category_infrastructure, subcategory=category_potholes, address="MG Road"
    )
    services.complaint_mark_duplicate(complaint=copy, actor=dispatcher, duplicate_of=pothole)
    for url in (
        reverse("complaints:detail", args=[copy.reference]),
        reverse("complaints:track-detail", args=[copy.reference]),
    ):
        html = page_client(other_citizen).get(url).content.decode()
        assert "Already reported" in html
        assert f'href="/track/{pothole.reference}/">Follow the original complaint, {pothole.reference}</a>' in html
        assert "Expected by" not in html


# --- status in plain words ---------------------------------------------------------------------------
def test_status_is_explained_and_due_time_shown_only_while_open(pothole, citizen, dispatcher, closure_reason_spam):
    client = page_client(citizen)
    html = client.get(reverse("complaints:detail", args=[pothole.reference])).content.decode()
    assert "We have received it." in html and "Expected by" in html
    services.complaint_reject(complaint=pothole, actor=dispatcher, closure_reason=closure_reason_spam, note="Spam")
    html = client.get(reverse("complaints:detail", args=[pothole.reference])).content.decode()
    assert "Not taken up. The reason is below." in html
    assert "Expected by" not in html and "Due by" not in html


def test_an_escalated_complaint_is_described_in_words_and_offers_no_escalation_request(
    citizen, category_potholes, dispatcher, officer_roads, manager_public_works, sla_default
):
    complaint = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    complaint = services.complaint_escalate(complaint=complaint, actor=manager_public_works, reason="Late")
    assert complaint.status == Status.ESCALATED
    html = page_client(citizen).get(reverse("complaints:detail", args=[complaint.reference])).content.decode()
    assert "Sent up once to a senior office because the time limit passed." in html
    assert "Escalation level" not in html
    assert "a senior office has taken it up" in html
    assert 'id="escalation-form"' not in html


def test_photos_show_as_thumbnails(citizen, data):
    client = page_client(citizen)
    client.post(NEW, {**data, "files": [png("hole.png")]})
    complaint = Complaint.objects.get()
    attachment = complaint.attachments.get()
    html = client.get(reverse("complaints:detail", args=[complaint.reference])).content.decode()
    url = reverse("api:complaint-download", args=[complaint.pk, attachment.pk])
    assert f'<img src="{url}" alt="Photo: hole.png" loading="lazy"' in html


def test_my_complaints_are_cards_with_their_status(pothole, citizen):
    html = page_client(citizen).get(reverse("complaints:list")).content.decode()
    assert '<ul class="cards"' in html and "<table" not in html
    card = re.search(r'<li class="card">.*?</li>', html, re.S).group(0)
    assert pothole.title in card and 'class="status status-new"' in card


def test_the_header_links_unread_notifications_with_their_count(
    pothole, citizen, officer_roads, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(complaint=pothole, author=officer_roads, body="We will look today.")
    html = page_client(citizen).get(reverse("complaints:list")).content.decode()
    assert re.search(
        r'<a class="bell" href="/notifications/">.*?<span class="visually-hidden">Notifications</span>'
        r'<span class="count">1<span class="visually-hidden"> unread</span></span></a>',
        html,
        re.S,
    )


# --- friendly error pages, favicon --------------------------------------------------------------------
def test_an_unknown_page_is_a_friendly_404(citizen):
    response = page_client(citizen).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'href="/complaints/track/"' not in html and 'href="/track/"' in html


def test_the_500_page_needs_no_request_and_says_what_to_do():
    html = render_to_string("500.html")
    assert "Sorry, there is a problem with the service" in html and 'href="/"' in html


def test_pages_have_a_favicon(client):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
