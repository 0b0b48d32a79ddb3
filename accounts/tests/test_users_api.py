import re

import pytest
from django.core import mail

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from notifications import sms

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"
STRONG = "a-Long-and-Unusual-passphrase-77"

PERSONAS = ["anonymous", "citizen", "officer", "dispatcher", "manager", "executive", "admin", "service"]


@pytest.fixture
def client_as(request, api_client, auth_client, make_api_key):
    """An API client for a persona of the permission matrix (the service uses its API key)."""

    def _client(persona: str):
        if persona == "anonymous":
            return api_client
        if persona == "service":
            _key, plaintext = make_api_key()
            api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
            return api_client
        fixture = {"admin": "admin_user"}.get(persona, persona)
        return auth_client(request.getfixturevalue(fixture))

    return _client


def _endpoints(target):
    return {
        "list": ("get", USERS, None),
        "create": ("post", USERS, {"role": "dispatcher", "email": "new@city.gov"}),
        "retrieve": ("get", f"{USERS}{target.pk}/", None),
        "update": ("patch", f"{USERS}{target.pk}/", {"full_name": "Renamed"}),
        "deactivate": ("post", f"{USERS}{target.pk}/deactivate/", None),
        "activate": ("post", f"{USERS}{target.pk}/activate/", None),
        "reset-password": ("post", f"{USERS}{target.pk}/reset-password/", {}),
    }


