"""Own table names, and room for generic facts: what a notification is about (`subject_type`,
`subject_id`, `reference`) and an idempotency key (`dedupe_key`). The rows stay (tables renamed);
0003 fills the new columns from the old complaint/notice ones and 0004 drops those."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
        ("accounts", "0006_notifications_move_to_their_own_app"),
    ]

    operations = [
        migrations.AlterModelTable(name="notification", table=None),
        migrations.AlterModelTable(name="notificationpreference", table=None),
        migrations.AlterModelTable(name="notificationdelivery", table=None),
        migrations.AddField(
            model_name="notification",
            name="subject_type",
            field=models.CharField(blank=True, default="", help_text="What the notification is about, as named by the app that sent it.", max_length=32),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="reference",
            field=models.CharField(blank=True, default="", help_text="A human label of the subject, e.g. its reference.", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="dedupe_key",
            field=models.CharField(blank=True, editable=False, max_length=100, null=True),
        ),
        migrations.AlterField(
            model_name="notificationdelivery",
            name="channel",
            field=models.CharField(max_length=16),
        ),
    ]
