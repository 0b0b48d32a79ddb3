"""The preferences page the inbox links to: the same switches as the preferences API."""

from django.test import Client
from django.urls import reverse

from notifications import preferences


def test_a_citizen_switches_text_messages_off_on_the_page_and_the_engine_follows(citizen):
    client = Client()
    client.force_login(citizen)
    url = reverse("notifications:preferences")
    page = client.get(url)
    assert page.status_code == 200 and 'name="sms_enabled"' in page.content.decode()
    response = client.post(url, {"email_enabled": "on", "chat_enabled": "on"})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert not preferences.wants(citizen, "sms")
    assert preferences.wants(citizen, "email") and preferences.wants(citizen, "telegram")
    # The API reads the same switches.
    assert client.get("/api/v1/notifications/preferences/").json()["sms_enabled"] is False


def test_the_inbox_links_to_the_preferences_and_anonymous_visitors_are_sent_to_sign_in(citizen):
    client = Client()
    assert client.get(reverse("notifications:preferences")).status_code == 302
    client.force_login(citizen)
    assert reverse("notifications:preferences") in client.get(reverse("notifications:list")).content.decode()
