"""Moving the engine out of accounts keeps every row: migrate a database with data in the old
accounts tables (the schema of main before the move) forward and read it through the new models."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0005_schedule_pending_deliveries_sweep"), ("notifications", None)]


@pytest.mark.django_db(transaction=True)
def test_migrating_from_the_accounts_tables_keeps_inbox_preferences_deliveries_and_the_beat_task():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE[0]).apps
    User = old.get_model("accounts", "User")
    Notification = old.get_model("accounts", "Notification")
    Preference = old.get_model("accounts", "NotificationPreference")
    Delivery = old.get_model("accounts", "NotificationDelivery")
    PeriodicTask = old.get_model("django_celery_beat", "PeriodicTask")
    ContentType = old.get_model("contenttypes", "ContentType")

    alice = User.objects.create(phone="+919800000101", role="citizen", password="!")
    about_complaint = Notification.objects.create(
        recipient=alice, kind="complaint_resolved", title="Resolved", body="Filled",
        complaint_id=42, complaint_reference="GRV-2026-000042",
    )
    about_notice = Notification.objects.create(recipient=alice, kind="notice", title="Water off", body="Tue",
                                               notice_id=7)
    delivery = Delivery.objects.create(notification=about_complaint, channel="sms", status="sent", attempts=1)
    Preference.objects.create(user=alice, sms_enabled=False)
    IntervalSchedule = old.get_model("django_celery_beat", "IntervalSchedule")
    # accounts.0005 scheduled it (an earlier transactional test may have flushed it: schedule it again).
    PeriodicTask.objects.get_or_create(
        name="Send pending notification deliveries",
        defaults={"task": "accounts.tasks.deliver_pending_notifications",
                  "interval": IntervalSchedule.objects.get_or_create(every=1, period="minutes")[0]},
    )
    content_type = ContentType.objects.get_or_create(app_label="accounts", model="notificationdelivery")[0]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django.contrib.contenttypes.models import ContentType as NewContentType
    from django_celery_beat.models import PeriodicTask as NewPeriodicTask

    from notifications.models import Notification as NewNotification
    from notifications.models import NotificationDelivery, NotificationPreference

    moved = NewNotification.objects.get(pk=about_complaint.pk)
    assert (moved.recipient_id, moved.kind, moved.title, moved.body) == (alice.pk, "complaint_resolved",
                                                                        "Resolved", "Filled")
    assert (moved.subject_type, moved.subject_id, moved.reference, moved.dedupe_key) == (
        "complaint", 42, "GRV-2026-000042", None)
    notice = NewNotification.objects.get(pk=about_notice.pk)
    assert (notice.subject_type, notice.subject_id, notice.dedupe_key) == ("notice", 7, "notice:7")
    assert NotificationDelivery.objects.filter(pk=delivery.pk, notification=moved, status="sent").exists()
    assert NotificationPreference.objects.get(user_id=alice.pk).sms_enabled is False
    assert NewPeriodicTask.objects.filter(task="notifications.tasks.deliver_pending_notifications").exists()
    assert not NewPeriodicTask.objects.filter(task__startswith="accounts.tasks.").exists()
    # Permissions and admin history keep pointing at the model: its content type moved, same id.
    assert NewContentType.objects.get(pk=content_type.pk).app_label == "notifications"
    # The new rows' ids continue after the old ones (the sequences came along with the tables).
    assert NewNotification.objects.create(recipient_id=alice.pk, kind="notice", title="t", body="").pk > notice.pk
