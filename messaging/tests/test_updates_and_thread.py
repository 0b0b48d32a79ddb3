"""Updates from the outbox, the complaint's thread over the API, staff replies, delivery retries,
the channels' status and the admin."""

import pytest
from django.urls import reverse

from complaints import services
from complaints.models import Comment, ComplaintEvent
from messaging import services as messaging_services
from messaging.flow import complaint_source
from messaging.models import ChannelHealth, ComplaintConversation, Conversation, Message
from messaging.tests.conftest import replies
from messaging.updates import send_updates

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(citizen, stub):
    """Alice's WhatsApp chat."""
    return Conversation.objects.create(channel="whatsapp", chat_id="919811100001", citizen=citizen, phone=citizen.phone)


@pytest.fixture
def filed(pothole, chat):
    """Alice's pothole, filed from her WhatsApp chat."""
    ComplaintConversation.objects.create(complaint=pothole, conversation=chat)
    return pothole


def thread_url(complaint):
    return reverse("api:complaint-messages", kwargs={"complaint": complaint.pk})


def test_public_events_reach_the_chat_once_whatever_the_order_or_repeats(filed, dispatcher, officer_roads, stub):
    services.complaint_triage(complaint=filed, actor=dispatcher, department=officer_roads.department)
    services.comment_add(complaint=filed, author=officer_roads, body="Crew booked", is_internal=True)
    services.complaint_start(complaint=filed, actor=officer_roads)
    ids = list(ComplaintEvent.objects.filter(complaint=filed).values_list("pk", flat=True))
    send_updates(list(reversed(ids)))
    send_updates(ids + ids)
    updates = Message.objects.filter(complaint=filed, direction="out", complaint_event__isnull=False)
    assert sorted(updates.values_list("complaint_event__action", flat=True)) == ["start", "triage"]
    assert not any("Crew booked" in m.body for m in updates)


def test_no_updates_when_the_citizen_turned_them_off(filed, dispatcher, officer_roads, chat):
    chat.updates_enabled = False
    chat.save()
    services.complaint_triage(complaint=filed, actor=dispatcher, department=officer_roads.department)
    send_updates(list(ComplaintEvent.objects.values_list("pk", flat=True)))
    assert not Message.objects.exists()


def test_sms_updates_follow_the_text_message_preference(filed, chat, dispatcher, officer_roads):
    from notifications.models import NotificationPreference

    chat.channel, chat.chat_id = "sms", filed.citizen.phone
    chat.save()
    NotificationPreference.objects.create(user=filed.citizen, sms_enabled=False)
    services.complaint_triage(complaint=filed, actor=dispatcher, department=officer_roads.department)
    send_updates(list(ComplaintEvent.objects.values_list("pk", flat=True)))
    assert not Message.objects.exists()


def test_complaints_not_filed_by_chat_send_nothing(pothole, dispatcher, officer_roads):
    services.complaint_triage(complaint=pothole, actor=dispatcher, department=officer_roads.department)
    send_updates(list(ComplaintEvent.objects.values_list("pk", flat=True)))
    assert not Message.objects.exists()


def test_the_consumer_is_registered_with_the_outbox():
    from complaints.outbox import registered_consumers

    assert registered_consumers()["messaging.updates"] is send_updates


def test_thread_is_visible_to_whoever_sees_the_complaint(
    filed, chat, auth_client, citizen, other_citizen, officer_roads, officer_water, executive
):
    for i in range(3):
        Message.objects.create(
            conversation=chat, channel="whatsapp", direction="in", complaint=filed, body=f"m{i}", status="processed"
        )
    answer = auth_client(citizen).get(thread_url(filed))
    assert answer.status_code == 200 and answer.data["count"] == 3
    assert "last_error" not in answer.data["results"][0]
    assert auth_client(officer_roads).get(thread_url(filed)).data["results"][0]["last_error"] == ""
    assert (
        auth_client(executive).get(reverse("api:complaint-messages", kwargs={"complaint": filed.reference})).status_code
        == 200
    )
    assert auth_client(other_citizen).get(thread_url(filed)).status_code == 404
    assert auth_client(officer_water).get(thread_url(filed)).status_code == 404


def test_thread_list_runs_a_fixed_number_of_queries(
    filed, chat, auth_client, officer_roads, django_assert_max_num_queries
):
    client = auth_client(officer_roads)
    Message.objects.create(
        conversation=chat,
        channel="whatsapp",
        direction="out",
        complaint=filed,
        body="x",
        status="sent",
        sent_by=officer_roads,
    )
    with django_assert_max_num_queries(8) as few:
        client.get(thread_url(filed))
    for i in range(30):
        Message.objects.create(
            conversation=chat,
            channel="whatsapp",
            direction="out",
            complaint=filed,
            body=f"{i}",
            status="sent",
            sent_by=officer_roads,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(thread_url(filed)).data["results"]) == 20


