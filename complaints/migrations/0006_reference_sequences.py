"""On PostgreSQL, each year's reference counter becomes a sequence (complaints/references.py): a
create no longer holds the counter row's lock until its commit. Each sequence starts after its
year's ReferenceCounter row; going back writes the sequences' values into the rows again."""

from django.db import migrations


def counters_to_sequences(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    counter = apps.get_model("complaints", "ReferenceCounter")
    with connection.cursor() as cursor:
        for year, last_value in counter.objects.values_list("year", "last_value"):
            name = connection.ops.quote_name(f"complaints_reference_{int(year)}")
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} AS bigint START WITH {int(last_value) + 1}")


def sequences_to_counters(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    counter = apps.get_model("complaints", "ReferenceCounter")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema() "
            "AND sequencename ~ '^complaints_reference_[0-9]+$'"
        )
        for name, last_value in cursor.fetchall():
            year = int(name.rsplit("_", 1)[1])
            if last_value is not None:
                counter.objects.update_or_create(year=year, defaults={"last_value": last_value})
            cursor.execute(f"DROP SEQUENCE {connection.ops.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0005_analytics_indexes")]

    operations = [migrations.RunPython(counters_to_sequences, sequences_to_counters)]
