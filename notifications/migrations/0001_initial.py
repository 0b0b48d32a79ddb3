"""Take over Notification, NotificationPreference and NotificationDelivery from accounts.

State only: the tables (accounts_notification, ...) and their rows stay where they are; this app
now owns the models, and 0002 renames the tables. accounts.0006 drops the models from accounts'
state. The content types move with the models (same ids), so permissions granted on them and admin
log entries keep pointing at the right models.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ["notification", "notificationpreference", "notificationdelivery"]


def move_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, old="accounts", new="notifications")


def move_content_types_back(apps, schema_editor):
    _relabel(apps, schema_editor, old="notifications", new="accounts")


def _relabel(apps, schema_editor, *, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            continue  # already created for the new app (e.g. a partial earlier run): leave both be
        ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0005_schedule_pending_deliveries_sweep"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=32)),
                        ("title", models.CharField(max_length=200)),
                        ("body", models.TextField()),
                        ("complaint_id", models.PositiveBigIntegerField(blank=True, null=True)),
                        ("complaint_reference", models.CharField(blank=True, max_length=20)),
                        ("notice_id", models.PositiveBigIntegerField(blank=True, null=True)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("recipient", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "notification",
                        "verbose_name_plural": "notifications",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "accounts_notification",
                        "indexes": [
                            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
                            models.Index(fields=["recipient", "-created_at"], name="notification_recent"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(condition=models.Q(("notice_id__isnull", False)), fields=("notice_id", "recipient"), name="notification_once_per_notice"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="NotificationPreference",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("sms_enabled", models.BooleanField(default=True, verbose_name="text messages")),
                        ("email_enabled", models.BooleanField(default=True, verbose_name="email")),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="notification_preference", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "notification preference",
                        "verbose_name_plural": "notification preferences",
                        "db_table": "accounts_notificationpreference",
                    },
                ),
                migrations.CreateModel(
                    name="NotificationDelivery",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("channel", models.CharField(choices=[("sms", "SMS"), ("email", "Email")], max_length=8)),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("sending", "Sending"), ("sent", "Sent"), ("failed", "Failed")], default="pending", max_length=8)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("last_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("notification", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="deliveries", to="notifications.notification")),
                    ],
                    options={
                        "verbose_name": "notification delivery",
                        "verbose_name_plural": "notification deliveries",
                        "ordering": ["created_at", "id"],
                        "db_table": "accounts_notificationdelivery",
                        "indexes": [models.Index(fields=["status", "created_at"], name="delivery_status_created")],
                        "constraints": [models.UniqueConstraint(fields=("notification", "channel"), name="delivery_once_per_channel")],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
