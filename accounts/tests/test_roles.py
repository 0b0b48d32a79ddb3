import pytest
from django.contrib.auth.models import Group

from accounts.models import STAFF_ROLES, Role
from accounts.roles import ROLE_PERMISSIONS, sync_role_groups
from accounts.services import user_set_role

pytestmark = pytest.mark.django_db


def test_migrations_created_one_group_per_staff_role():
    assert set(Group.objects.values_list("name", flat=True)) >= {str(role) for role in STAFF_ROLES}


def test_groups_carry_the_permissions_of_the_table():
    sync_role_groups()
    executive = Group.objects.get(name="executive")
    codenames = set(executive.permissions.values_list("codename", flat=True))
    assert "view_user" in codenames
    assert not any(c.startswith(("add_", "change_", "delete_")) for c in codenames)
    assert Group.objects.get(name="admin").permissions.filter(codename="add_apikey").exists()


def test_permissions_that_do_not_exist_yet_are_skipped(monkeypatch):
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.EXECUTIVE, ["accounts.view_user", "nosuchapp.view_thing"])
    sync_role_groups()
    assert list(Group.objects.get(name="executive").permissions.values_list("codename", flat=True)) == ["view_user"]


def test_sync_is_idempotent_and_repairs_removed_permissions():
    group = Group.objects.get(name="executive")
    group.permissions.clear()
    sync_role_groups()
    sync_role_groups()
    assert group.permissions.filter(codename="view_user").count() == 1


def test_groups_follow_the_role(make_user, admin_user, department):
    user = make_user(role=Role.CITIZEN)
    assert not user.groups.exists()
    user = user_set_role(user=user, actor=admin_user, role=Role.OFFICER, department=department)
    assert list(user.groups.values_list("name", flat=True)) == ["officer"]
    assert user.is_staff
    user = user_set_role(user=user, actor=admin_user, role=Role.EXECUTIVE)
    assert list(user.groups.values_list("name", flat=True)) == ["executive"]
    user = user_set_role(user=user, actor=admin_user, role=Role.CITIZEN)
    assert not user.groups.exists() and not user.is_staff


def test_groups_follow_the_role_on_any_save(make_user):
    user = make_user(role=Role.DISPATCHER)
    assert list(user.groups.values_list("name", flat=True)) == ["dispatcher"]
    user.role = Role.EXECUTIVE
    user.save()
    assert list(user.groups.values_list("name", flat=True)) == ["executive"]


def test_officer_sees_in_the_admin_only_what_the_group_allows(client, officer):
    client.force_login(officer)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get("/admin/accounts/apikey/").status_code == 403


def test_executive_reads_users_in_the_admin_but_cannot_change_them(client, executive, citizen):
    client.force_login(executive)
    assert client.get("/admin/accounts/user/").status_code == 200
    page = client.get(f"/admin/accounts/user/{citizen.pk}/change/")
    assert page.status_code == 200
    response = client.post(f"/admin/accounts/user/{citizen.pk}/change/", {"full_name": "x"})
    assert response.status_code == 403


def test_user_changelist_runs_a_fixed_number_of_queries(client, admin_user, department, django_assert_max_num_queries):
    from accounts.tests.factories import UserFactory

    UserFactory.create_batch(3, role=Role.OFFICER, department=department)
    client.force_login(admin_user)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/admin/accounts/user/").status_code == 200
    UserFactory.create_batch(20, role=Role.MANAGER, department=department)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/admin/accounts/user/").status_code == 200
