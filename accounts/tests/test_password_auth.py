import pytest

from accounts.models import Role

pytestmark = pytest.mark.django_db


def _login(api_client, login, password):
    return api_client.post("/api/v1/auth/token/", {"login": login, "password": password}, format="json")


def test_staff_logs_in_with_email_and_password(api_client, make_user, password):
    user = make_user(role=Role.OFFICER, email="officer@city.gov")
    response = _login(api_client, "Officer@City.gov", password)
    assert response.status_code == 200
    assert {"access", "refresh"} <= response.json().keys()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    me = api_client.get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["id"] == user.id


def test_login_with_phone_in_any_common_format(api_client, make_user, password):
    make_user(phone="+919812345678")
    assert _login(api_client, "098123 45678", password).status_code == 200
    assert _login(api_client, "+91 98123-45678", password).status_code == 200


@pytest.mark.parametrize("login,pw", [("nobody@example.org", "whatever"), ("user@example.org", "wrong")])
def test_bad_credentials_are_401_with_the_same_message(api_client, make_user, login, pw):
    make_user(email="user@example.org")
    response = _login(api_client, login, pw)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_missing_fields_are_400_with_field_errors(api_client):
    response = api_client.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["errors"]) == {"login", "password"}


def test_deactivated_user_cannot_log_in_and_existing_tokens_stop_working(api_client, make_user, password):
    user = make_user(email="gone@example.org")
    tokens = _login(api_client, "gone@example.org", password).json()
    user.is_active = False
    user.save()
    assert _login(api_client, "gone@example.org", password).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get("/api/v1/auth/me/").status_code == 401
    api_client.credentials()
    assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401


def test_refresh_gives_a_new_access_token(api_client, make_user, password):
    make_user(email="r@example.org")
    tokens = _login(api_client, "r@example.org", password).json()
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    assert "access" in response.json()


def test_logout_blacklists_the_refresh_token(api_client, make_user, password):
    make_user(email="out@example.org")
    tokens = _login(api_client, "out@example.org", password).json()
    assert api_client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 205
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert response.status_code == 401


def test_logout_with_garbage_token_is_401_not_500(api_client):
    assert api_client.post("/api/v1/auth/logout/", {"refresh": "not-a-token"}).status_code == 401


def test_me_requires_authentication(api_client):
    assert api_client.get("/api/v1/auth/me/").status_code == 401


def test_me_updates_name_and_language_but_not_role(auth_client, make_user):
    # The email is not changed here (issue 10, finding 10): see test_me_email.py.
    user = make_user(role=Role.CITIZEN)
    client = auth_client(user)
    response = client.patch(
        "/api/v1/auth/me/",
        {"full_name": "Asha K", "preferred_language": "hi", "role": "admin"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    user.refresh_from_db()
    assert (user.full_name, user.preferred_language, user.role) == ("Asha K", "hi", Role.CITIZEN)


def test_me_rejects_an_email_someone_else_has(auth_client, make_user):
    make_user(email="taken@example.org")
    user = make_user()
    response = auth_client(user).patch("/api/v1/auth/me/", {"email": "taken@example.org"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_me_rejects_an_unknown_language(auth_client, make_user):
    response = auth_client(make_user()).patch("/api/v1/auth/me/", {"preferred_language": "xx"}, format="json")
    assert response.status_code == 400


def test_staff_roles_reach_the_admin_and_citizens_do_not(client, make_user, password):
    officer = make_user(role=Role.OFFICER)
    citizen = make_user(role=Role.CITIZEN)
    assert officer.is_staff and not citizen.is_staff
    client.force_login(citizen)
    assert client.get("/admin/").status_code == 302
    client.force_login(officer)
    assert client.get("/admin/").status_code == 200
