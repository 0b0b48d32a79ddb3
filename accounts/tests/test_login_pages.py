import re

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import PhoneOtp, Role, User
from notifications import sms

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"
LOGOUT = "/accounts/logout/"
PHONE = "+919812345678"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_home_page_leads_with_report_a_problem_and_links_sign_in_and_staff_login(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    for href in ('href="/complaints/new/"', 'href="/accounts/login/"', 'href="/admin/"'):
        assert href in html
    # Citizens are not sent to the API documentation.
    assert "/api/docs/" not in html and "/api/redoc/" not in html
    assert html.index("Report a problem</a>") < html.index("Track a complaint")
    # Scripts and styles come from this site only, and no script is inline (CSP).
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/site.js" defer>']
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html


def test_citizen_signs_up_and_in_with_the_pages(client, last_sms_code):
    form = client.get(LOGIN)
    assert form.status_code == 200 and 'name="phone"' in form.content.decode()

    sent = client.post(LOGIN, {"phone": "98123 45678"})
    assert sent.status_code == 302 and sent["Location"] == VERIFY
    assert [m.to for m in sms.outbox] == [PHONE]

    page = client.get(VERIFY)
    assert page.status_code == 200 and PHONE in page.content.decode()
    done = client.post(VERIFY, {"code": last_sms_code(PHONE), "full_name": "Asha"}, follow=True)
    assert done.status_code == 200
    user = User.objects.get(phone=PHONE)
    assert (user.role, user.full_name) == (Role.CITIZEN, "Asha")
    assert done.context["user"] == user
    assert "Sign out" in done.content.decode()

    out = client.post(LOGOUT, follow=True)
    assert out.status_code == 200 and not out.context["user"].is_authenticated


def test_logout_is_post_only(client, citizen):
    client.force_login(citizen)
    assert client.get(LOGOUT).status_code == 405


def test_next_is_followed_only_when_safe(client, last_sms_code):
    client.post(f"{LOGIN}?next=/api/docs/", {"phone": PHONE, "next": "/api/docs/"})
    response = client.post(VERIFY, {"code": last_sms_code(PHONE)})
    assert response["Location"] == "/api/docs/"

    client.post(LOGOUT)
    PhoneOtp.objects.update(created_at=timezone.now() - timezone.timedelta(seconds=61))
    client.post(LOGIN, {"phone": PHONE, "next": "https://evil.example/"})
    response = client.post(VERIFY, {"code": last_sms_code(PHONE)})
    assert response["Location"] == "/"


def test_invalid_phone_shows_a_clear_error(client):
    page = client.post(LOGIN, {"phone": "12345"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Enter a mobile number like 98123 45678" in html
    assert html.count("Enter a mobile number like 98123 45678") == 2  # in the summary and at the field
    assert "<title>Error: " in html
    assert 'aria-describedby="id_phone_helptext id_phone-error"' in html and 'id="id_phone-error"' in html
    assert sms.outbox == []


def test_wrong_code_shows_an_error_and_does_not_log_in(client, last_sms_code):
    client.post(LOGIN, {"phone": PHONE})
    page = client.post(VERIFY, {"code": _wrong(last_sms_code(PHONE))})
    assert page.status_code == 200
    assert "tries left" in page.content.decode()
    assert not page.context["user"].is_authenticated
    badly_typed = client.post(VERIFY, {"code": "12"})
    assert "Enter the 6-digit code" in badly_typed.content.decode()


def test_verify_page_without_a_phone_sends_you_back(client):
    response = client.get(VERIFY)
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_resend_too_soon_is_429_with_a_message(client):
    client.post(LOGIN, {"phone": PHONE})
    page = client.post(LOGIN, {"phone": PHONE})
    assert page.status_code == 429
    assert int(page["Retry-After"]) >= 1
    assert "Try again in" in page.content.decode()


def test_staff_phone_cannot_sign_in_with_a_code(client, make_user):
    make_user(role=Role.DISPATCHER, phone=PHONE)
    response = client.post(LOGIN, {"phone": PHONE})
    assert response.status_code == 302  # same as for anyone: nothing reveals the account
    assert sms.outbox == []


def test_pages_enforce_csrf(last_sms_code):
    client = Client(enforce_csrf_checks=True)
    assert client.post(LOGIN, {"phone": PHONE}).status_code == 403
    assert sms.outbox == []

    page = client.get(LOGIN)
    token = page.cookies["csrftoken"].value
    assert client.post(LOGIN, {"phone": PHONE, "csrfmiddlewaretoken": token}).status_code == 302
    code = last_sms_code(PHONE)
    assert client.post(VERIFY, {"code": code}).status_code == 403
    verify_page = client.get(VERIFY)
    token = verify_page.cookies.get("csrftoken", page.cookies["csrftoken"]).value
    assert client.post(VERIFY, {"code": code, "csrfmiddlewaretoken": token}).status_code == 302
    assert client.post(LOGOUT).status_code == 403
    token = client.cookies["csrftoken"].value
    assert client.post(LOGOUT, {"csrfmiddlewaretoken": token}).status_code == 302
