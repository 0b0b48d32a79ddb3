"""Broadcast campaigns of notices over Telegram, WhatsApp and SMS, end to end through the API, the
Celery task (eager) and the local provider stub: who is reached where, the delivery log and its
counters, re-runs that send nothing twice, scheduling, cancelling, failures, the per-provider rate
and who may do what."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from complaints import notices
from complaints.models import Notice
from complaints.tests.factories import file_complaint
from messaging import campaigns
from messaging.models import Campaign, CampaignDelivery, Conversation
from messaging.tests.conftest import replies
from notifications import sms as engine_sms
from notifications.services import preferences_update

pytestmark = pytest.mark.django_db

LIST = "/api/v1/campaigns/"


@pytest.fixture(autouse=True)
def _sla(sla_default):
    return sla_default


@pytest.fixture
def pothole_filer(category_infrastructure, category_potholes):
    def _file(citizen):
        return file_complaint(citizen, category=category_infrastructure, subcategory=category_potholes)

    return _file


def chat(citizen, channel, chat_id, **kwargs):
    return Conversation.objects.create(channel=channel, chat_id=chat_id, citizen=citizen, phone=citizen.phone or "",
                                       **kwargs)


@pytest.fixture
def audience(pothole_filer):
    """Five citizens who filed about roads: each reached differently."""
    people = {
        "asha": UserFactory(role=Role.CITIZEN, full_name="Asha", phone="+919800000001"),  # Telegram chat
        "ravi": UserFactory(role=Role.CITIZEN, full_name="Ravi", phone="+919800000002"),  # WhatsApp chat
        "carol": UserFactory(role=Role.CITIZEN, full_name="Carol", phone="+919800000003"),  # phone only
        "dev": UserFactory(role=Role.CITIZEN, full_name="Dev", phone=None),  # nothing reaches him
        "erin": UserFactory(role=Role.CITIZEN, full_name="Erin", phone="+919800000005"),  # chats off
    }
    for person in people.values():
        pothole_filer(person)
    chat(people["asha"], "telegram", "7001")
    chat(people["ravi"], "whatsapp", "919800000002")
    chat(people["erin"], "telegram", "7005")
    preferences_update(user=people["erin"], chat_enabled=False)
    return people


@pytest.fixture
def notice(dept_roads, manager_public_works):
    return notices.notice_create(actor=manager_public_works, department=dept_roads, title="Road closed",
                                 body="MG Road is closed on Sunday for resurfacing.")


def create(client, notice, channels=("telegram", "whatsapp", "sms"), **extra):
    return client.post(LIST, {"notice": notice.pk, "channels": list(channels), **extra}, format="json")


def test_a_campaign_reaches_each_citizen_once_on_the_first_channel_that_reaches_them(
    auth_client, manager_public_works, notice, audience, stub, run_on_commit
):
    client = auth_client(manager_public_works)
    created = create(client, notice)
    assert created.status_code == 201, created.data
    assert created.data["state"] == "draft"
    with run_on_commit():
        started = client.post(f"{LIST}{created.data['id']}/start/")
    assert started.status_code == 200, started.data

    campaign = Campaign.objects.get()
    assert campaign.state == "done"
    telegram, whatsapp, texts = replies(stub, "telegram"), replies(stub, "whatsapp"), replies(stub, "sms")
    assert [r.json()["chat_id"] for r in stub.sent("/sendMessage")] == ["7001"]
    assert [r.json()["to"] for r in stub.sent("/messages")] == ["919800000002"]
    assert sorted(r.form()["To"] for r in stub.sent("/Messages.json")) == ["+919800000003", "+919800000005"]
    assert all("Road closed" in text and "MG Road is closed" in text for text in telegram + whatsapp + texts)

    log = {d.citizen.full_name: d for d in CampaignDelivery.objects.select_related("citizen")}
    assert {name: (d.channel, d.status) for name, d in log.items()} == {
        "Asha": ("telegram", "sent"),
        "Ravi": ("whatsapp", "sent"),
        "Carol": ("sms", "sent"),
        "Dev": ("", "skipped"),
        "Erin": ("sms", "sent"),
    }
    assert "no chat" in log["Dev"].reason and "no phone" in log["Dev"].reason
    assert (campaign.recipients_count, campaign.sent_count, campaign.skipped_count, campaign.failed_count) == (
        5, 4, 1, 0,
    )
    # WhatsApp bills one unit, each SMS one segment, Telegram nothing.
    assert campaign.cost_units == 3 == sum(d.cost_units for d in log.values())

    answer = client.get(f"{LIST}{campaign.pk}/deliveries/")
    assert answer.status_code == 200 and answer.data["count"] == 5
    assert {row["status"] for row in answer.data["results"]} == {"sent", "skipped"}
    detail = client.get(f"{LIST}{campaign.pk}/").data
    assert (detail["sent_count"], detail["cost_units"], detail["state"]) == (4, 3, "done")


def test_re_running_a_campaign_never_sends_anybody_a_second_message(
    manager_public_works, notice, audience, stub, run_on_commit
):
    campaign = campaigns.campaign_create(actor=manager_public_works, notice=notice, channels=["telegram", "sms"])
    with run_on_commit():
        campaigns.campaign_start(campaign=campaign, actor=manager_public_works)
    sent = len(stub.requests)
    assert sent == 4  # Asha on Telegram; Ravi, Carol and Erin by SMS

    # A duplicated or retried task, a sweep that thought it stalled: nothing goes out again.
    Campaign.objects.filter(pk=campaign.pk).update(state="running")
    assert campaigns.campaign_run(campaign_id=campaign.pk) == "done"
    assert campaigns.campaigns_resume_stalled(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert len(stub.requests) == sent
    assert CampaignDelivery.objects.count() == 5
    assert Campaign.objects.get().sent_count == 4


def test_the_sms_leg_skips_citizens_the_notice_already_texted(
    manager_public_works, notice, audience, stub, run_on_commit
):
    with run_on_commit():
        notices.notice_publish(notice=notice, actor=manager_public_works)
    texted = {message.to for message in engine_sms.outbox}
    assert "+919800000003" in texted
    campaign = campaigns.campaign_create(actor=manager_public_works, notice=notice, channels=["telegram", "sms"])
    with run_on_commit():
        campaigns.campaign_start(campaign=campaign, actor=manager_public_works)
    # Only Asha's Telegram chat: everyone with a phone already had the notice by text.
    assert [r.path for r in stub.requests] == [r.path for r in stub.sent("/sendMessage")] and len(stub.requests) == 1
    carol = CampaignDelivery.objects.get(citizen=audience["carol"])
    assert carol.status == "skipped" and "already texted" in carol.reason


def test_a_scheduled_campaign_starts_when_its_time_comes(
    auth_client, manager_public_works, notice, audience, stub, run_on_commit
):
    client = auth_client(manager_public_works)
    at = timezone.now() + dt.timedelta(hours=2)
    created = create(client, notice, channels=["whatsapp"], scheduled_at=at.isoformat())
    assert created.status_code == 201 and created.data["state"] == "scheduled"
    with run_on_commit():
        assert campaigns.campaigns_start_due() == 0
    assert stub.requests == []
    later = at + dt.timedelta(minutes=1)
    with run_on_commit():
        assert campaigns.campaigns_start_due(now=later) == 1
    assert Campaign.objects.get().state == "done"
    assert [r.json()["to"] for r in stub.sent("/messages")] == ["919800000002"]


def test_a_draft_can_be_scheduled_and_a_cancelled_campaign_sends_nothing(
    auth_client, manager_public_works, notice, audience, stub, run_on_commit
):
    client = auth_client(manager_public_works)
    campaign_id = create(client, notice).data["id"]
    at = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert client.post(f"{LIST}{campaign_id}/schedule/", {"scheduled_at": at}, format="json").data["state"] == (
        "scheduled"
    )
    assert client.post(f"{LIST}{campaign_id}/cancel/").data["state"] == "cancelled"
    with run_on_commit():
        assert campaigns.campaigns_start_due(now=timezone.now() + dt.timedelta(days=2)) == 0
        refused = client.post(f"{LIST}{campaign_id}/start/")
    assert refused.status_code == 409
    assert client.post(f"{LIST}{campaign_id}/cancel/").status_code == 409
    assert stub.requests == [] and not CampaignDelivery.objects.exists()


def test_cancelling_a_running_campaign_stops_it_between_messages(
    manager_public_works, notice, audience, stub, run_on_commit, monkeypatch
):
    campaign = campaigns.campaign_create(actor=manager_public_works, notice=notice, channels=["sms"])
    real_acquire = campaigns.acquire

    def cancel_after_first(channel, **kwargs):
        real_acquire(channel, **kwargs)
        campaigns.campaign_cancel(campaign=campaign, actor=manager_public_works)
        monkeypatch.setattr(campaigns, "acquire", real_acquire)

    monkeypatch.setattr(campaigns, "acquire", cancel_after_first)
    with run_on_commit():
        campaigns.campaign_start(campaign=campaign, actor=manager_public_works)
    campaign.refresh_from_db()
    assert campaign.state == "cancelled"
    assert len(stub.sent("/Messages.json")) == 1
    assert campaign.sent_count == 1
    statuses = sorted(CampaignDelivery.objects.values_list("status", flat=True))
    # Dev (no phone) was skipped from the start; the three not reached yet when it was cancelled.
    assert statuses == ["sent", "skipped", "skipped", "skipped", "skipped"]
    assert campaign.skipped_count == 4
    assert CampaignDelivery.objects.filter(reason="The campaign was cancelled.").count() == 3


def test_failed_sends_are_tried_again_and_given_up_after_the_last_attempt(
    manager_public_works, notice, audience, stub, run_on_commit, settings
):
    settings.MESSAGING_SEND_MAX_ATTEMPTS = 2
    stub.route("POST", f"/v21.0/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages", status=500, body={"error": "down"})
    campaign = campaigns.campaign_create(actor=manager_public_works, notice=notice, channels=["whatsapp"])
    with run_on_commit():
        campaigns.campaign_start(campaign=campaign, actor=manager_public_works)
    ravi = CampaignDelivery.objects.get(citizen=audience["ravi"])
    assert (ravi.status, ravi.attempts) == ("pending", 1) and "500" in ravi.last_error
    assert Campaign.objects.get().state == "running"

    # The sweep resumes the stalled campaign; the second attempt is the last one.
    with run_on_commit():
        assert campaigns.campaigns_resume_stalled(now=timezone.now() + dt.timedelta(minutes=10)) == 1
    ravi.refresh_from_db()
    campaign.refresh_from_db()
    assert (ravi.status, ravi.attempts) == ("failed", 2)
    assert (campaign.state, campaign.failed_count, campaign.sent_count) == ("done", 1, 0)


def test_each_provider_is_held_to_its_rate(manager_public_works, notice, pothole_filer, stub, run_on_commit, settings):
    import time

    settings.MESSAGING_CAMPAIGN_RATE_PER_SECOND = {"telegram": 3, "whatsapp": 50, "sms": 10}
    moments = []
    bot = f"/bot{settings.TELEGRAM_BOT_TOKEN}/sendMessage"
    stub.route("POST", bot, lambda r: (moments.append(time.time()) or 200,
                                       {"ok": True, "result": {"message_id": len(moments)}}, "application/json"))
    for n in range(7):
        person = UserFactory(role=Role.CITIZEN, phone=None)
        pothole_filer(person)
        chat(person, "telegram", f"80{n}")
    campaign = campaigns.campaign_create(actor=manager_public_works, notice=notice, channels=["telegram"])
    with run_on_commit():
        campaigns.campaign_start(campaign=campaign, actor=manager_public_works)
    assert len(moments) == 7
    per_second = {}
    for moment in moments:
        per_second[int(moment)] = per_second.get(int(moment), 0) + 1
    assert max(per_second.values()) <= 3 and len(per_second) >= 3


def test_the_rate_limiter_waits_for_the_next_second():
    clock = {"now": 1000.2}
    waits = []

    def sleep(seconds):
        waits.append(round(seconds, 3))
        clock["now"] += seconds

    for _ in range(5):
        campaigns.acquire("pigeon-test", clock=lambda: clock["now"], sleep=sleep)
    # The default rate of an unknown provider is 1 a second: four waits to the next second.
    assert waits == [0.8, 1.0, 1.0, 1.0]


# --- who may do what -------------------------------------------------------------------------------
@pytest.fixture
def manager_water(dept_water):
    return UserFactory(role=Role.MANAGER, department=dept_water, full_name="Meena Water Manager")


def test_only_managers_of_the_notices_subtree_and_admins_run_campaigns(
    auth_client, manager_public_works, manager_water, admin_user, officer_roads, citizen, executive, notice, stub
):
    campaign = campaigns.campaign_create(actor=manager_public_works, notice=notice, channels=["sms"])
    assert auth_client(admin_user).get(f"{LIST}{campaign.pk}/").status_code == 200
    assert auth_client(manager_water).get(f"{LIST}{campaign.pk}/").status_code == 404
    assert auth_client(manager_water).get(LIST).data["count"] == 0
    assert create(auth_client(manager_water), notice).status_code == 400  # not a notice they can see
    assert auth_client(manager_water).post(f"{LIST}{campaign.pk}/start/").status_code == 404
    for outsider in (officer_roads, citizen, executive):
        assert auth_client(outsider).get(LIST).status_code == 403
        assert create(auth_client(outsider), notice).status_code == 403
    assert Campaign.objects.get().state == "draft"


@pytest.mark.parametrize(
    "payload",
    [
        {"channels": []},
        {"channels": ["pigeon"]},
        {"channels": ["sms", "sms"]},
        {"channels": "sms"},
        {"scheduled_at": "2000-01-01T00:00:00Z"},
        {"scheduled_at": "tomorrow"},
        {"notice": 999999},
    ],
)
def test_bad_campaigns_are_a_400_and_save_nothing(auth_client, manager_public_works, notice, payload):
    body = {"notice": notice.pk, "channels": ["sms"], **payload}
    answer = auth_client(manager_public_works).post(LIST, body, format="json")
    assert answer.status_code == 400, answer.data
    assert not Campaign.objects.exists()


def test_the_campaign_list_runs_a_fixed_number_of_queries(
    auth_client, manager_public_works, notice, django_assert_max_num_queries
):
    client = auth_client(manager_public_works)
    campaigns.campaign_create(actor=manager_public_works, notice=notice, channels=["sms"])
    with django_assert_max_num_queries(10) as few:
        client.get(LIST)
    for _ in range(15):
        campaigns.campaign_create(actor=manager_public_works, notice=notice, channels=["sms", "telegram"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(LIST).data["results"]) == 16


# --- the admin --------------------------------------------------------------------------------------
def test_a_manager_creates_and_starts_a_campaign_in_the_admin(
    client, manager_public_works, notice, audience, stub, run_on_commit
):
    client.force_login(manager_public_works)
    added = client.post(reverse("admin:messaging_campaign_add"), {"notice": notice.pk, "channels": ["whatsapp"]})
    assert added.status_code == 302, added.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert (campaign.state, campaign.channels, campaign.created_by) == ("draft", ["whatsapp"], manager_public_works)
    with run_on_commit():
        client.post(reverse("admin:messaging_campaign_changelist"),
                    {"action": "start_campaigns", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.state == "done" and campaign.sent_count == 1
    page = client.get(reverse("admin:messaging_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200
    # Published notices are never edited, nor are campaigns: the change page saves nothing.
    assert client.post(reverse("admin:messaging_campaign_change", args=[campaign.pk]), {}).status_code == 405
    assert Notice.objects.get().state == "draft"
