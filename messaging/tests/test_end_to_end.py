"""A citizen files, follows, hears about the resolution and rates it, over each channel, through
the real webhooks and local stubs of the providers' APIs."""

import pytest

from complaints import services
from complaints.models import Attachment, Complaint, Feedback, Source, Status
from messaging.models import ComplaintConversation, Conversation, Message
from messaging.tests.conftest import option_number, replies

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _categories(category_potholes, category_water_leak, sla_default):
    return category_potholes


def resolve(complaint, *, dispatcher, officer, run_on_commit, note="The pothole was filled."):
    with run_on_commit():
        services.complaint_triage(complaint=complaint, actor=dispatcher, department=officer.department)
        services.complaint_start(complaint=Complaint.objects.get(pk=complaint.pk), actor=officer)
        services.complaint_resolve(complaint=Complaint.objects.get(pk=complaint.pk), actor=officer, note=note)


def file_pothole(chat, stub, channel, *, with_media=True):
    assert chat.say("hi").status_code == 200
    chat.say("1")
    chat.say(option_number(replies(stub, channel)[-1], "Infrastructure"))
    chat.say(option_number(replies(stub, channel)[-1], "Potholes"))
    chat.say("Deep pothole outside the bus stop on MG Road")
    if with_media:
        chat.photo()
        chat.location()
    assert "Reply 'yes'" in replies(stub, channel)[-1]
    chat.say("yes")
    return Complaint.objects.get()


def test_telegram_citizen_files_with_photo_and_location_follows_and_rates(
    telegram, stub, run_on_commit, dispatcher, officer_roads
):
    telegram.say("hello")
    asked = stub.sent("/sendMessage")[-1].json()
    assert asked["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert not Complaint.objects.exists()

    telegram.share_contact("+91 98111 00009")
    conversation = Conversation.objects.get(channel="telegram")
    assert conversation.citizen.phone == "+919811100009"
    assert conversation.citizen.role == "citizen"

    complaint = file_pothole(telegram, stub, "telegram")
    assert complaint.citizen == conversation.citizen
    assert complaint.source == Source.BOT
    assert complaint.created_by.role == "service"
    assert complaint.subcategory.code == "potholes" and complaint.department.code == "roads"
    assert str(complaint.latitude) == "28.613900" and str(complaint.longitude) == "77.209000"
    assert Attachment.objects.filter(complaint=complaint, content_type="image/jpeg").count() == 1
    assert ComplaintConversation.objects.get(complaint=complaint).conversation == conversation
    assert complaint.reference in replies(stub, "telegram")[-1]

    telegram.say(f"status {complaint.reference}")
    assert replies(stub, "telegram")[-1].startswith(f"{complaint.reference}: received")

    resolve(complaint, dispatcher=dispatcher, officer=officer_roads, run_on_commit=run_on_commit)
    update = replies(stub, "telegram")[-1]
    assert f"Update on {complaint.reference}: resolved. The pothole was filled." in update
    assert "rating from 1" in update

    telegram.say("5 quick work, thank you")
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED
    feedback = Feedback.objects.get(complaint=complaint)
    assert (feedback.rating, feedback.comment) == (5, "quick work, thank you")
    assert "closed with your rating of 5" in replies(stub, "telegram")[-1]
    # The citizen's own rating does not come back as an "update".
    assert not any("Update on" in text and "closed" in text for text in replies(stub, "telegram"))
    # Every message of the filing, the updates and the rating is on the complaint's thread, delivered.
    thread = Message.objects.filter(complaint=complaint)
    assert thread.filter(direction="in").count() >= 8
    assert set(thread.filter(direction="out").values_list("status", flat=True)) == {"sent"}


def test_whatsapp_citizen_files_with_photo_and_location_follows_and_rates(
    whatsapp, stub, run_on_commit, dispatcher, officer_roads
):
    complaint = file_pothole(whatsapp, stub, "whatsapp")
    assert complaint.citizen.phone == "+919811100001"
    assert complaint.source == Source.BOT
    assert complaint.attachments.count() == 1
    assert complaint.latitude is not None
    assert complaint.reference in replies(stub, "whatsapp")[-1]
    sent = stub.sent("/messages")[-1]
    assert sent.headers["Authorization"] == "Bearer whatsapp-access-token"
    assert sent.json()["to"] == "919811100001"

    whatsapp.say(f"STATUS {complaint.reference.lower()}")
    assert replies(stub, "whatsapp")[-1].startswith(complaint.reference)

    resolve(complaint, dispatcher=dispatcher, officer=officer_roads, run_on_commit=run_on_commit)
    assert "resolved" in replies(stub, "whatsapp")[-1]

    whatsapp.say("4")
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.feedback.rating == 4
    assert Message.objects.filter(complaint=complaint, direction="out").exclude(cost_units=1).count() == 0


def test_sms_citizen_files_in_text_only_follows_and_rates(sms, stub, run_on_commit, dispatcher, officer_roads):
    complaint = file_pothole(sms, stub, "sms", with_media=False)
    assert complaint.citizen.phone == "+919822200002"
    assert complaint.source == Source.SMS
    assert complaint.created_by.email == "sms-gateway@channels.grievance.local"
    assert complaint.attachments.count() == 0 and complaint.latitude is None
    outbound = stub.sent("/Messages.json")[-1]
    assert outbound.form()["To"] == "+919822200002" and outbound.form()["From"] == "+15005550006"
    assert complaint.reference in outbound.form()["Body"]

    sms.say(f"status {complaint.reference}")
    assert replies(stub, "sms")[-1].startswith(complaint.reference)

    resolve(complaint, dispatcher=dispatcher, officer=officer_roads, run_on_commit=run_on_commit)
    assert "resolved" in replies(stub, "sms")[-1]

    sms.say("3")
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.feedback.rating == 3


def test_hindi_speaking_citizen_is_answered_in_hindi(whatsapp, stub, citizen):
    citizen.phone = "+919811100001"
    citizen.preferred_language = "hi"
    citizen.save()
    whatsapp.say("menu")
    assert "शिकायत दर्ज करें" in replies(stub, "whatsapp")[-1]
    whatsapp.say("1")
    assert "बुनियादी ढांचा" in replies(stub, "whatsapp")[-1]


def test_track_lists_the_citizens_own_complaints(whatsapp, stub, citizen, pothole):
    citizen.phone = "+919811100001"
    citizen.save()
    whatsapp.say("2")
    assert f"{pothole.reference}: received" in replies(stub, "whatsapp")[-1]


def test_status_of_someone_elses_complaint_is_the_public_view_and_not_linked(whatsapp, stub, leak):
    whatsapp.say(f"status {leak.reference}")
    answer = replies(stub, "whatsapp")[-1]
    assert answer.startswith(f"{leak.reference}: received")
    assert "Bob" not in answer and leak.citizen.phone not in answer
    assert not Message.objects.filter(complaint=leak).exists()
