"""Telegram without sharing the contact: the citizen types their number, gets the web login's
code by SMS and types it back; the chat is then theirs."""

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from complaints.models import Complaint
from messaging.models import Conversation
from messaging.tests.conftest import replies
from messaging.tests.test_end_to_end import file_pothole
from notifications import sms

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _categories(category_potholes, category_water_leak, sla_default):
    return category_potholes


def code_sent_to(phone: str) -> str:
    [message] = [m for m in sms.outbox if m.to == phone]
    return message.body[:6]


def test_a_citizen_links_the_chat_by_code_and_files(telegram, stub, citizen):
    telegram.say("hello")
    assert "type your mobile number" in replies(stub, "telegram")[-1]

    telegram.say(citizen.phone)
    assert f"code to {citizen.phone}" in replies(stub, "telegram")[-1]
    code = code_sent_to(citizen.phone)
    wrong = "000000" if code != "000000" else "111111"
    telegram.say(wrong)
    assert "did not work" in replies(stub, "telegram")[-1]
    assert Conversation.objects.get().citizen is None

    telegram.say(code)
    conversation = Conversation.objects.get()
    assert conversation.citizen == citizen and conversation.phone == citizen.phone
    assert f"linked to {citizen.phone}" in replies(stub, "telegram")[-2]

    complaint = file_pothole(telegram, stub, "telegram")
    assert complaint.citizen == citizen
    # A used code links nothing else.
    assert Complaint.objects.count() == 1


def test_a_new_number_becomes_a_citizen_account(telegram, stub):
    telegram.say("+91 98111 00042")
    telegram.say(code_sent_to("+919811100042"))
    citizen = Conversation.objects.get().citizen
    assert citizen.phone == "+919811100042" and citizen.role == Role.CITIZEN


def test_a_staff_number_gets_no_code_and_links_nothing(telegram, stub):
    officer = UserFactory(role=Role.OFFICER, phone="+919811100077")
    telegram.say(officer.phone)
    assert [m for m in sms.outbox if m.to == officer.phone] == []
    for guess in ("123456", "654321"):
        telegram.say(guess)
    assert Conversation.objects.get().citizen is None


def test_asking_for_codes_too_often_is_refused(telegram, stub, settings, citizen):
    settings.OTP_RESEND_COOLDOWN_SECONDS = 60
    telegram.say(citizen.phone)
    telegram.say(citizen.phone)
    assert "try again later" in replies(stub, "telegram")[-1]
    assert len([m for m in sms.outbox if m.to == citizen.phone]) == 1
