"""Put the messaging sweep (lost sends, unprocessed inbound messages, expired drafts) on
django-celery-beat's database schedule, every minute; admins can pause or retime it."""

from django.db import migrations

TASK_NAME = "Send pending chat messages"
TASK = "messaging.tasks.deliver_pending_messages"


def _tell_beat(apps):
    from django.utils import timezone

    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


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
            "description": "Re-sends chat messages left pending, processes stored webhooks no task took, "
            "and drops expired conversation drafts.",
        },
    )
    _tell_beat(apps)


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME, task=TASK).delete()
    _tell_beat(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
