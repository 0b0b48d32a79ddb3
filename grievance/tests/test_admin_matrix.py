"""Every back-office page x every role x every operation, against one expected table.

A ModelAdmin registered anywhere (our apps or a library's) that is missing from `EXPECTED` fails
`test_every_admin_page_is_in_the_table`, so a new page cannot ship without someone deciding who
may use it; an action without `allowed_permissions` fails `test_every_action_declares_its_permission`.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Role

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "citizen", "service", "officer", "dispatcher", "manager", "executive", "admin"]
STAFF = {"officer", "dispatcher", "manager", "executive", "admin"}
ALL_STAFF_READ = {"officer", "dispatcher", "manager", "executive", "admin"}
ADMIN = {"admin"}
NOBODY: set[str] = set()


def admin_only(*actions: str) -> dict[str, set[str]]:
    return {"view": ADMIN, "add": ADMIN, "change": ADMIN, "delete": ADMIN, **dict.fromkeys(actions, ADMIN)}


def reference_data() -> dict[str, set[str]]:
    """Departments, categories, SLA policies, closure reasons: every staff role reads, admins write."""
    return {"view": ALL_STAFF_READ, "add": ADMIN, "change": ADMIN, "delete": ADMIN, "delete_selected": ADMIN}


# model label -> operation -> roles that may do it. Operations: "view" (the changelist opens),
# "add", "change", "delete" (model-level rights the admin grants), and every action by name
# (offered on the changelist). Anonymous users, citizens and service accounts never get in.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "auth.Group": admin_only("delete_selected"),
    # django-axes: locked accounts (deleting a row unlocks it) and the sign-in audit trail (read only).
    "axes.AccessAttempt": {
        "view": ADMIN, "add": NOBODY, "change": ADMIN, "delete": ADMIN,
        "delete_selected": ADMIN, "cleanup_expired_attempts": ADMIN,
    },
    "axes.AccessLog": {"view": ADMIN, "add": NOBODY, "change": NOBODY, "delete": NOBODY},
    "axes.AccessFailureLog": {"view": ADMIN, "add": NOBODY, "change": NOBODY, "delete": NOBODY},
    "token_blacklist.OutstandingToken": {
        # simplejwt's page: read-only fields (its "change" saves nothing), never added or deleted.
        "view": ADMIN,
        "add": NOBODY,
        "change": ADMIN,
        "delete": NOBODY,
    },
    "token_blacklist.BlacklistedToken": admin_only("delete_selected"),
    "django_celery_beat.PeriodicTask": admin_only(
        "delete_selected", "enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks"
    ),
    "django_celery_beat.ClockedSchedule": admin_only("delete_selected"),
    "django_celery_beat.CrontabSchedule": admin_only("delete_selected"),
    "django_celery_beat.SolarSchedule": admin_only("delete_selected"),
    "django_celery_beat.IntervalSchedule": admin_only("delete_selected"),
    # Users: managers see their subtree's staff, executives all staff (see the scoping tests), read-only.
    "accounts.User": {
        "view": {"manager", "executive", "admin"},
        "add": ADMIN,
        "change": ADMIN,
        "delete": NOBODY,
        "deactivate_users": ADMIN,
        "send_password_reset": ADMIN,
    },
    "accounts.ApiKey": {"view": ADMIN, "add": ADMIN, "change": ADMIN, "delete": NOBODY, "revoke_keys": ADMIN},
    "notifications.NotificationDelivery": {
        "view": ADMIN,
        "add": NOBODY,
        "change": NOBODY,
        "delete": NOBODY,
        "retry_failed": ADMIN,
    },
    "departments.Department": reference_data(),
    "departments.Category": reference_data(),
    "departments.SLAPolicy": {"view": ALL_STAFF_READ, "add": ADMIN, "change": ADMIN, "delete": ADMIN},
    "departments.ClosureReason": reference_data(),
    # Complaints are worked through actions; which ones follows the workflow table's roles.
    "complaints.Complaint": {
        "view": ALL_STAFF_READ,
        "add": NOBODY,
        "change": {"officer", "dispatcher", "manager", "admin"},
        "delete": NOBODY,
        "triage_complaints": {"dispatcher", "manager", "admin"},
        "assign_complaints": {"dispatcher", "manager", "admin"},
        "start_complaints": {"officer", "manager", "admin"},
        "resolve_complaints": {"officer", "manager", "admin"},
        "escalate_complaints": {"manager", "admin"},
        "reject_complaints": {"dispatcher", "manager", "admin"},
        "mark_duplicate_complaints": {"dispatcher", "manager", "admin"},
        "close_complaints": {"admin"},
    },
    "complaints.EscalationRequest": {
        "view": ALL_STAFF_READ,
        "add": NOBODY,
        "change": {"manager", "admin"},
        "delete": NOBODY,
        "approve_requests": {"manager", "admin"},
        "reject_requests": {"manager", "admin"},
    },
    "complaints.Notice": {
        "view": ALL_STAFF_READ,
        "add": {"manager", "admin"},
        "change": {"manager", "admin"},
        "delete": NOBODY,
        "publish_notices": {"manager", "admin"},
    },
    # Chat threads: read by every staff role (scoped to the complaints they see), never edited;
    # admins send failed messages again.
    "messaging.Message": {
        "view": ALL_STAFF_READ,
        "add": NOBODY,
        "change": NOBODY,
        "delete": NOBODY,
        "retry_failed": ADMIN,
    },
    # Campaigns of notices: the notice's managers (subtree) and admins create, start and cancel them.
    "messaging.Campaign": {
        "view": {"manager", "admin"},
        "add": {"manager", "admin"},
        "change": {"manager", "admin"},
        "delete": NOBODY,
        "start_campaigns": {"manager", "admin"},
        "cancel_campaigns": {"manager", "admin"},
    },
}


@pytest.fixture
def personas(db, citizen, service_user, officer_roads, dispatcher, manager_public_works, executive, admin_user):
    return {
        "anonymous": None,
        "citizen": citizen,
        "service": service_user,
        "officer": officer_roads,
        "dispatcher": dispatcher,
        "manager": manager_public_works,
        "executive": executive,
        "admin": admin_user,
    }


def url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def observed_rights(client, model, model_admin, user) -> set[str]:
    """What `user` may do on this admin page, found through the real pages where a page exists."""
    client.logout()
    if user is not None:
        client.force_login(user)
    changelist = client.get(url(model, "changelist"))
    request = RequestFactory().get("/admin/")
    request.user = user or AnonymousUser()
    if not admin.site.has_permission(request):
        # Outside the back office altogether: every page sends them to the login page.
        assert changelist.status_code == 302 and "/admin/login/" in changelist["Location"]
        assert client.get(url(model, "add")).status_code == 302
        return set()
    rights = set()
    if changelist.status_code == 200:
        rights.add("view")
        action_form = changelist.context.get("action_form")
        if action_form is not None:
            rights |= {name for name, _label in action_form.fields["action"].choices if name}
    else:
        assert changelist.status_code == 403
    add_status = client.get(url(model, "add")).status_code
    assert add_status in (200, 403)
    if add_status == 200:
        rights.add("add")
    if model_admin.has_change_permission(request):
        rights.add("change")
    if model_admin.has_delete_permission(request):
        rights.add("delete")
    return rights


def test_every_admin_page_is_in_the_table():
    assert sorted(model._meta.label for model in admin.site._registry) == sorted(EXPECTED)


def test_every_action_declares_its_permission():
    undeclared = []
    for model, model_admin in admin.site._registry.items():
        for function, name, _description in model_admin._get_base_actions():
            permissions = getattr(function, "allowed_permissions", ())
            if not permissions:
                undeclared.append(f"{model._meta.label}.{name}")
            for permission in permissions:
                assert hasattr(model_admin, f"has_{permission}_permission"), (model._meta.label, name)
    assert undeclared == []


def test_each_role_gets_exactly_the_rights_of_the_table(client, personas):
    mismatches = []
    for model, model_admin in admin.site._registry.items():
        expected = EXPECTED[model._meta.label]
        for role in ROLES:
            want = {operation for operation, roles in expected.items() if role in roles}
            got = observed_rights(client, model, model_admin, personas[role])
            if got != want:
                mismatches.append(
                    f"{model._meta.label} / {role}: extra {sorted(got - want)}, missing {sorted(want - got)}"
                )
    assert mismatches == [], "\n".join(mismatches)


def test_the_table_names_only_known_roles():
    for operations in EXPECTED.values():
        for roles in operations.values():
            assert roles <= STAFF
    assert {str(role) for role in Role} >= set(ROLES) - {"anonymous"}


def test_a_manager_is_offered_no_user_action_and_cannot_run_one(client, manager_public_works, admin_user):
    client.force_login(manager_public_works)
    response = client.post(
        url(admin_user.__class__, "changelist"),
        {"action": "deactivate_users", "index": 0, "_selected_action": [admin_user.pk]},
    )
    assert response.status_code in (200, 302)
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_a_read_only_executive_cannot_deactivate_a_dispatcher(client, executive, dispatcher):
    client.force_login(executive)
    client.post(
        url(dispatcher.__class__, "changelist"),
        {"action": "deactivate_users", "index": 0, "_selected_action": [dispatcher.pk]},
    )
    dispatcher.refresh_from_db()
    assert dispatcher.is_active


def test_a_manager_lists_only_the_staff_of_their_department_subtree(
    client, manager_public_works, officer_roads, officer_water, citizen, dispatcher, admin_user
):
    client.force_login(manager_public_works)
    page = client.get(url(citizen.__class__, "changelist"))
    listed = {user.pk for user in page.context["cl"].result_list}
    assert listed == {manager_public_works.pk, officer_roads.pk}
    html = page.content.decode()
    assert citizen.phone not in html
    # A citizen's page is out of reach: the admin answers as if the account did not exist.
    assert client.get(reverse("admin:accounts_user_change", args=[citizen.pk])).status_code == 302


def test_an_executive_reads_every_account_but_is_offered_no_action(client, executive, citizen, service_user):
    client.force_login(executive)
    page = client.get(url(citizen.__class__, "changelist"))
    listed = {user.pk for user in page.context["cl"].result_list}
    assert {executive.pk, citizen.pk, service_user.pk} <= listed
    assert page.context.get("action_form") is None
