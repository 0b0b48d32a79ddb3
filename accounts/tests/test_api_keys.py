from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiKey, Role, User
from accounts.services import api_key_revoke, hash_api_key_secret, user_deactivate

pytestmark = [pytest.mark.django_db, pytest.mark.urls("accounts.tests.scope_urls")]

PROBE = "/probe/intake/"


def _key_client(api_client, plaintext):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    return api_client


def test_key_with_scope_authenticates_as_its_service_account(api_client, make_api_key):
    key, plaintext = make_api_key()
    response = _key_client(api_client, plaintext).get(PROBE)
    assert response.status_code == 200
    assert response.json() == {"user": key.owner_id, "key": key.prefix}
    assert key.owner.role == Role.SERVICE


def test_key_is_stored_hashed_with_a_readable_prefix(make_api_key):
    key, plaintext = make_api_key()
    prefix, secret = plaintext.split(".", 1)
    assert prefix == key.prefix and prefix.startswith("grv_")
    assert secret not in key.hashed_secret
    assert key.hashed_secret == hash_api_key_secret(secret)


def test_last_used_at_is_recorded(api_client, make_api_key):
    key, plaintext = make_api_key()
    assert key.last_used_at is None
    _key_client(api_client, plaintext).get(PROBE)
    key.refresh_from_db()
    assert key.last_used_at is not None and timezone.now() - key.last_used_at < timedelta(seconds=5)


def test_revoked_key_is_401(api_client, make_api_key):
    key, plaintext = make_api_key()
    api_key_revoke(api_key=key)
    response = _key_client(api_client, plaintext).get(PROBE)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("bad", ["grv_nope.secret", "garbage", "", "grv_ab.c d"])
def test_unknown_or_malformed_key_is_401(api_client, make_api_key, bad):
    make_api_key()
    assert _key_client(api_client, bad).get(PROBE).status_code == 401


def test_right_prefix_with_wrong_secret_is_401(api_client, make_api_key):
    key, _plaintext = make_api_key()
    assert _key_client(api_client, f"{key.prefix}.wrong-secret").get(PROBE).status_code == 401


def test_key_without_the_scope_is_403(api_client, make_api_key):
    _key, plaintext = make_api_key(scopes=())
    response = _key_client(api_client, plaintext).get(PROBE)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_people_with_jwt_are_403_on_key_only_endpoints(auth_client, admin_user):
    assert auth_client(admin_user).get(PROBE).status_code == 403


def test_anonymous_is_401_on_key_only_endpoints(api_client):
    assert api_client.get(PROBE).status_code == 401


def test_key_of_a_deactivated_service_account_is_401(api_client, make_api_key, admin_user):
    key, plaintext = make_api_key()
    user_deactivate(user=key.owner, actor=admin_user)
    assert _key_client(api_client, plaintext).get(PROBE).status_code == 401


def test_keys_belong_only_to_service_accounts(citizen):
    from django.core.exceptions import ValidationError

    from accounts.services import api_key_create

    with pytest.raises(ValidationError):
        api_key_create(name="nope", owner=citizen, scopes=["intake"])


def test_create_api_key_command_prints_a_working_key_once(api_client, capsys):
    call_command("create_api_key", "AI intake", "--scope", "intake")
    out, err = capsys.readouterr()
    plaintext = out.strip()
    key = ApiKey.objects.get()
    assert plaintext.startswith(key.prefix + ".")
    assert key.scopes == ["intake"] and key.owner.role == Role.SERVICE
    assert plaintext not in err and "cannot be shown again" in err
    assert _key_client(api_client, plaintext).get(PROBE).status_code == 200


def test_create_api_key_command_uses_the_given_owner(service_user, capsys):
    service_user.email = "bot@example.org"
    service_user.save()
    call_command("create_api_key", "Bot", "--scope", "intake", "--owner", "BOT@example.org")
    assert ApiKey.objects.get().owner == service_user
    assert User.objects.filter(role=Role.SERVICE).count() == 1


