"""The engine no longer names complaints or notices: drop their columns, and make `dedupe_key` the
one idempotency rule (one notification per key and recipient)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("notifications", "0003_fill_subject_and_dedupe_key")]

    operations = [
        migrations.RemoveConstraint(model_name="notification", name="notification_once_per_notice"),
        migrations.RemoveField(model_name="notification", name="complaint_id"),
        migrations.RemoveField(model_name="notification", name="complaint_reference"),
        migrations.RemoveField(model_name="notification", name="notice_id"),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(condition=models.Q(("dedupe_key__isnull", False)), fields=("dedupe_key", "recipient"), name="notification_once_per_dedupe_key"),
        ),
    ]
