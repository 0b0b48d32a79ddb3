"""Fill the generic columns from the old ones: complaint_id/complaint_reference become a "complaint"
subject; notice_id a "notice" subject with dedupe key "notice:<id>" (what kept a notice's fan-out
to one notification per recipient before). Set-based; reversible."""

from django.db import migrations
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, Substr


def forwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    rows = Notification.objects.using(schema_editor.connection.alias)
    rows.filter(complaint_id__isnull=False).update(
        subject_type="complaint", subject_id=F("complaint_id"), reference=F("complaint_reference")
    )
    rows.filter(notice_id__isnull=False).update(
        subject_type="notice",
        subject_id=F("notice_id"),
        dedupe_key=Concat(Value("notice:"), Cast("notice_id", output_field=CharField())),
    )


def backwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    rows = Notification.objects.using(schema_editor.connection.alias)
    rows.filter(subject_type="complaint").update(
        complaint_id=F("subject_id"), complaint_reference=Substr("reference", 1, 20)
    )
    rows.filter(subject_type="notice").update(notice_id=F("subject_id"))


class Migration(migrations.Migration):

    dependencies = [("notifications", "0002_generic_subject_and_dedupe_key")]

    operations = [migrations.RunPython(forwards, backwards)]