def test_create_api_key_command_refuses_a_non_service_owner(admin_user):
    with pytest.raises(CommandError, match="not a service account"):
        call_command("create_api_key", "X", "--scope", "intake", "--owner", admin_user.email)
    assert not ApiKey.objects.exists()


def test_create_api_key_command_rejects_an_unknown_scope():
    with pytest.raises(CommandError):
        call_command("create_api_key", "X", "--scope", "everything")


def test_admin_creates_a_key_and_shows_it_once(client, admin_user, service_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/accounts/apikey/add/",
        {"name": "SMS gateway", "owner": service_user.pk, "scopes": ["intake"]},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    shown = [str(m) for m in response.context["messages"] if f"{key.prefix}." in str(m)]
    assert len(shown) == 1
    plaintext = shown[0].rsplit(" ", 1)[-1]
    assert hash_api_key_secret(plaintext.split(".", 1)[1]) == key.hashed_secret
    page = client.get(f"/admin/accounts/apikey/{key.pk}/change/")
    assert page.status_code == 200 and plaintext not in page.content.decode()


def test_admin_revoke_action(client, admin_user, make_api_key):
    key, _ = make_api_key()
    client.force_login(admin_user)
    response = client.post(
        "/admin/accounts/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]}, follow=True
    )
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_api_key_changelist_query_count_is_fixed(client, admin_user, make_api_key, django_assert_max_num_queries):
    for i in range(5):
        make_api_key(name=f"k{i}")
    client.force_login(admin_user)
    with django_assert_max_num_queries(10):
        assert client.get("/admin/accounts/apikey/").status_code == 200


# --- deny by default (issue 10, finding 9): a key reaches only views that declare its scope -------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/complaints/"),
        ("get", "/api/v1/auth/me/"),
        ("patch", "/api/v1/auth/me/"),
        ("get", "/api/v1/notifications/"),
        ("post", "/api/v1/complaints/"),
    ],
)
def test_an_intake_key_is_refused_on_views_that_declare_no_key_scope(api_client, make_api_key, method, path):
    _key, plaintext = make_api_key(scopes=("intake",))
    response = getattr(_key_client(api_client, plaintext), method)(path, {}, format="json")
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("permission_denied", "not_authenticated", "authentication_failed")


def test_an_intake_key_still_files_through_ai_intake(api_client, make_api_key, category_potholes, sla_default):
    _key, plaintext = make_api_key(scopes=("intake",))
    response = _key_client(api_client, plaintext).post(
        "/api/v1/internal/ai/complaints/",
        {
            "title": "Pothole",
            "description": "Deep one",
            "category_code": "infrastructure",
            "subcategory_code": category_potholes.code,
            "source": "ai",
            "citizen_phone": "+91 98111 22233",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_a_scope_inside_a_combined_permission_is_declared():
    from rest_framework.permissions import IsAdminUser
    from rest_framework.views import APIView

    from accounts.authentication import declared_api_key_scopes
    from accounts.permissions import HasApiKeyScope

    class Open311Like(APIView):
        permission_classes = [IsAdminUser | HasApiKeyScope.with_scope("open311")]

    class PeopleOnly(APIView):
        permission_classes = [IsAdminUser]

    assert declared_api_key_scopes(Open311Like()) == {"open311"}
    assert declared_api_key_scopes(PeopleOnly()) == set()


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key grv_\x00abcd.secret",
        "Api-Key grv_abcd.se\x00cret",
        "Api-Key \x00",
        "Api-Key grv_abcd",
        "Api-Key grv_abcd.",
        "Api-Key grv_ab\u00e9cd.secret",
        "Api-Key " + "a" * 500 + ".secret",
    ],
)
def test_malformed_key_is_401_and_never_reaches_the_database_as_is(api_client, make_api_key, header):
    make_api_key()
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get(PROBE)
    assert response.status_code == 401
