"""The pending-deliveries sweep's task moved from accounts.tasks to notifications.tasks: point the
django-celery-beat schedule (created by accounts.0005) at the new name, keeping its interval,
enabled flag and run history as an admin may have changed them."""

from django.db import migrations

OLD = "accounts.tasks.deliver_pending_notifications"
NEW = "notifications.tasks.deliver_pending_notifications"


def _rename(apps, old, new):
    from django.utils import timezone

    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(task=old).update(task=new):
        # A running beat reloads its schedule when this timestamp moves.
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def forwards(apps, schema_editor):
    _rename(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _rename(apps, NEW, OLD)


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0004_drop_complaint_and_notice_columns"),
        ("accounts", "0005_schedule_pending_deliveries_sweep"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
