"""One Django group per staff role, with the permissions in accounts.roles.ROLE_PERMISSIONS.

Permissions of apps migrated later are attached by the post_migrate handler (AccountsConfig).
"""

from django.db import migrations


def create_role_groups(apps, schema_editor):
    from accounts.roles import sync_role_groups

    sync_role_groups(apps=apps, using=schema_editor.connection.alias)


def remove_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(
        name__in=["officer", "dispatcher", "manager", "executive", "admin"]
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_phone_otp_and_api_keys"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_role_groups, remove_role_groups),
    ]
