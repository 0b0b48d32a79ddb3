"""Put the pending-deliveries sweep on django-celery-beat's database schedule (every minute), where
admins can see, pause or retime it in the Django admin."""

from django.db import migrations

TASK_NAME = "Send pending notification deliveries"
TASK = "accounts.tasks.deliver_pending_notifications"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": every_minute,
            "enabled": True,
            "description": "Sends SMS/email deliveries left pending (e.g. the broker was down) for over a minute.",
        },
    )
    _tell_beat(apps)


def _tell_beat(apps):
    # A running beat reloads its schedule when this timestamp moves (model save() does it outside
    # migrations; historical models do not).
    from django.utils import timezone

    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME, task=TASK).delete()
    _tell_beat(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_notifications_inbox_preferences_deliveries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
