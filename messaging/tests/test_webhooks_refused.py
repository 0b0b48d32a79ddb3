"""Bad signatures, replays, stale messages, unknown commands, oversized photos and abandoned flows
leave nothing half-saved."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from complaints.models import Attachment, Complaint
from messaging.flow import conversations_expire
from messaging.models import Conversation, Message
from messaging.tests.conftest import TELEGRAM_URL, WHATSAPP_URL, WHATSAPP_VERIFY_TOKEN, option_number, replies

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _categories(category_potholes, category_water_leak, sla_default):
    return category_potholes


def nothing_stored():
    return not Message.objects.exists() and not Complaint.objects.exists()


def test_telegram_webhook_without_or_with_a_wrong_secret_is_refused_and_logged(telegram, stub, caplog):
    assert telegram.post(telegram.update(text="hi"), secret=None).status_code == 403
    assert telegram.post(telegram.update(text="hi"), secret="guess").status_code == 403
    assert nothing_stored() and stub.requests == []
    assert sum("refused" in r.getMessage() for r in caplog.records if r.name == "messaging.webhooks") == 2


def test_whatsapp_webhook_with_a_bad_signature_is_refused(whatsapp, stub):
    body = whatsapp.envelope(whatsapp.message("text", {"body": "hi"}))
    assert whatsapp.post(body, secret="not-the-app-secret").status_code == 403
    assert whatsapp.post(body, secret=None).status_code == 403
    assert nothing_stored()


def test_whatsapp_verification_challenge(client, stub):
    params = {"hub.mode": "subscribe", "hub.verify_token": WHATSAPP_VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answer = client.get(WHATSAPP_URL, params)
    assert answer.status_code == 200 and answer.content == b"1158201444"
    assert client.get(WHATSAPP_URL, {**params, "hub.verify_token": "wrong"}).status_code == 403


def test_sms_webhook_with_a_bad_signature_is_refused(sms, stub):
    assert sms.say("1", token="wrong-token").status_code == 403
    assert sms.say("1", token=None).status_code == 403
    assert nothing_stored()


def test_unconfigured_channel_refuses_everything(telegram, settings):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    assert telegram.post(telegram.update(text="hi"), secret="").status_code == 403
    assert nothing_stored()


def test_malformed_bodies_are_a_400_not_a_500(client, stub):
    from messaging.tests.conftest import TELEGRAM_SECRET

    answer = client.post(
        TELEGRAM_URL,
        data=b"{not json",
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=TELEGRAM_SECRET,
    )
    assert answer.status_code == 400
    assert nothing_stored()


def test_a_replayed_update_is_processed_once(telegram, stub):
    telegram.share_contact("+919811100009")
    body = telegram.update(text="2", update_id=777)
    assert telegram.post(body).status_code == 200
    sent = len(stub.sent("/sendMessage"))
    again = telegram.post(body)
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    assert len(stub.sent("/sendMessage")) == sent
    assert Message.objects.filter(direction="in", provider_message_id="777").count() == 1


def test_a_stale_message_is_refused_as_a_replay(whatsapp, stub):
    answer = whatsapp.say("1", timestamp=time.time() - 3600)
    assert answer.status_code == 403
    assert nothing_stored() and stub.requests == []


def test_unknown_command_gets_help_and_saves_nothing_else(whatsapp, stub):
    whatsapp.say("please fix everything")
    assert "did not understand" in replies(stub, "whatsapp")[-1]
    assert not Complaint.objects.exists()
    assert Conversation.objects.get().state == {}


def start_to_photo(chat, stub, channel):
    chat.say("1")
    chat.say(option_number(replies(stub, channel)[-1], "Infrastructure"))
    chat.say(option_number(replies(stub, channel)[-1], "Potholes"))
    chat.say("Deep pothole outside the bus stop on MG Road")


def test_a_photo_declared_too_large_is_refused_and_the_flow_waits(telegram, stub, settings):
    settings.COMPLAINT_ATTACHMENT_MAX_BYTES = 1000
    telegram.share_contact("+919811100009")
    start_to_photo(telegram, stub, "telegram")
    telegram.photo(size=50_000)
    assert "too large" in replies(stub, "telegram")[-1]
    assert Conversation.objects.get().state["step"] == "photo"
    assert not Complaint.objects.exists()


def test_a_photo_larger_than_declared_files_nothing(whatsapp, stub, settings, photo):
    # The media lookup claims a small file; the download is over the limit: caught while streaming.
    settings.COMPLAINT_ATTACHMENT_MAX_BYTES = len(photo) - 1
    stub.route("GET", "/v21.0/MEDIA-1", body={"url": f"{stub.url}/media/MEDIA-1", "file_size": 10})
    start_to_photo(whatsapp, stub, "whatsapp")
    whatsapp.photo()
    whatsapp.location()
    whatsapp.say("yes")
    assert "too large" in replies(stub, "whatsapp")[-1]
    assert not Complaint.objects.exists() and not Attachment.objects.exists()
    assert Conversation.objects.get().state["step"] == "photo"


def test_a_file_that_is_not_a_photo_files_nothing(whatsapp, stub):
    stub.route("GET", "/media/MEDIA-1", body=b"MZ\x90\x00 not an image", content_type="image/jpeg")
    start_to_photo(whatsapp, stub, "whatsapp")
    whatsapp.photo()
    whatsapp.say("skip")
    whatsapp.say("yes")
    assert "could not use that photo" in replies(stub, "whatsapp")[-1]
    assert not Complaint.objects.exists() and not Attachment.objects.exists()


def test_an_abandoned_flow_expires_and_is_never_filed(whatsapp, stub):
    start_to_photo(whatsapp, stub, "whatsapp")
    whatsapp.say("skip")
    whatsapp.say("skip")
    Conversation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    whatsapp.say("yes")
    assert "expired" in replies(stub, "whatsapp")[-2]
    assert not Complaint.objects.exists()
    assert Conversation.objects.get().state == {}


def test_the_sweep_drops_expired_drafts(whatsapp, stub):
    start_to_photo(whatsapp, stub, "whatsapp")
    assert conversations_expire() == 0
    Conversation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert conversations_expire() == 1
    assert Conversation.objects.get().state == {}
    assert not Complaint.objects.exists()


def test_cancel_drops_the_draft(sms, stub):
    start_to_photo(sms, stub, "sms")
    sms.say("cancel")
    assert "Nothing was filed" in replies(stub, "sms")[-2]
    assert not Complaint.objects.exists() and Conversation.objects.get().state == {}


def test_a_refusal_by_the_complaint_service_files_nothing(sms, stub, category_potholes):
    start_to_photo(sms, stub, "sms")
    category_potholes.is_active = False
    category_potholes.save()
    sms.say("yes")
    assert "could not be filed" in replies(stub, "sms")[-1]
    assert not Complaint.objects.exists()


def test_a_staff_phone_cannot_file_through_a_chat(sms, stub, officer_roads):
    officer_roads.phone = sms.phone
    officer_roads.save()
    sms.say("1")
    assert "cannot file complaints" in replies(stub, "sms")[-1]
    assert not Complaint.objects.exists()


def test_telegram_contact_of_someone_else_does_not_identify_the_chat(telegram, stub):
    telegram.share_contact("+919811100009", user_id=999)
    assert Conversation.objects.get().citizen is None
    assert "your own phone number" in replies(stub, "telegram")[-2]
