"""A citizen who follows a complaint in a chat gets each update once, in that chat: the engine's
SMS copy of the same notification is dropped (its inbox copy stays). Everybody else still gets the
engine's texts."""

import pytest
from django.urls import reverse

from complaints import services
from complaints.models import Complaint
from complaints.tests.factories import file_complaint
from messaging.models import Conversation
from messaging.tests.conftest import replies
from messaging.tests.test_end_to_end import file_pothole
from notifications import sms as engine_sms
from notifications.models import Notification, NotificationDelivery
from notifications.services import preferences_update

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _categories(category_potholes, category_water_leak, sla_default):
    return category_potholes


def engine_texts_to(phone: str) -> list[str]:
    return [message.body for message in engine_sms.outbox if message.to == phone]


def work_on(complaint, *, dispatcher, officer, run_on_commit, auth_client):
    """Four updates for the citizen: triaged, started, a staff comment, resolved; and a staff reply
    from the thread API (a fifth)."""
    with run_on_commit():
        services.complaint_triage(complaint=complaint, actor=dispatcher, department=officer.department)
        services.complaint_start(complaint=Complaint.objects.get(pk=complaint.pk), actor=officer)
        services.comment_add(complaint=complaint, author=officer, body="Crew arrives at 10")
        services.complaint_resolve(complaint=Complaint.objects.get(pk=complaint.pk), actor=officer, note="Filled.")
    with run_on_commit():
        url = reverse("api:complaint-messages", kwargs={"complaint": complaint.pk})
        answer = auth_client(officer).post(url, {"body": "Please check the patch."})
    assert answer.status_code == 201, answer.data


def test_a_telegram_citizen_gets_each_update_once_in_the_chat_and_no_sms(
    telegram, stub, run_on_commit, dispatcher, officer_roads, auth_client
):
    telegram.share_contact("+91 98111 00009")
    complaint = file_pothole(telegram, stub, "telegram")
    citizen = complaint.citizen
    before = len(replies(stub, "telegram"))

    work_on(complaint, dispatcher=dispatcher, officer=officer_roads, run_on_commit=run_on_commit,
            auth_client=auth_client)

    updates = replies(stub, "telegram")[before:]
    assert len(updates) == 5, updates
    said = ("sent to the department", "being worked on", "Crew arrives at 10", "resolved", "Please check the patch.")
    assert [sum(words in text for text in updates) for words in said] == [1] * 5
    # Not one text from the engine, from filing (the receipt) to the staff reply.
    assert engine_texts_to(citizen.phone) == []
    assert not NotificationDelivery.objects.filter(notification__recipient=citizen, channel="sms").exists()
    # The in-app inbox still has every notification.
    assert Notification.objects.filter(recipient=citizen).count() >= 5


def test_an_sms_citizen_gets_each_update_as_one_text(
    sms, stub, run_on_commit, dispatcher, officer_roads, auth_client
):
    complaint = file_pothole(sms, stub, "sms", with_media=False)
    phone = complaint.citizen.phone
    before = len(replies(stub, "sms"))

    work_on(complaint, dispatcher=dispatcher, officer=officer_roads, run_on_commit=run_on_commit,
            auth_client=auth_client)

    texts = replies(stub, "sms")[before:] + engine_texts_to(phone)
    assert len(texts) == 5, texts
    assert engine_texts_to(phone) == []


def test_a_citizen_who_filed_on_the_web_still_gets_the_engines_texts(
    citizen, category_infrastructure, category_potholes, dispatcher, officer_roads, run_on_commit, stub
):
    with run_on_commit():
        complaint = file_complaint(citizen, category=category_infrastructure, subcategory=category_potholes)
        services.complaint_triage(complaint=complaint, actor=dispatcher, department=officer_roads.department)
    texts = engine_texts_to(citizen.phone)
    assert len(texts) == 2 and complaint.reference in texts[0]
    assert stub.requests == []


def test_chat_updates_switched_off_fall_back_to_the_engines_text_once(
    telegram, stub, run_on_commit, dispatcher, officer_roads
):
    telegram.share_contact("+91 98111 00009")
    complaint = file_pothole(telegram, stub, "telegram")
    citizen = Conversation.objects.get(channel="telegram").citizen
    preferences_update(user=citizen, chat_enabled=False)
    before = len(replies(stub, "telegram"))
    with run_on_commit():
        services.complaint_triage(complaint=complaint, actor=dispatcher, department=officer_roads.department)
    assert replies(stub, "telegram")[before:] == []
    assert len(engine_texts_to(citizen.phone)) == 1


def test_updates_off_in_an_sms_chat_silences_the_engines_texts_too(
    sms, stub, run_on_commit, dispatcher, officer_roads
):
    complaint = file_pothole(sms, stub, "sms", with_media=False)
    sms.say("updates off")
    before = len(replies(stub, "sms"))
    with run_on_commit():
        services.complaint_triage(complaint=complaint, actor=dispatcher, department=officer_roads.department)
    assert replies(stub, "sms")[before:] == []
    assert engine_texts_to(complaint.citizen.phone) == []
    assert Notification.objects.filter(recipient=complaint.citizen, kind="complaint_triaged").count() == 1