def test_staff_reply_goes_to_the_chat_and_is_a_public_comment(filed, auth_client, officer_roads, stub, run_on_commit):
    with run_on_commit():
        answer = auth_client(officer_roads).post(thread_url(filed), {"body": "We will fix it on Monday."})
    assert answer.status_code == 201, answer.data
    assert answer.data["sent_by"] == officer_roads.full_name
    comment = Comment.objects.get(complaint=filed)
    assert comment.is_internal is False and comment.body == "We will fix it on Monday."
    assert "We will fix it on Monday." in replies(stub, "whatsapp")[-1]
    assert Message.objects.get(pk=answer.data["id"]).status == "sent"


def test_the_citizens_answer_to_a_staff_reply_is_their_comment(
    filed, auth_client, officer_roads, whatsapp, stub, citizen
):
    citizen.phone = "+919811100001"
    citizen.save()
    with whatsapp.run_on_commit():
        auth_client(officer_roads).post(thread_url(filed), {"body": "Which side of the road?"})
    whatsapp.say("The left side, near the bakery")
    reply = Comment.objects.get(author=citizen)
    assert reply.body == "The left side, near the bakery" and reply.complaint == filed
    assert Message.objects.filter(complaint=filed, direction="in").count() == 1


def test_who_may_reply(filed, pothole, auth_client, citizen, executive, leak, dispatcher):
    assert auth_client(citizen).post(thread_url(filed), {"body": "hi"}).status_code == 403
    assert auth_client(executive).post(thread_url(filed), {"body": "hi"}).status_code == 403
    assert auth_client(dispatcher).post(thread_url(leak), {"body": "hi"}).status_code == 409
    assert auth_client(dispatcher).post(thread_url(filed), {"body": ""}).status_code == 400
    assert not Comment.objects.exists()


def test_a_failing_provider_is_retried_then_failed_and_reported(filed, chat, stub, settings, auth_client, admin_user):
    settings.MESSAGING_SEND_MAX_ATTEMPTS = 3
    stub.route("POST", "/v21.0/1098765/messages", status=503, body={"error": "down"})
    message = messaging_services.message_send(conversation=chat, text="hello")
    with pytest.raises(messaging_services.RetryLater):
        messaging_services.deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1) and "503" in message.last_error
    for _ in range(2):
        try:
            messaging_services.deliver(message_id=message.pk)
        except messaging_services.RetryLater:
            pass
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert messaging_services.deliver(message_id=message.pk) == "skipped"

    status = {row["channel"]: row for row in auth_client(admin_user).get(reverse("api:messaging-channel-status")).data}
    assert status["whatsapp"]["health"] == "failing" and "failing" in status["whatsapp"]["warning"]
    assert status["whatsapp"]["failed_outbound"] == 1
    assert status["telegram"]["health"] == "ok"
    assert "whatsapp-access-token" not in str(status)

    stub.route("POST", "/v21.0/1098765/messages", body={"messages": [{"id": "wamid.ok"}]})
    assert messaging_services.messages_retry(message_ids=[message.pk]) == 1
    assert messaging_services.deliver(message_id=message.pk) == "sent"
    assert ChannelHealth.objects.get(channel="whatsapp").consecutive_failures == 0


def test_channel_status_is_for_staff_only(auth_client, citizen, officer_roads, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    url = reverse("api:messaging-channel-status")
    assert auth_client(citizen).get(url).status_code == 403
    rows = auth_client(officer_roads).get(url).data
    assert {r["channel"]: r["health"] for r in rows}["telegram"] == "not_configured"


def test_admin_lists_only_messages_of_visible_complaints_and_retry_is_for_admins(
    filed, leak, chat, client, officer_roads, admin_user
):
    Message.objects.create(
        conversation=chat, channel="whatsapp", direction="in", complaint=filed, body="mine", status="processed"
    )
    Message.objects.create(
        conversation=chat, channel="whatsapp", direction="in", complaint=leak, body="water", status="processed"
    )
    url = reverse("admin:messaging_message_changelist")
    client.force_login(officer_roads)
    page = client.get(url)
    assert page.status_code == 200
    assert b"mine" in page.content and b"water" not in page.content
    assert b"retry_failed" not in page.content
    client.force_login(admin_user)
    page = client.get(url)
    assert b"water" in page.content and b"retry_failed" in page.content


def test_sources_follow_the_channel():
    assert (complaint_source("sms"), complaint_source("telegram"), complaint_source("whatsapp")) == (
        "sms",
        "bot",
        "bot",
    )
