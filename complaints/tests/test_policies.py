"""complaints.policies: one answer per question, and every interface shows that same answer.

The expected tables below are written out by hand (not computed from the policy under test): a
change to who may do what must change this file too.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import policies, services
from complaints.models import Complaint, EscalationRequest, Status
from complaints.tests.factories import file_complaint
from grievance.errors import Conflict, TransitionNotAllowed

WITHIN_WINDOW = "resolved (within the reopen window)"
PAST_WINDOW = "resolved (past the reopen window)"

# status -> role -> the actions offered, in the workflow table's order.
EXPECTED = {
    Status.NEW: {
        "owner": [],
        "officer": [],
        "manager": ["triage", "reject", "duplicate", "escalate"],
        "dispatcher": ["triage", "reject", "duplicate"],
        "executive": [],
        "admin": ["triage", "reject", "duplicate", "escalate"],
    },
    Status.TRIAGED: {
        "owner": [],
        "officer": ["start"],
        "manager": ["triage", "assign", "start", "reject", "duplicate", "escalate"],
        "dispatcher": ["triage", "assign", "reject", "duplicate"],
        "executive": [],
        "admin": ["triage", "assign", "start", "reject", "duplicate", "escalate"],
    },
    Status.IN_PROGRESS: {
        "owner": [],
        "officer": ["resolve"],
        "manager": ["assign", "resolve", "duplicate", "escalate"],
        "dispatcher": ["assign", "duplicate"],
        "executive": [],
        "admin": ["assign", "resolve", "duplicate", "escalate"],
    },
    Status.ESCALATED: {
        "owner": [],
        "officer": ["start", "resolve"],
        "manager": ["assign", "start", "resolve", "escalate"],
        "dispatcher": ["assign"],
        "executive": [],
        "admin": ["assign", "start", "resolve", "escalate"],
    },
    WITHIN_WINDOW: {
        "owner": ["close", "reopen"],
        "officer": [],
        "manager": [],
        "dispatcher": [],
        "executive": [],
        "admin": ["close", "reopen"],
    },
    PAST_WINDOW: {
        "owner": ["close"],
        "officer": [],
        "manager": [],
        "dispatcher": [],
        "executive": [],
        "admin": ["close"],
    },
    Status.CLOSED: {role: [] for role in ("owner", "officer", "manager", "dispatcher", "executive", "admin")},
    Status.REJECTED: {role: [] for role in ("owner", "officer", "manager", "dispatcher", "executive", "admin")},
}


@pytest.fixture
def people(citizen, officer_roads, manager_public_works, dispatcher, executive, admin_user):
    return {
        "owner": citizen,
        "officer": officer_roads,
        "manager": manager_public_works,
        "dispatcher": dispatcher,
        "executive": executive,
        "admin": admin_user,
    }


def _complaint_in(case, pothole) -> Complaint:
    """The pothole (routed to Roads) put in the state `case` names."""
    status = Status.RESOLVED if case in (WITHIN_WINDOW, PAST_WINDOW) else case
    resolved_at = None
    if case == WITHIN_WINDOW:
        resolved_at = timezone.now() - dt.timedelta(days=1)
    elif case == PAST_WINDOW:
        resolved_at = timezone.now() - policies.reopen_window() - dt.timedelta(hours=1)
    Complaint.objects.filter(pk=pothole.pk).update(status=status, resolved_at=resolved_at)
    return Complaint.objects.select_related("department", "category", "subcategory").get(pk=pothole.pk)


CASES = [(case, role) for case in EXPECTED for role in EXPECTED[case]]


@pytest.mark.parametrize(("case", "role"), CASES, ids=[f"{c}-{r}" for c, r in CASES])
def test_allowed_actions_table(case, role, pothole, people, auth_client):
    complaint = _complaint_in(case, pothole)
    user = people[role]
    assert policies.allowed_actions(user, complaint) == EXPECTED[case][role]
    # The API offers exactly what the policy says (people who may see the complaint).
    response = auth_client(user).get(f"/api/v1/complaints/{complaint.pk}/")
    assert response.status_code == 200
    assert response.json()["allowed_actions"] == EXPECTED[case][role]


@pytest.mark.parametrize("case", list(EXPECTED), ids=str)
def test_the_citizen_page_offers_what_the_api_offers(case, pothole, citizen, auth_client):
    complaint = _complaint_in(case, pothole)
    api_actions = auth_client(citizen).get(f"/api/v1/complaints/{complaint.pk}/").json()["allowed_actions"]
    client = Client()
    client.force_login(citizen)
    page = client.get(reverse("complaints:detail", args=[complaint.reference]))
    assert page.status_code == 200
    html = page.content.decode()
    assert (reverse("complaints:reopen", args=[complaint.reference]) in html) == ("reopen" in api_actions)
    assert (reverse("complaints:close", args=[complaint.reference]) in html) == ("close" in api_actions)


def test_reopen_past_the_window_is_refused_by_the_service_with_the_policys_message(pothole, citizen):
    complaint = _complaint_in(PAST_WINDOW, pothole)
    verdict = policies.may_reopen(citizen, complaint)
    assert not verdict
    with pytest.raises(TransitionNotAllowed) as refusal:
        services.complaint_reopen(complaint=complaint, actor=citizen, reason="Still broken")
    assert refusal.value.message == verdict.message


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (Status.NEW, False),
        (Status.TRIAGED, True),
        (Status.IN_PROGRESS, True),
        (Status.ESCALATED, False),
        (Status.RESOLVED, False),
        (Status.CLOSED, False),
    ],
)
def test_escalation_request_is_offered_and_accepted_alike(status, offered, pothole, citizen):
    complaint = _complaint_in(status, pothole)
    client = Client()
    client.force_login(citizen)
    html = client.get(reverse("complaints:detail", args=[complaint.reference])).content.decode()
    form_shown = reverse("complaints:request-escalation", args=[complaint.reference]) in html
    assert form_shown == offered == bool(policies.may_request_escalation(citizen, complaint))
    if offered:
        services.escalation_request_create(complaint=complaint, requested_by=citizen, reason="Nobody came")
        assert EscalationRequest.objects.filter(complaint=complaint).count() == 1
    else:
        with pytest.raises((TransitionNotAllowed, Conflict)):
            services.escalation_request_create(complaint=complaint, requested_by=citizen, reason="Nobody came")


def test_a_pending_request_hides_the_form_and_a_second_is_a_conflict(pothole, citizen):
    complaint = _complaint_in(Status.IN_PROGRESS, pothole)
    services.escalation_request_create(complaint=complaint, requested_by=citizen, reason="Nobody came")
    assert not policies.may_request_escalation(citizen, complaint)
    with pytest.raises(Conflict):
        services.escalation_request_create(complaint=complaint, requested_by=citizen, reason="Again")


def test_who_files_for_whom(citizen, other_citizen, dispatcher, executive, service_user):
    assert policies.may_file(citizen)
    assert not policies.may_file(citizen, for_citizen=other_citizen)
    assert policies.may_file(dispatcher, for_citizen=citizen)
    assert not policies.may_file(executive)
    # Service accounts file only under an intake source (AI, SMS, bots, Open311), never as "web".
    assert not policies.may_file(service_user, for_citizen=citizen)
    assert policies.may_file(service_user, for_citizen=citizen, source="ai")
    assert not policies.may_file(dispatcher, for_citizen=dispatcher)


def test_the_service_checks_both_coordinates_whatever_the_interface(citizen, category_infrastructure):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        file_complaint(citizen, category=category_infrastructure, latitude="28.6")
    assert "longitude" in error.value.message_dict
    assert not Complaint.objects.exists()


def test_refusals_reach_a_hindi_citizen_in_hindi(pothole, citizen):
    from django.utils import translation

    complaint = _complaint_in(PAST_WINDOW, pothole)
    with translation.override("hi"):
        message = policies.may_reopen(citizen, complaint).message
    assert "दोबारा खोलने" in message and "reopen" not in message
    with translation.override("en"):
        assert "reopen window" in policies.may_reopen(citizen, complaint).message
