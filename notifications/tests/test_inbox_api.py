"""The inbox over the API and on the citizen page: everyone sees and changes only their own."""

import pytest
from django.urls import reverse

from notifications import services as engine
from notifications.models import Notification
from notifications.services import Subject

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"
CONTEXT = {"reference": "GRV-2026-000001", "title": "Pothole", "department": "Roads"}


def give(user, count=1, kind="complaint_started"):
    created = []
    for _ in range(count):
        created += engine.notify(recipients=[user], kind=kind, context=CONTEXT,
                                 subject=Subject(type="complaint", id=7, reference="GRV-2026-000001"))
    return created


PERSONAS = ["citizen", "other_citizen", "officer_roads", "manager_public_works", "dispatcher", "executive",
            "admin_user"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_lists_only_their_own_notifications_newest_first(persona, request, auth_client, citizen,
                                                                   other_citizen):
    user = request.getfixturevalue(persona)
    mine = give(user, 2)
    someone_else = other_citizen if user != other_citizen else citizen
    give(someone_else, 3)

    response = auth_client(user).get(LIST)

    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [mine[1].pk, mine[0].pk]
    row = response.data["results"][0]
    assert (row["subject_type"], row["subject_id"], row["reference"]) == ("complaint", 7, "GRV-2026-000001")
    # The fields older mobile app builds read stay, as aliases of the generic subject.
    assert (row["complaint_id"], row["complaint_reference"]) == (7, "GRV-2026-000001")


@pytest.mark.parametrize("persona", PERSONAS)
def test_someone_elses_notification_cannot_be_marked_read_it_is_a_404(persona, request, auth_client, citizen,
                                                                      other_citizen):
    user = request.getfixturevalue(persona)
    someone_else = other_citizen if user != other_citizen else citizen
    [theirs] = give(someone_else)

    response = auth_client(user).post(f"{LIST}{theirs.pk}/read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_needs_a_signed_in_user(api_client):
    assert api_client.get(LIST).status_code == 401
    assert api_client.get(f"{LIST}unread-count/").status_code == 401


def test_unread_filter_count_mark_one_and_mark_all(auth_client, citizen, other_citizen):
    first, second, third = give(citizen, 3)
    [others] = give(other_citizen)
    client = auth_client(citizen)

    assert client.get(f"{LIST}unread-count/").data == {"unread": 3}
    response = client.post(f"{LIST}{second.pk}/read/")
    assert response.status_code == 200 and response.data["is_read"] is True
    read_at = response.data["read_at"]
    # Marking again keeps the first read time.
    assert client.post(f"{LIST}{second.pk}/read/").data["read_at"] == read_at

    assert [row["id"] for row in client.get(LIST, {"unread": "true"}).data["results"]] == [third.pk, first.pk]
    assert [row["id"] for row in client.get(LIST, {"unread": "false"}).data["results"]] == [second.pk]
    assert client.get(f"{LIST}unread-count/").data == {"unread": 2}

    assert client.post(f"{LIST}read-all/").data == {"marked": 2}
    assert client.get(f"{LIST}unread-count/").data == {"unread": 0}
    others.refresh_from_db()
    assert others.read_at is None


def test_a_bad_unread_filter_is_a_400_with_the_field(auth_client, citizen):
    response = auth_client(citizen).get(LIST, {"unread": "perhaps"})
    assert response.status_code == 400
    assert "unread" in response.data["errors"]


def test_the_inbox_list_runs_a_fixed_number_of_queries(auth_client, citizen, django_assert_max_num_queries):
    give(citizen, 5)
    client = auth_client(citizen)
    with django_assert_max_num_queries(4) as small:
        client.get(LIST)
    give(citizen, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(LIST, {"page_size": 50})
    assert len(response.data["results"]) == 45


def test_preferences_default_to_every_channel_and_can_switch_sms_and_email_off(auth_client, citizen):
    client = auth_client(citizen)
    assert client.get(f"{LIST}preferences/").data == {"in_app_enabled": True, "sms_enabled": True,
                                                      "email_enabled": True, "chat_enabled": True}

    response = client.patch(f"{LIST}preferences/", {"sms_enabled": False}, format="json")
    assert response.status_code == 200
    assert response.data == {"in_app_enabled": True, "sms_enabled": False, "email_enabled": True,
                             "chat_enabled": True}
    # The inbox cannot be switched off: the field is read-only.
    client.patch(f"{LIST}preferences/", {"in_app_enabled": False}, format="json")
    assert client.get(f"{LIST}preferences/").data["in_app_enabled"] is True
    assert engine.channels_for(type(citizen).objects.get(pk=citizen.pk)) == ["email"]


def test_chat_apps_can_be_switched_off_and_every_app_asks_the_same_switch(auth_client, citizen):
    from notifications.preferences import wants

    response = auth_client(citizen).patch(f"{LIST}preferences/", {"chat_enabled": False}, format="json")
    assert response.status_code == 200 and response.data["chat_enabled"] is False
    citizen = type(citizen).objects.get(pk=citizen.pk)
    assert [wants(citizen, channel) for channel in ("telegram", "whatsapp", "chat", "sms", "email")] == [
        False, False, False, True, True,
    ]
    with pytest.raises(ValueError):
        wants(citizen, "pigeon")


def test_bad_preferences_are_a_400_with_field_errors(auth_client, citizen):
    response = auth_client(citizen).patch(f"{LIST}preferences/", {"sms_enabled": "sometimes"}, format="json")
    assert response.status_code == 400
    assert "sms_enabled" in response.data["errors"]


# --- the citizen page -------------------------------------------------------------------------
def test_the_notifications_page_needs_sign_in(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_notifications_page_lists_mine_and_marks_all_read_with_a_post(client, citizen, other_citizen):
    give(citizen, 2)
    [theirs] = give(other_citizen, kind="complaint_resolved")
    client.force_login(citizen)

    page = client.get(reverse("notifications:list"))
    assert page.status_code == 200
    assert page.content.decode().count("Work has started on GRV-2026-000001") == 2
    assert theirs.title not in page.content.decode()
    assert 'action="/notifications/read-all/"' in page.content.decode()

    assert client.get(reverse("notifications:read-all")).status_code == 405
    response = client.post(reverse("notifications:read-all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=citizen, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_citizen, read_at__isnull=True).exists()


def test_marking_all_read_on_the_page_needs_the_csrf_token(citizen):
    from django.test import Client

    give(citizen)
    client = Client(enforce_csrf_checks=True)
    client.force_login(citizen)
    assert client.post(reverse("notifications:read-all")).status_code == 403
    assert Notification.objects.filter(recipient=citizen, read_at__isnull=True).exists()
