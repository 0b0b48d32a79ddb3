"""Password logins lock the account after LOGIN_FAILURE_LIMIT failures, on the API and the admin
alike, with back-off; and every per-address limit reads the client address through one rule that
believes X-Forwarded-For only from TRUSTED_PROXIES."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.test import RequestFactory, override_settings
from django.utils import timezone

from accounts.models import Role
from grievance.client_address import client_address

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def officer(make_user):
    return make_user(role=Role.OFFICER, email="officer@city.gov")


def api_login(client, login, password, **extra):
    return client.post(TOKEN, {"login": login, "password": password}, format="json", **extra)


def admin_login(client, login, password):
    return client.post(ADMIN_LOGIN, {"username": login, "password": password, "next": "/admin/"})


def fail(times: int, attempt) -> None:
    for _ in range(times):
        attempt("wrong password")


def let_the_lock_pass(minutes: int) -> None:
    """What the clock does after `minutes`: attempts and their expiry move into the past."""
    earlier = timedelta(minutes=minutes)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - earlier)
    for expiry in AccessAttemptExpiration.objects.all():
        AccessAttemptExpiration.objects.filter(pk=expiry.pk).update(expires_at=expiry.expires_at - earlier)


def test_api_login_locks_the_account_after_the_failure_limit(api_client, officer, password, settings):
    fail(settings.LOGIN_FAILURE_LIMIT, lambda pw: api_login(api_client, "officer@city.gov", pw))

    locked = api_login(api_client, "officer@city.gov", password)

    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert int(locked["Retry-After"]) >= 60
    assert "access" not in locked.json()


def test_the_lock_counts_every_spelling_of_the_login_against_one_account(api_client, officer, password, settings):
    spellings = ["officer@city.gov", "OFFICER@city.gov", " Officer@City.Gov "]
    for index in range(settings.LOGIN_FAILURE_LIMIT):
        api_login(api_client, spellings[index % len(spellings)], "wrong")
    assert api_login(api_client, "officer@city.gov", password).status_code == 429


def test_another_account_is_not_locked(api_client, officer, make_user, password, settings):
    make_user(role=Role.OFFICER, email="other@city.gov")
    fail(settings.LOGIN_FAILURE_LIMIT, lambda pw: api_login(api_client, "officer@city.gov", pw))
    assert api_login(api_client, "other@city.gov", password).status_code == 200


def test_failures_below_the_limit_do_not_lock_and_a_success_resets_them(api_client, officer, password, settings):
    fail(settings.LOGIN_FAILURE_LIMIT - 1, lambda pw: api_login(api_client, "officer@city.gov", pw))
    assert api_login(api_client, "officer@city.gov", password).status_code == 200
    fail(settings.LOGIN_FAILURE_LIMIT - 1, lambda pw: api_login(api_client, "officer@city.gov", pw))
    assert api_login(api_client, "officer@city.gov", password).status_code == 200


def test_api_login_works_again_after_the_cool_off(api_client, officer, password, settings):
    fail(settings.LOGIN_FAILURE_LIMIT - 1, lambda pw: api_login(api_client, "officer@city.gov", pw))
    # The failure that reaches the limit is itself answered with the lock.
    assert api_login(api_client, "officer@city.gov", "wrong").status_code == 429

    let_the_lock_pass(settings.LOGIN_COOLOFF_MINUTES + 1)

    assert api_login(api_client, "officer@city.gov", password).status_code == 200


def test_failures_while_locked_lengthen_the_lock(api_client, officer, password, settings):
    fail(settings.LOGIN_FAILURE_LIMIT, lambda pw: api_login(api_client, "officer@city.gov", pw))
    first = AccessAttemptExpiration.objects.get().expires_at
    fail(3, lambda pw: api_login(api_client, "officer@city.gov", pw))
    longer = AccessAttemptExpiration.objects.get().expires_at

    assert longer - timezone.now() > timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES * 4)
    assert longer > first
    # The base cool-off is no longer enough.
    let_the_lock_pass(settings.LOGIN_COOLOFF_MINUTES + 1)
    assert api_login(api_client, "officer@city.gov", password).status_code == 429


def test_admin_login_locks_the_account_after_the_failure_limit(client, officer, password, settings):
    fail(settings.LOGIN_FAILURE_LIMIT, lambda pw: admin_login(client, "officer@city.gov", pw))

    locked = admin_login(client, "officer@city.gov", password)

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_admin_login_works_again_after_the_cool_off(client, officer, password, settings):
    fail(settings.LOGIN_FAILURE_LIMIT, lambda pw: admin_login(client, "officer@city.gov", pw))
    let_the_lock_pass(settings.LOGIN_COOLOFF_MINUTES + 1)

    response = admin_login(client, "officer@city.gov", password)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(officer.pk)


def test_lockouts_are_audited_in_the_admin(client, officer, admin_user, settings):
    api_client_fail = client  # the same test client posts the failures
    fail(settings.LOGIN_FAILURE_LIMIT, lambda pw: admin_login(api_client_fail, "officer@city.gov", pw))
    client.force_login(admin_user)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "officer@city.gov" in page.content.decode()
    # The password typed is never stored.
    assert "wrong password" not in "".join(AccessAttempt.objects.values_list("post_data", flat=True))


# --- one client address rule ----------------------------------------------------------------------
def address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **extra))


@override_settings(TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert address("203.0.113.9", "1.2.3.4") == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_trusted_proxy_vouches_for_the_hop_before_it_and_no_further():
    assert address("10.0.0.2", "1.2.3.4") == "1.2.3.4"
    # The client put "6.6.6.6" in front itself: only the hop our proxy appended counts.
    assert address("10.0.0.2", "6.6.6.6, 1.2.3.4") == "1.2.3.4"
    # Two proxies of ours in a row.
    assert address("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.7") == "1.2.3.4"
    # An untrusted sender's header is ignored.
    assert address("198.51.100.1", "1.2.3.4") == "198.51.100.1"
    assert address("10.0.0.2", "not-an-address") == "10.0.0.2"


@override_settings(TRUSTED_PROXIES=[])
def test_spoofed_forwarded_headers_share_one_login_throttle_bucket(api_client, settings):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for index in range(limit):
        api_login(api_client, f"nobody{index}@city.gov", "x", HTTP_X_FORWARDED_FOR=f"1.2.3.{index}")
    response = api_login(api_client, "nobody-else@city.gov", "x", HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_each_client_has_its_own_login_throttle_bucket(api_client, settings):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for index in range(limit + 2):
        response = api_login(api_client, f"nobody{index}@city.gov", "x", HTTP_X_FORWARDED_FOR=f"1.2.3.{index}")
        assert response.status_code == 401


@override_settings(OTP_MAX_PER_IP_PER_HOUR=2, TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_the_tls_proxy_citizens_do_not_share_one_otp_bucket(api_client):
    for index in range(4):
        response = api_client.post(
            "/api/v1/auth/otp/request/",
            {"phone": f"+91981234567{index}"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{index}",
        )
        assert response.status_code == 202


@override_settings(OTP_MAX_PER_IP_PER_HOUR=2, TRUSTED_PROXIES=[])
def test_a_spoofed_forwarded_header_does_not_escape_the_otp_address_limit(api_client):
    statuses = [
        api_client.post(
            "/api/v1/auth/otp/request/",
            {"phone": f"+91981234567{index}"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{index}",
        ).status_code
        for index in range(3)
    ]
    assert statuses == [202, 202, 429]
