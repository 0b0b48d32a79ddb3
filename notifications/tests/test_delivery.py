"""notify() and the delivery machinery: channels, preferences, language, retries, a dead broker."""

import datetime as dt
import os

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from notifications import services as engine
from notifications import sms
from notifications.models import Notification, NotificationDelivery
from notifications.services import Subject
from notifications.tasks import deliver_pending_notifications, send_notification_delivery

pytestmark = pytest.mark.django_db

Status = NotificationDelivery.Status
CONTEXT = {"reference": "GRV-2026-000001", "title": "Pothole", "department": "Roads", "note": "Filled",
           "reopen_days": 7}
DEAD_BROKER = "redis://127.0.0.1:1/0"


def notify(users, kind="complaint_resolved", **kwargs):
    return engine.notify(recipients=users, kind=kind, context=CONTEXT,
                         subject=Subject(type="complaint", id=1, reference="GRV-2026-000001"), **kwargs)


def sms_to(phone):
    return [message for message in sms.outbox if message.to == phone]


def emails_to(address):
    return [message for message in mail.outbox if address in message.to]


def test_a_citizen_with_phone_and_email_gets_the_inbox_entry_an_sms_and_an_email(
    citizen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = notify([citizen])
    assert notification.recipient == citizen and notification.kind == "complaint_resolved"
    assert "GRV-2026-000001" in notification.title
    assert sorted(notification.deliveries.values_list("channel", "status")) == [("email", "sent"), ("sms", "sent")]
    assert len(sms_to(citizen.phone)) == 1 and len(emails_to(citizen.email)) == 1
    assert emails_to(citizen.email)[0].subject == notification.title


def test_opting_out_of_sms_and_email_keeps_the_in_app_notification(citizen, django_capture_on_commit_callbacks):
    engine.preferences_update(user=citizen, sms_enabled=False, email_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = notify([citizen])
    assert Notification.objects.filter(recipient=citizen).count() == 1
    assert not notification.deliveries.exists()
    assert sms.outbox == [] and mail.outbox == []


def test_opting_out_of_email_only_still_sends_the_sms(citizen, django_capture_on_commit_callbacks):
    engine.preferences_update(user=citizen, email_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        notify([citizen])
    assert len(sms_to(citizen.phone)) == 1 and mail.outbox == []


def test_channels_follow_what_the_user_has(django_capture_on_commit_callbacks):
    phone_only = UserFactory(email=None)
    email_only = UserFactory(phone=None, role=Role.OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        notify([phone_only, email_only])
    assert list(NotificationDelivery.objects.filter(notification__recipient=phone_only)
                .values_list("channel", flat=True)) == ["sms"]
    assert list(NotificationDelivery.objects.filter(notification__recipient=email_only)
                .values_list("channel", flat=True)) == ["email"]


def test_service_accounts_and_inactive_users_get_nothing(service_user, django_capture_on_commit_callbacks):
    gone = UserFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify([service_user, gone]) == []
    assert Notification.objects.count() == 0 and sms.outbox == []


def test_a_recipient_listed_twice_gets_one_notification(citizen):
    assert len(notify([citizen, citizen])) == 1


def test_the_text_is_in_each_recipients_language(citizen, other_citizen):
    other_citizen.preferred_language = "hi"
    other_citizen.save(update_fields=["preferred_language"])
    notify([citizen, other_citizen])
    english = Notification.objects.get(recipient=citizen)
    hindi = Notification.objects.get(recipient=other_citizen)
    assert english.title == "Your complaint GRV-2026-000001 is resolved"
    assert hindi.title == "आपकी शिकायत GRV-2026-000001 का समाधान हो गया है"
    assert "Filled" in hindi.body


def test_notifying_many_people_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    users = [UserFactory() for _ in range(30)]
    # users, notifications, deliveries, inside one savepoint, and one query of the registered
    # delivery filter (messaging asks which of these complaints a chat follows).
    with django_assert_max_num_queries(6):
        created = notify(users)
    assert len(created) == 30 and NotificationDelivery.objects.count() == 60


def test_an_unknown_kind_is_a_programming_error(citizen):
    with pytest.raises(ValueError):
        engine.notify(recipients=[citizen], kind="nonsense", context={})


# --- idempotent sending ----------------------------------------------------------------------
def test_running_the_delivery_task_twice_sends_one_sms(citizen):
    engine.preferences_update(user=citizen, email_enabled=False)
    [notification] = notify([citizen])  # on_commit not run: the delivery is pending
    delivery = notification.deliveries.get()

    assert send_notification_delivery.apply(args=[delivery.pk]).get() == "sent"
    assert send_notification_delivery.apply(args=[delivery.pk]).get() == "skipped"

    assert len(sms_to(citizen.phone)) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.SENT and delivery.attempts == 1 and delivery.sent_at is not None


def test_a_failed_send_is_retried_and_sends_once_when_the_gateway_recovers(citizen, monkeypatch, celery_conf):
    engine.preferences_update(user=citizen, email_enabled=False)
    [notification] = notify([citizen])
    delivery = notification.deliveries.get()
    calls = {"n": 0}
    real_send = sms.send_sms

    def flaky_send(*, to, body):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("gateway timeout")
        real_send(to=to, body=body)

    monkeypatch.setattr(sms, "send_sms", flaky_send)
    # Without eager propagation, apply() runs Celery's retries in place: the first attempt fails,
    # autoretry runs the task again, which claims the row again and sends.
    celery_conf(task_eager_propagates=False)
    result = send_notification_delivery.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert calls["n"] == 2
    assert delivery.status == Status.SENT and delivery.attempts == 2
    assert len(sms_to(citizen.phone)) == 1
    assert result.get() == "sent"
    # A late duplicate of the task (e.g. redelivered after a worker restart) changes nothing.
    send_notification_delivery.apply(args=[delivery.pk])
    assert len(sms_to(citizen.phone)) == 1


def test_a_delivery_that_keeps_failing_is_given_up_with_the_error_recorded(citizen, monkeypatch, celery_conf):
    engine.preferences_update(user=citizen, email_enabled=False)
    [notification] = notify([citizen])
    delivery = notification.deliveries.get()

    def broken(*, to, body):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(sms, "send_sms", broken)
    celery_conf(task_eager_propagates=False)  # every retry runs in place, up to max_retries
    send_notification_delivery.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.attempts == engine.MAX_DELIVERY_ATTEMPTS
    assert "gateway down" in delivery.last_error
    # The sweep does not pick up what was given up.
    assert not engine.pending_deliveries(now=timezone.now() + dt.timedelta(hours=1)).exists()


def test_a_delivery_another_worker_is_sending_is_not_sent_again(citizen):
    [notification] = notify([citizen])
    delivery = notification.deliveries.first()
    NotificationDelivery.objects.filter(pk=delivery.pk).update(status=Status.SENDING, attempts=1)
    assert engine.deliver(delivery_id=delivery.pk) == "skipped"
    assert sms.outbox == [] and mail.outbox == []


# --- the broker is down ----------------------------------------------------------------------
def test_broker_down_the_change_commits_deliveries_wait_and_the_sweep_sends_them_once(
    citizen, celery_conf, django_capture_on_commit_callbacks
):
    celery_conf(task_always_eager=False, broker_url=DEAD_BROKER, broker_connection_timeout=0.5,
                broker_connection_retry=False, broker_connection_max_retries=0)
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = notify([citizen])
    assert Notification.objects.filter(pk=notification.pk).exists()
    assert set(notification.deliveries.values_list("status", flat=True)) == {Status.PENDING}
    assert sms.outbox == [] and mail.outbox == []

    # Too fresh for the sweep: a queued task may still be on its way.
    assert engine.deliver_pending()["sent"] == 0
    NotificationDelivery.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))

    celery_conf(task_always_eager=True)
    counts = deliver_pending_notifications.apply().get()
    assert counts["sent"] == 2
    assert len(sms_to(citizen.phone)) == 1 and len(emails_to(citizen.email)) == 1
    # Running the sweep again (or the command) sends nothing more.
    call_command("deliver_pending_notifications")
    assert len(sms_to(citizen.phone)) == 1 and len(emails_to(citizen.email)) == 1
    assert set(notification.deliveries.values_list("status", flat=True)) == {Status.SENT}


def test_the_sweep_leaves_deliveries_in_a_live_retry_cycle_to_celery(citizen):
    [notification] = notify([citizen])
    two_minutes_ago = timezone.now() - dt.timedelta(minutes=2)
    NotificationDelivery.objects.update(created_at=two_minutes_ago, attempts=1, last_attempt_at=two_minutes_ago,
                                        status=Status.PENDING)
    assert not engine.pending_deliveries().exists()
    NotificationDelivery.objects.update(last_attempt_at=timezone.now() - dt.timedelta(minutes=11))
    assert engine.pending_deliveries().count() == 2


def test_the_pending_sweep_is_on_the_database_beat_schedule_every_minute():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="notifications.tasks.deliver_pending_notifications")
    assert task.enabled and task.interval.every == 1 and task.interval.period == "minutes"


# --- a real worker ----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not REDIS_URL.startswith("redis"), reason="REDIS_URL is not set: no Redis broker to test")
def test_a_real_worker_on_redis_sends_a_notification_once(celery_conf):
    import time

    from celery.contrib.testing.worker import start_worker

    citizen = UserFactory(role=Role.CITIZEN, email=None)
    app = celery_conf(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # transaction=True: notify's on_commit fires for real and queues the task on Redis.
        [notification] = notify([citizen])
        delivery = notification.deliveries.get()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            delivery.refresh_from_db()
            if delivery.status == Status.SENT:
                break
            time.sleep(0.1)
        # A duplicate message for the same delivery is a no-op in the worker too.
        assert send_notification_delivery.delay(delivery.pk).get(timeout=20) == "skipped"
    assert delivery.status == Status.SENT
    assert len(sms_to(citizen.phone)) == 1