ADMIN_STATUS = {
    "list": 200,
    "create": 201,
    "retrieve": 200,
    "update": 200,
    "deactivate": 200,
    "activate": 200,
    "reset-password": 202,
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", list(ADMIN_STATUS))
def test_users_api_permission_matrix(client_as, persona, endpoint):
    target = UserFactory(role=Role.DISPATCHER, email="target@city.gov")
    client = client_as(persona)
    method, url, data = _endpoints(target)[endpoint]
    response = getattr(client, method)(url, data, format="json")
    expected = {"anonymous": 401, "admin": ADMIN_STATUS[endpoint]}.get(persona, 403)
    assert response.status_code == expected, (persona, endpoint, response.content)
    target.refresh_from_db()
    if persona != "admin":
        assert (target.full_name != "Renamed") and target.is_active
        assert not User.objects.filter(email="new@city.gov").exists()


def test_admin_creates_an_officer_who_can_log_in(auth_client, admin_user, api_client, department):
    response = auth_client(admin_user).post(
        USERS,
        {
            "role": "officer",
            "email": "Officer@City.gov",
            "phone": "98123 45000",
            "full_name": "Omar",
            "department": department.pk,
            "password": STRONG,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "officer@city.gov" and body["phone"] == "+919812345000"
    assert (body["role"], body["department"], body["department_code"], body["is_staff"]) == (
        "officer",
        department.pk,
        department.code,
        True,
    )
    assert "password" not in body
    login = api_client.post("/api/v1/auth/token/", {"login": "officer@city.gov", "password": STRONG})
    assert login.status_code == 200


def test_weak_password_is_400_and_nothing_is_saved(auth_client, admin_user):
    response = auth_client(admin_user).post(
        USERS, {"role": "dispatcher", "email": "weak@city.gov", "password": "12345678"}, format="json"
    )
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert not User.objects.filter(email="weak@city.gov").exists()


@pytest.mark.parametrize(
    "data,field",
    [
        ({"role": "officer", "email": "o@city.gov"}, "department"),
        ({"role": "dispatcher"}, "non_field_errors"),
        ({"role": "dispatcher", "email": "not-an-email"}, "email"),
        ({"role": "dispatcher", "phone": "12"}, "phone"),
        ({"role": "wizard", "email": "w@city.gov"}, "role"),
        ({"email": "w@city.gov"}, "role"),
        ({"role": "dispatcher", "email": "d@city.gov", "department": 999999}, "department"),
    ],
)
def test_bad_input_is_400_with_field_errors(auth_client, admin_user, data, field):
    response = auth_client(admin_user).post(USERS, data, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    "data,field",
    [
        ({"role": "dispatcher", "email": "TAKEN@example.org"}, "email"),
        ({"role": "dispatcher", "email": "fresh@example.org", "phone": "+91 98000 00001"}, "phone"),
    ],
)
def test_duplicate_phone_or_email_is_409(auth_client, admin_user, make_user, data, field):
    make_user(email="taken@example.org", phone="+919800000001")
    response = auth_client(admin_user).post(USERS, data, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "already exists" in body["detail"]
    assert field in body["errors"]


def test_update_to_a_duplicate_email_is_409(auth_client, admin_user, make_user):
    make_user(email="taken@example.org")
    other = make_user(email="other@example.org")
    response = auth_client(admin_user).patch(f"{USERS}{other.pk}/", {"email": "taken@example.org"}, format="json")
    assert response.status_code == 409


def test_integrity_error_from_a_race_is_409_not_500(admin_user, make_user, monkeypatch):
    from accounts import services
    from grievance.errors import Conflict

    make_user(email="raced@example.org")
    monkeypatch.setattr(services, "_check_unique", lambda **kwargs: None)  # as if the other insert came later
    with pytest.raises(Conflict):
        services.user_create(actor=admin_user, role=Role.DISPATCHER, email="raced@example.org")


def test_list_filters(auth_client, admin_user, officer, department, make_user):
    make_user(role=Role.CITIZEN, full_name="Zed Citizen", phone="+919811112222")
    gone = make_user(role=Role.DISPATCHER, full_name="Gone", is_active=False)
    client = auth_client(admin_user)

    def ids(**params):
        return {row["id"] for row in client.get(USERS, params).json()["results"]}

    assert ids(role="officer") == {officer.pk}
    assert ids(department=department.pk) == {officer.pk}
    assert ids(department=department.code) == {officer.pk}
    assert gone.pk in ids(is_active="false") and officer.pk not in ids(is_active="false")
    assert {u.full_name for u in User.objects.filter(pk__in=ids(q="zed"))} == {"Zed Citizen"}
    assert {u.full_name for u in User.objects.filter(pk__in=ids(q="1111 2222"))} == {"Zed Citizen"}
    assert client.get(USERS, {"role": "wizard"}).status_code == 400


def test_list_runs_a_fixed_number_of_queries(auth_client, admin_user, department, django_assert_max_num_queries):
    UserFactory.create_batch(5, role=Role.OFFICER, department=department)
    client = auth_client(admin_user)
    with django_assert_max_num_queries(4):
        small = client.get(USERS)
    UserFactory.create_batch(15, role=Role.MANAGER, department=department)
    with django_assert_max_num_queries(4):
        large = client.get(USERS)
    assert small.status_code == large.status_code == 200
    assert len(large.json()["results"]) == 20


def test_role_change_over_the_api_moves_groups_and_staff_flag(auth_client, admin_user, make_user, department):
    user = make_user(role=Role.CITIZEN)
    response = auth_client(admin_user).patch(
        f"{USERS}{user.pk}/", {"role": "manager", "department": department.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["is_staff"] is True
    assert list(user.groups.values_list("name", flat=True)) == ["manager"]


def test_admin_cannot_demote_or_deactivate_themselves(auth_client, admin_user):
    client = auth_client(admin_user)
    assert client.patch(f"{USERS}{admin_user.pk}/", {"role": "executive"}, format="json").status_code == 409
    assert client.post(f"{USERS}{admin_user.pk}/deactivate/").status_code == 409
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN and admin_user.is_active


def test_deactivated_users_tokens_stop_working_at_once(auth_client, admin_user, api_client, make_user, password):
    officer = make_user(role=Role.DISPATCHER, email="d@city.gov")
    tokens = api_client.post("/api/v1/auth/token/", {"login": "d@city.gov", "password": password}).json()
    officer_client = auth_client(officer)
    assert officer_client.get("/api/v1/auth/me/").status_code == 200

    assert auth_client(admin_user).post(f"{USERS}{officer.pk}/deactivate/").json()["is_active"] is False

    assert officer_client.get("/api/v1/auth/me/").status_code == 401
    api_client.credentials()
    assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
    assert api_client.post("/api/v1/auth/token/", {"login": "d@city.gov", "password": password}).status_code == 401


def test_deactivated_users_session_stops_working(client, admin_user, make_user):
    from accounts.services import user_deactivate

    officer = make_user(role=Role.DISPATCHER)
    client.force_login(officer)
    assert client.get("/admin/").status_code == 200
    user_deactivate(user=officer, actor=admin_user)
    assert client.get("/admin/").status_code == 302


def _reset_link(text: str) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", text).group(1)


def test_reset_link_by_email_sets_a_password_once(auth_client, admin_user, make_user, client, api_client):
    user = make_user(role=Role.DISPATCHER, email="forgot@city.gov")
    response = auth_client(admin_user).post(f"{USERS}{user.pk}/reset-password/", {}, format="json")
    assert response.status_code == 202 and response.json()["channel"] == "email"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["forgot@city.gov"]
    link = _reset_link(mail.outbox[0].body)

    page = client.get(link, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    form_url = page.redirect_chain[-1][0]
    weak = client.post(form_url, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200 and weak.context["form"].errors  # validators applied
    done = client.post(form_url, {"new_password1": STRONG, "new_password2": STRONG})
    assert done.status_code == 302
    assert api_client.post("/api/v1/auth/token/", {"login": "forgot@city.gov", "password": STRONG}).status_code == 200

    client.cookies.clear()
    again = client.get(link, follow=True)
    assert again.status_code == 200 and not again.context["validlink"]


def test_reset_link_by_sms(auth_client, admin_user, make_user, client):
    user = make_user(role=Role.OFFICER, department=None, email=None, phone="+919812300000")
    user.role = Role.DISPATCHER
    user.save()
    response = auth_client(admin_user).post(f"{USERS}{user.pk}/reset-password/", {"channel": "sms"}, format="json")
    assert response.status_code == 202 and response.json()["channel"] == "sms"
    assert [m.to for m in sms.outbox] == ["+919812300000"]
    page = client.get(_reset_link(sms.outbox[0].body), follow=True)
    assert page.context["validlink"]


def test_reset_by_email_for_a_user_without_email_is_400(auth_client, admin_user, make_user):
    user = make_user(email=None)
    response = auth_client(admin_user).post(f"{USERS}{user.pk}/reset-password/", {"channel": "email"}, format="json")
    assert response.status_code == 400 and "channel" in response.json()["errors"]


def test_reset_for_a_deactivated_user_is_409(auth_client, admin_user, make_user):
    user = make_user(is_active=False)
    assert auth_client(admin_user).post(f"{USERS}{user.pk}/reset-password/", {}).status_code == 409


def test_unknown_user_is_404(auth_client, admin_user):
    assert auth_client(admin_user).get(f"{USERS}999999/").status_code == 404
