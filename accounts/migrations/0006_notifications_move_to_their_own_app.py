"""Notification, NotificationPreference and NotificationDelivery now belong to the notifications
app (notifications.0001 takes them over). State only: no table or row is touched here."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_schedule_pending_deliveries_sweep"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="NotificationDelivery"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="NotificationPreference"),
            ],
        ),
    ]
