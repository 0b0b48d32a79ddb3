"""A password change, a password reset or a deactivation ends every JWT session of the account
(issue 10, findings 8 and 11)."""

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Role

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/auth/token/refresh/"


@pytest.fixture
def officer(make_user):
    return make_user(role=Role.OFFICER, email="officer@city.gov")


@pytest.fixture
def tokens(officer, password):
    response = APIClient().post("/api/v1/auth/token/", {"login": "officer@city.gov", "password": password})
    assert response.status_code == 200
    return response.json()


def me(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/auth/me/").status_code


def refresh(token: str) -> int:
    return APIClient().post(REFRESH, {"refresh": token}, format="json").status_code


def test_tokens_work_until_something_happens(tokens):
    assert me(tokens["access"]) == 200
    assert refresh(tokens["refresh"]) == 200


def test_a_password_change_ends_access_and_refresh_tokens(officer, tokens):
    services.user_set_password(user=officer, password="An0ther-long-passphrase!")
    assert me(tokens["access"]) == 401
    assert refresh(tokens["refresh"]) == 401


def test_a_password_reset_through_the_link_ends_the_sessions(client, officer, tokens):
    officer.refresh_from_db()  # the login stamped last_login, which the reset link covers
    path = services.password_reset_path(officer)
    form = client.get(path, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"new_password1": "An0ther-long-passphrase!", "new_password2": "An0ther-long-passphrase!"},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert refresh(tokens["refresh"]) == 401
    assert me(tokens["access"]) == 401


def test_an_admin_setting_the_password_in_the_back_office_ends_the_sessions(officer, tokens):
    officer.set_password("Set-by-the-admin-123")
    officer.save()
    assert refresh(tokens["refresh"]) == 401


def test_deactivation_ends_the_sessions(officer, tokens, admin_user):
    services.user_deactivate(user=officer, actor=admin_user)
    assert refresh(tokens["refresh"]) == 401
    assert me(tokens["access"]) == 401


def test_a_refresh_token_of_a_deleted_user_is_a_401_not_a_500(officer, tokens):
    officer.delete()
    assert refresh(tokens["refresh"]) == 401


def test_a_token_already_seen_is_still_ended_by_a_password_change(officer, tokens):
    # Validated tokens are kept per process (accounts.authentication); the user's state is not.
    assert me(tokens["access"]) == 200
    assert me(tokens["access"]) == 200
    services.user_set_password(user=officer, password="An0ther-secret-pass")
    assert me(tokens["access"]) == 401


def test_a_token_already_seen_still_expires(officer, tokens, monkeypatch):
    import datetime as dt

    from accounts import authentication

    assert me(tokens["access"]) == 200  # validated and kept
    later = authentication.aware_utcnow() + dt.timedelta(days=1)
    monkeypatch.setattr(authentication, "aware_utcnow", lambda: later)
    monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: later)
    assert me(tokens["access"]) == 401


def test_a_tampered_token_is_refused_even_after_the_real_one_was_seen(tokens):
    assert me(tokens["access"]) == 200
    header, payload, signature = tokens["access"].split(".")
    forged = signature[:10] + ("B" if signature[10] != "B" else "C") + signature[11:]
    assert me(f"{header}.{payload}.{forged}") == 401
