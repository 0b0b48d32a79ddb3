from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import PhoneOtp, Role, User
from notifications import sms

pytestmark = pytest.mark.django_db

REQUEST = "/api/v1/auth/otp/request/"
VERIFY = "/api/v1/auth/otp/verify/"
PHONE = "+919812345678"


def _request(client, phone=PHONE, **extra):
    return client.post(REQUEST, {"phone": phone}, format="json", **extra)


def _verify(client, code, phone=PHONE, **data):
    return client.post(VERIFY, {"phone": phone, "code": code, **data}, format="json")


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_new_citizen_registers_and_logs_in_by_phone(api_client, last_sms_code):
    response = _request(api_client)
    assert response.status_code == 202
    assert response.json()["phone"] == PHONE
    assert len(sms.outbox) == 1 and sms.outbox[0].to == PHONE

    response = _verify(api_client, last_sms_code(PHONE), full_name="Asha Kumari")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] is True
    user = User.objects.get(phone=PHONE)
    assert (user.role, user.full_name, user.has_usable_password()) == (Role.CITIZEN, "Asha Kumari", False)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = api_client.get("/api/v1/auth/me/")
    assert me.status_code == 200 and me.json()["phone"] == PHONE
    refreshed = api_client.post("/api/v1/auth/token/refresh/", {"refresh": body["refresh"]}, format="json")
    assert refreshed.status_code == 200


def test_existing_citizen_logs_in_without_a_new_account(api_client, make_user, last_sms_code):
    citizen = make_user(phone=PHONE, full_name="Already Here")
    _request(api_client, phone="098123 45678")
    response = _verify(api_client, last_sms_code(PHONE), phone="+91 98123-45678", full_name="Other Name")
    assert response.status_code == 200
    assert response.json()["created"] is False
    assert User.objects.filter(phone=PHONE).count() == 1
    citizen.refresh_from_db()
    assert citizen.full_name == "Already Here"
    assert citizen.last_login is not None


def test_code_is_stored_hashed_never_in_clear(api_client, last_sms_code):
    _request(api_client)
    code = last_sms_code(PHONE)
    otp = PhoneOtp.objects.get(phone=PHONE)
    assert code not in otp.code_hash
    assert len(otp.code_hash) == 64


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+1 555", ""])
def test_invalid_phone_is_400_with_a_field_error(api_client, phone):
    response = _request(api_client, phone=phone)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "phone" in body["errors"]
    assert sms.outbox == []


def test_missing_code_or_bad_format_is_400(api_client):
    assert _verify(api_client, "12ab").status_code == 400
    response = api_client.post(VERIFY, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"phone", "code"}


def test_wrong_code_fails_and_right_code_still_works_after(api_client, last_sms_code):
    _request(api_client)
    code = last_sms_code(PHONE)
    response = _verify(api_client, _wrong(code))
    assert response.status_code == 400
    assert response.json()["code"] == "otp_invalid"
    assert "code" in response.json()["errors"]
    assert _verify(api_client, code).status_code == 200


def test_code_cannot_be_used_twice(api_client, last_sms_code):
    _request(api_client)
    code = last_sms_code(PHONE)
    assert _verify(api_client, code).status_code == 200
    response = _verify(api_client, code)
    assert response.status_code == 400
    assert response.json()["code"] == "otp_invalid"


def test_expired_code_is_rejected(api_client, last_sms_code):
    _request(api_client)
    code = last_sms_code(PHONE)
    PhoneOtp.objects.filter(phone=PHONE).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _verify(api_client, code)
    assert response.status_code == 400
    assert response.json()["code"] == "otp_expired"
    assert not User.objects.filter(phone=PHONE).exists()


def test_code_dies_after_five_wrong_tries(api_client, last_sms_code):
    _request(api_client)
    code = last_sms_code(PHONE)
    for _ in range(4):
        assert _verify(api_client, _wrong(code)).json()["code"] == "otp_invalid"
    assert _verify(api_client, _wrong(code)).json()["code"] == "otp_locked"
    response = _verify(api_client, code)
    assert response.status_code == 400
    assert not User.objects.filter(phone=PHONE).exists()


def test_new_request_invalidates_the_old_code(api_client, last_sms_code):
    _request(api_client)
    old = last_sms_code(PHONE)
    PhoneOtp.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert _request(api_client).status_code == 202
    new = last_sms_code(PHONE)
    assert list(PhoneOtp.objects.order_by("created_at").values_list("is_active", flat=True)) == [False, True]
    if old != new:  # one time in a million both codes are the same digits
        assert _verify(api_client, old).status_code == 400
    assert _verify(api_client, new).status_code == 200


def test_resend_within_cooldown_is_429_with_retry_after(api_client):
    assert _request(api_client).status_code == 202
    response = _request(api_client)
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.json()["code"] == "throttled"
    assert response.json()["retry_after"] == retry_after
    assert len(sms.outbox) == 1


@override_settings(OTP_MAX_PER_PHONE_PER_HOUR=3)
def test_per_phone_hourly_limit_is_429(api_client):
    for _ in range(3):
        assert _request(api_client).status_code == 202
        PhoneOtp.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    response = _request(api_client)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 60


@override_settings(OTP_MAX_PER_IP_PER_HOUR=2)
def test_per_ip_hourly_limit_is_429_across_phones(api_client):
    assert _request(api_client, phone="+919812345671").status_code == 202
    assert _request(api_client, phone="+919812345672").status_code == 202
    response = _request(api_client, phone="+919812345673")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    other_network = _request(api_client, phone="+919812345673", REMOTE_ADDR="10.1.2.3")
    assert other_network.status_code == 202


def test_answer_is_the_same_for_registered_and_unregistered_numbers(api_client, make_user):
    make_user(phone="+919812345671")
    registered = _request(api_client, phone="+919812345671")
    unregistered = _request(api_client, phone="+919812345672")
    assert registered.status_code == unregistered.status_code == 202
    assert registered.json().keys() == unregistered.json().keys()
    assert registered.json()["detail"] == unregistered.json()["detail"]
    # Verifying a made-up code looks the same whether or not the account exists.
    assert _verify(api_client, "000000", phone="+919812345677").json() == _verify(
        api_client, "000000", phone="+919812345678"
    ).json()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN, Role.SERVICE])
def test_staff_and_service_phones_get_no_code_but_the_same_answer(api_client, make_user, role, department):
    make_user(role=role, phone=PHONE, department=department if role == Role.OFFICER else None)
    response = _request(api_client)
    assert response.status_code == 202
    assert sms.outbox == []


def test_deactivated_citizen_gets_no_code(api_client, make_user):
    make_user(phone=PHONE, is_active=False)
    assert _request(api_client).status_code == 202
    assert sms.outbox == []


def test_citizen_get_or_create_normalises_the_phone():
    from accounts.services import citizen_get_or_create

    user, created = citizen_get_or_create(phone="98123 45678", full_name="Ravi")
    assert created and user.phone == PHONE and user.role == Role.CITIZEN
    again, created_again = citizen_get_or_create(phone="+91-98123-45678")
    assert (again.pk, created_again) == (user.pk, False)


def test_citizen_get_or_create_rejects_a_bad_phone():
    from django.core.exceptions import ValidationError

    from accounts.services import citizen_get_or_create

    with pytest.raises(ValidationError) as info:
        citizen_get_or_create(phone="123")
    assert "phone" in info.value.message_dict
