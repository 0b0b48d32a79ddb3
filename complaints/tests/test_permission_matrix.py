"""Every complaint endpoint against every persona.

The complaint under test is Alice's, routed to Roads. Who may see it: Alice, the Roads officer, the
Public Works manager (Roads is under Public Works), the dispatcher, the executive and the admin. Bob,
the Water officer and the service account must get a 404, never a 403 that reveals it exists.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints import services
from complaints.tests.factories import file_complaint

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "alice",
    "bob",
    "officer_roads",
    "officer_water",
    "manager",
    "dispatcher",
    "executive",
    "admin",
    "service",
]
SEES_ALICES_ROADS_COMPLAINT = {"alice", "officer_roads", "manager", "dispatcher", "executive", "admin"}

# action -> (state the complaint must be in, personas allowed to do it)
ACTIONS = {
    "triage": ("new", {"manager", "dispatcher", "admin"}),
    "assign": ("triaged", {"manager", "dispatcher", "admin"}),
    "start": ("triaged", {"officer_roads", "manager", "admin"}),
    "resolve": ("in_progress", {"officer_roads", "manager", "admin"}),
    "close": ("resolved", {"alice", "admin"}),
    "reopen": ("resolved", {"alice", "admin"}),
    "reject": ("new", {"manager", "dispatcher", "admin"}),
    "duplicate": ("new", {"manager", "dispatcher", "admin"}),
    "escalate": ("in_progress", {"manager", "admin"}),
}


@pytest.fixture
def personas(
    citizen,
    other_citizen,
    officer_roads,
    officer_water,
    manager_public_works,
    dispatcher,
    executive,
    admin_user,
    service_user,
):
    return {
        "anonymous": None,
        "alice": citizen,
        "bob": other_citizen,
        "officer_roads": officer_roads,
        "officer_water": officer_water,
        "manager": manager_public_works,
        "dispatcher": dispatcher,
        "executive": executive,
        "admin": admin_user,
        "service": service_user,
    }


@pytest.fixture
def client_for(personas, auth_client, api_client):
    def _client(persona):
        user = personas[persona]
        return api_client if user is None else auth_client(user)

    return _client


@pytest.fixture
def complaint_in(citizen, dispatcher, officer_roads, category_infrastructure, category_potholes, sla_default):
    def _make(state: str):
        complaint = file_complaint(citizen, category=category_infrastructure, subcategory=category_potholes)
        if state == "new":
            return complaint
        complaint = services.complaint_triage(
            complaint=complaint, actor=dispatcher, department=officer_roads.department
        )
        if state == "triaged":
            return complaint
        complaint = services.complaint_start(complaint=complaint, actor=officer_roads)
        if state == "in_progress":
            return complaint
        return services.complaint_resolve(complaint=complaint, actor=officer_roads, note="Filled")

    return _make


def _payload(action, personas, complaint_in):
    return {
        "triage": lambda: {"department": "roads", "priority": "high"},
        "assign": lambda: {"assignee": personas["officer_roads"].pk},
        "start": lambda: {},
        "resolve": lambda: {"note": "Filled"},
        "close": lambda: {"rating": 4},
        "reopen": lambda: {"reason": "Not fixed"},
        "reject": lambda: {"closure_reason": "spam"},
        "duplicate": lambda: {"duplicate_of": complaint_in("new").reference},
        "escalate": lambda: {"reason": "Overdue"},
    }[action]()


def _expected(persona, allowed, ok=200):
    if persona == "anonymous":
        return 401
    if persona not in SEES_ALICES_ROADS_COMPLAINT:
        return 404
    return ok if persona in allowed else 403


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_workflow_action(
    action, persona, personas, client_for, complaint_in, closure_reason_spam, closure_reason_duplicate
):
    state, allowed = ACTIONS[action]
    complaint = complaint_in(state)
    events_before = complaint.events.count()
    response = client_for(persona).post(
        f"/api/v1/complaints/{complaint.pk}/{action}/", _payload(action, personas, complaint_in)
    )
    expected = _expected(persona, allowed)
    assert response.status_code == expected, response.content
    if expected != 200:
        assert complaint.events.count() == events_before, "a refused action must write nothing"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("path", ["", "events/", "comments/", "attachments/"])
def test_reading_a_complaint_and_its_parts(path, persona, client_for, complaint_in):
    complaint = complaint_in("new")
    response = client_for(persona).get(f"/api/v1/complaints/{complaint.pk}/{path}")
    assert response.status_code == _expected(persona, SEES_ALICES_ROADS_COMPLAINT)


@pytest.mark.parametrize("persona", PERSONAS)
def test_writing_a_comment(persona, client_for, complaint_in):
    complaint = complaint_in("new")
    response = client_for(persona).post(f"/api/v1/complaints/{complaint.pk}/comments/", {"body": "Any news?"})
    # Executives see everything and change nothing.
    assert response.status_code == _expected(persona, SEES_ALICES_ROADS_COMPLAINT - {"executive"}, ok=201)


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "photo.png"
    return buffer


@pytest.mark.parametrize("persona", PERSONAS)
def test_uploading_and_downloading_an_attachment(persona, client_for, complaint_in, citizen):
    complaint = complaint_in("new")
    response = client_for(persona).post(
        f"/api/v1/complaints/{complaint.pk}/attachments/", {"file": _png()}, format="multipart"
    )
    assert response.status_code == _expected(persona, SEES_ALICES_ROADS_COMPLAINT - {"executive"}, ok=201)
    upload = SimpleUploadedFile("photo.png", _png().getvalue())
    attachment = services.attachment_add(complaint=complaint, uploaded_by=citizen, upload=upload)
    download = client_for(persona).get(f"/api/v1/complaints/{complaint.pk}/attachments/{attachment.pk}/download/")
    assert download.status_code == _expected(persona, SEES_ALICES_ROADS_COMPLAINT)


@pytest.mark.parametrize("persona", PERSONAS)
def test_support(persona, client_for, complaint_in):
    complaint = complaint_in("new")
    response = client_for(persona).post(f"/api/v1/complaints/{complaint.pk}/support/")
    expected = {"anonymous": 401, "bob": 200, "alice": 409}.get(persona, 403)
    assert response.status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_filing(persona, client_for, category_infrastructure, sla_default):
    response = client_for(persona).post(
        "/api/v1/complaints/",
        {
            "title": "Broken bench",
            "description": "In the park",
            "category": "infrastructure",
            "citizen_phone": "+919811111111",
        },
    )
    expected = {"anonymous": 401, "executive": 403, "service": 403}.get(persona, 201)
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("persona", PERSONAS)
def test_listing_shows_only_what_the_persona_may_see(persona, client_for, complaint_in, personas):
    complaint = complaint_in("new")
    response = client_for(persona).get("/api/v1/complaints/")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    references = {row["reference"] for row in response.json()["results"]}
    assert (complaint.reference in references) == (persona in SEES_ALICES_ROADS_COMPLAINT)


@pytest.mark.parametrize("persona", PERSONAS)
def test_public_tracking_and_nearby(persona, client_for, complaint_in):
    complaint = complaint_in("new")
    assert client_for(persona).get(f"/api/v1/track/{complaint.reference}/").status_code == 200
    nearby = client_for(persona).get("/api/v1/complaints/nearby/", {"lat": "28.6", "lng": "77.2"})
    assert nearby.status_code == (401 if persona == "anonymous" else 200)


@pytest.mark.parametrize("persona", PERSONAS)
def test_ai_intake_refuses_people_tokens(persona, client_for):
    response = client_for(persona).post("/api/v1/internal/ai/complaints/", {"title": "x"})
    assert response.status_code == 401
