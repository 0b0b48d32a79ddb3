"""Roles as Django groups, so the admin shows each staff role exactly what it may touch.

`ROLE_PERMISSIONS` is the one table to extend: role -> permission patterns "app_label.codename",
where the codename may end in `*` ("complaints.view_*"). Patterns that match nothing yet (an app
whose models do not exist yet) are skipped; `sync_role_groups` runs after every `migrate` (see
`AccountsConfig.ready`), so permissions of apps added later are attached then.
"""

from fnmatch import fnmatchcase

from django.apps import apps as global_apps

from accounts.models import STAFF_ROLES, Role

ALL_PERMISSIONS = "*.*"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Read-only everywhere: the executive sees everything and changes nothing.
    Role.EXECUTIVE: [
        "accounts.view_user",
        "departments.view_*",
        "complaints.view_*",
        "analytics.view_*",
        "messaging.view_message",
    ],
    Role.OFFICER: [
        "departments.view_*",
        "complaints.view_*",
        "complaints.change_complaint",
        "complaints.add_comment",
        "complaints.add_attachment",
        "messaging.view_message",
    ],
    Role.MANAGER: [
        "accounts.view_user",
        "departments.view_*",
        "complaints.view_*",
        "complaints.change_complaint",
        "complaints.add_comment",
        "complaints.add_attachment",
        "complaints.change_escalation",
        # The back office: decide escalation requests, write and publish notices.
        "complaints.change_escalationrequest",
        "complaints.add_notice",
        "complaints.change_notice",
        "messaging.view_message",
        # Broadcast campaigns of their notices over the chat channels.
        "messaging.view_campaign",
        "messaging.add_campaign",
        "messaging.change_campaign",
    ],
    Role.DISPATCHER: [
        "departments.view_*",
        "complaints.view_*",
        "complaints.change_complaint",
        "messaging.view_message",
    ],
    # Admins are superusers as well; the group makes their reach visible in the admin.
    Role.ADMIN: [ALL_PERMISSIONS],
}


def group_name(role: str) -> str:
    return str(role)


def _matching_permissions(patterns: list[str], permissions):
    wanted = []
    everything = permissions.select_related("content_type").order_by("id")
    for permission in everything:
        full = f"{permission.content_type.app_label}.{permission.codename}"
        if any(fnmatchcase(full, pattern) for pattern in patterns):
            wanted.append(permission)
    return wanted


def sync_role_groups(*, apps=None, using: str = "default") -> None:
    """Create one group per staff role and give it exactly the permissions in ROLE_PERMISSIONS.

    `apps` is the migration app registry when called from a data migration; idempotent.
    """
    registry = apps or global_apps
    Group = registry.get_model("auth", "Group")
    Permission = registry.get_model("auth", "Permission")
    for role in sorted(STAFF_ROLES):
        group, _ = Group.objects.using(using).get_or_create(name=group_name(role))
        patterns = ROLE_PERMISSIONS.get(role, [])
        group.permissions.set(_matching_permissions(patterns, Permission.objects.db_manager(using)))


def sync_user_groups(user) -> None:
    """Make `user.groups` exactly the group of the user's role (none for citizens and services)."""
    from django.contrib.auth.models import Group

    if user.role in STAFF_ROLES:
        group = Group.objects.filter(name=group_name(user.role)).first()
        if group is None:
            # The groups were flushed (a TransactionTestCase) or never migrated: recreate them all.
            sync_role_groups()
            group = Group.objects.get(name=group_name(user.role))
        user.groups.set([group])
    else:
        user.groups.clear()
