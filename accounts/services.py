"""Every change to accounts goes through these functions: the API, the pages, the admin and the
management commands call them alike. Each is keyword-only and runs in a transaction.

Errors: Django `ValidationError` (400, keyed by field), `grievance.errors.Conflict` (409) for a
duplicate phone/email or a change that would lock the caller out, `OtpRejected` (400) and
`RateLimited` (429 with a retry delay) for the phone-login flow.
"""

import hashlib
import logging
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import ratelimit
from accounts.models import DEPARTMENT_ROLES, ApiKey, ApiKeyScope, PhoneOtp, Role, User
from accounts.phones import normalize_phone
from grievance.errors import Conflict, DomainError

logger = logging.getLogger(__name__)

OTP_LENGTH = 6


class OtpRejected(DomainError):
    """The code given does not log anyone in (wrong, expired, used, or too many tries)."""

    code = "otp_invalid"
    status_code = 400

    def __init__(self, message: str, *, code: str = "otp_invalid"):
        super().__init__(message, extra={"errors": {"code": [message]}})
        self.code = code


class RateLimited(DomainError):
    """Too many requests; `retry_after` says in how many seconds to try again."""

    code = "throttled"
    status_code = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, extra={"retry_after": retry_after})
        self.retry_after = retry_after


def _phone_or_field_error(raw: str, field: str = "phone") -> str:
    try:
        return normalize_phone(raw)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _normalize_email(raw: str | None) -> str | None:
    value = (raw or "").strip()
    return User.objects.normalize_email(value).lower() if value else None


# --- Phone OTP -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OtpRequestResult:
    phone: str
    expires_in: int
    resend_after: int


def _otp_hash(phone: str, code: str) -> str:
    # Keyed with SECRET_KEY: a leaked table cannot be brute-forced over the million codes offline.
    return salted_hmac("accounts.PhoneOtp", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _may_log_in_by_phone(phone: str) -> bool:
    """Only citizens log in by OTP: a staff or service account's phone gets no code (staff use
    passwords), nor does a deactivated citizen. The caller's answer is the same either way."""
    user = User.objects.filter(phone=phone).only("role", "is_active").first()
    return user is None or (user.role == Role.CITIZEN and user.is_active)


def otp_request(*, phone: str, ip: str | None = None) -> OtpRequestResult:
    """Send a new 6-digit login code to `phone`, replacing any earlier one.

    Limits: one code per phone per OTP_RESEND_COOLDOWN_SECONDS, OTP_MAX_PER_PHONE_PER_HOUR per
    phone and OTP_MAX_PER_IP_PER_HOUR per client IP; beyond them `RateLimited`. The result is the
    same whether or not the phone belongs to an account, so nobody can probe who is registered.
    """
    phone = _phone_or_field_error(phone)
    now = timezone.now()
    ttl = settings.OTP_CODE_TTL_SECONDS
    cooldown = settings.OTP_RESEND_COOLDOWN_SECONDS
    if ip:
        wait = ratelimit.hit(f"otp-request-ip:{ip}", limit=settings.OTP_MAX_PER_IP_PER_HOUR, window_seconds=3600)
        if wait:
            raise RateLimited("Too many codes requested from this network. Try again later.", retry_after=wait)

    code = f"{secrets.randbelow(10**OTP_LENGTH):0{OTP_LENGTH}d}"
    with transaction.atomic():
        # Lock this phone's live codes so two simultaneous requests cannot both pass the cooldown.
        list(PhoneOtp.objects.select_for_update().filter(phone=phone, is_active=True).values_list("id", flat=True))
        recent = list(
            PhoneOtp.objects.filter(phone=phone, created_at__gte=now - timedelta(hours=1))
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )
        if recent and recent[-1] > now - timedelta(seconds=cooldown):
            wait = math.ceil((recent[-1] + timedelta(seconds=cooldown) - now).total_seconds())
            raise RateLimited(f"Wait {wait} seconds before asking for a new code.", retry_after=max(wait, 1))
        if len(recent) >= settings.OTP_MAX_PER_PHONE_PER_HOUR:
            wait = math.ceil((recent[0] + timedelta(hours=1) - now).total_seconds())
            raise RateLimited("Too many codes requested for this number. Try again later.", retry_after=max(wait, 1))
        PhoneOtp.objects.filter(phone=phone, is_active=True).update(is_active=False)
        PhoneOtp.objects.create(
            phone=phone,
            code_hash=_otp_hash(phone, code),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            requested_from_ip=ip or None,
        )
        send = _may_log_in_by_phone(phone)

    if send:
        from notifications.tasks import deliver_sms

        minutes = max(1, ttl // 60)
        body = f"{code} is your Grievance login code. It expires in {minutes} minutes. Never share it."
        deliver_sms.delay(to=phone, body=body)
    else:
        logger.info("OTP requested for a phone that may not log in by OTP; no SMS sent")
    return OtpRequestResult(phone=phone, expires_in=ttl, resend_after=cooldown)


def otp_verify(*, phone: str, code: str, full_name: str = "") -> tuple[User, bool]:
    """Check `code` for `phone`; on success log the citizen in, registering them the first time.

    Returns (user, created). A wrong code uses up one of OTP_MAX_ATTEMPTS tries; the last wrong
    try kills the code. A used, replaced or expired code never works again.
    """
    phone = _phone_or_field_error(phone)
    code = (code or "").strip()
    if not (len(code) == OTP_LENGTH and code.isdigit()):
        raise ValidationError({"code": [f"Enter the {OTP_LENGTH}-digit code from the SMS."]})
    now = timezone.now()
    outcome = "invalid"
    tries_left = 0
    user, created = None, False
    # The block commits a wrong try before the error is raised, so tries count even on failure.
    with transaction.atomic():
        otp = PhoneOtp.objects.select_for_update().filter(phone=phone, is_active=True).order_by("-created_at").first()
        if otp is None:
            outcome = "invalid"
        elif otp.expires_at <= now:
            otp.is_active = False
            otp.save(update_fields=["is_active"])
            outcome = "expired"
        elif not constant_time_compare(_otp_hash(phone, code), otp.code_hash):
            otp.attempts += 1
            tries_left = settings.OTP_MAX_ATTEMPTS - otp.attempts
            otp.is_active = tries_left > 0
            otp.save(update_fields=["attempts", "is_active"])
            outcome = "wrong" if tries_left > 0 else "locked"
        else:
            otp.is_active = False
            otp.verified_at = now
            otp.save(update_fields=["is_active", "verified_at"])
            if _may_log_in_by_phone(phone):
                user, created = citizen_get_or_create(phone=phone, full_name=full_name)
                if not created and full_name.strip() and not user.full_name:
                    user.full_name = full_name.strip()[:150]
                    user.save(update_fields=["full_name"])
                update_last_login(None, user)
                outcome = "ok"
    if outcome == "ok":
        return user, created
    if outcome == "expired":
        raise OtpRejected("This code has expired. Ask for a new code.", code="otp_expired")
    if outcome == "locked":
        raise OtpRejected("Too many wrong codes. Ask for a new code.", code="otp_locked")
    if outcome == "wrong":
        raise OtpRejected(f"This code is not right. {tries_left} tries left.")
    raise OtpRejected("This code is not valid. Check it, or ask for a new code.")


def citizen_get_or_create(*, phone: str, full_name: str = "") -> tuple[User, bool]:
    """The user with this phone, or a new citizen with it (no password: they log in by OTP).

    The phone may be in any common format; a bad one is a ValidationError on "phone".
    """
    phone = _phone_or_field_error(phone)
    existing = User.objects.filter(phone=phone).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            user = User(phone=phone, full_name=(full_name or "").strip()[:150], role=Role.CITIZEN)
            user.set_unusable_password()
            user.save()
            return user, True
    except IntegrityError:  # someone registered the same phone a moment ago
        return User.objects.get(phone=phone), False


def citizen_get_or_create_by_email(*, email: str, full_name: str = "") -> tuple[User, bool]:
    """The user with this email, or a new citizen with it (no password), for intake channels such as
    Open311 that may know a reporter by email only. A bad address is a ValidationError on "email"."""
    email = _normalize_email(email)
    try:
        validate_email(email or "")
        if len(email) > User._meta.get_field("email").max_length:
            raise ValidationError("too long")
    except ValidationError:
        raise ValidationError({"email": ["Enter a valid email address."]}) from None
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            user = User(email=email, full_name=(full_name or "").strip()[:150], role=Role.CITIZEN)
            user.set_unusable_password()
            user.save()
            return user, True
    except IntegrityError:  # the same address registered a moment ago
        return User.objects.get(email__iexact=email), False


# --- Staff and other users ------------------------------------------------------------------------

USER_EDITABLE_FIELDS = frozenset({"email", "phone", "full_name", "preferred_language", "role", "department"})


def _check_unique(*, email: str | None, phone: str | None, exclude_pk: int | None = None) -> None:
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if phone and others.filter(phone=phone).exists():
        message = "A user with this phone number already exists."
        raise Conflict(message, extra={"errors": {"phone": [message]}})
    if email and others.filter(email__iexact=email).exists():
        message = "A user with this email address already exists."
        raise Conflict(message, extra={"errors": {"email": [message]}})


def _check_role_and_department(user: User) -> None:
    if user.role in DEPARTMENT_ROLES and user.department_id is None:
        raise ValidationError({"department": ["Officers and managers need a department."]})
    if user.role in {Role.CITIZEN, Role.SERVICE} and user.department_id is not None:
        raise ValidationError({"department": ["Only staff belong to a department."]})


def _save_checked(user: User) -> User:
    """Validate and save; a unique clash that slipped past the check (a race) is still a 409."""
    user.full_clean(exclude=["password", "groups", "user_permissions"], validate_unique=False)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        text = str(exc).lower()
        field = "email" if "email" in text else "phone"
        message = f"A user with this {'email address' if field == 'email' else 'phone number'} already exists."
        raise Conflict(message, extra={"errors": {field: [message]}}) from exc
    return user


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    role: str,
    email: str | None = None,
    phone: str | None = None,
    full_name: str = "",
    preferred_language: str = "en",
    department=None,
    password: str | None = None,
) -> User:
    """Create a user of any role. Without a password the account gets an unusable one: send a
    reset link (`user_send_password_reset`) so the person chooses their own."""
    email = _normalize_email(email)
    phone = _phone_or_field_error(phone) if phone else None
    if not email and not phone:
        raise ValidationError({"non_field_errors": ["A user needs a phone number or an email address."]})
    user = User(
        role=role,
        email=email,
        phone=phone,
        full_name=(full_name or "").strip(),
        preferred_language=preferred_language,
        department=department,
    )
    _check_role_and_department(user)
    _check_unique(email=email, phone=phone)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    _save_checked(user)
    logger.info("user %s created with role %s by %s", user.pk, role, getattr(actor, "pk", None))
    return user


@transaction.atomic
def user_update(*, user: User, actor: User | None, data: Mapping[str, Any]) -> User:
    """Change profile, role and department. Unknown keys are a programming error (ValueError)."""
    unknown = set(data) - USER_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"user_update cannot change {sorted(unknown)}")
    user = User.objects.select_for_update().get(pk=user.pk)
    if "email" in data:
        user.email = _normalize_email(data["email"])
    if "phone" in data:
        user.phone = _phone_or_field_error(data["phone"]) if data["phone"] else None
    for field in ("full_name", "preferred_language"):
        if field in data:
            setattr(user, field, (data[field] or "").strip() if field == "full_name" else data[field])
    if "role" in data:
        if actor is not None and actor.pk == user.pk and data["role"] != Role.ADMIN and user.role == Role.ADMIN:
            raise Conflict("You cannot remove your own administrator role.")
        user.role = data["role"]
    if "department" in data:
        user.department = data["department"]
    elif "role" in data and user.role in {Role.CITIZEN, Role.SERVICE}:
        user.department = None
    if not user.email and not user.phone:
        raise ValidationError({"non_field_errors": ["A user needs a phone number or an email address."]})
    _check_role_and_department(user)
    _check_unique(email=user.email, phone=user.phone, exclude_pk=user.pk)
    return _save_checked(user)


def user_set_role(*, user: User, actor: User | None, role: str, department=None) -> User:
    """Give `user` a new role (and department); their groups follow the role."""
    return user_update(user=user, actor=actor, data={"role": role, "department": department})


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None) -> User:
    """Switch the account off: its JWTs, refresh tokens, sessions and API keys stop working at once
    (each authentication checks `is_active`); refresh tokens are also blacklisted."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    if actor is not None and actor.pk == user.pk:
        raise Conflict("You cannot deactivate your own account.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in outstanding], ignore_conflicts=True)
    logger.info("user %s deactivated by %s", user.pk, getattr(actor, "pk", None))
    return user


@transaction.atomic
def user_activate(*, user: User, actor: User | None) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def password_reset_path(user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:password-reset-confirm", kwargs={"uidb64": uidb64, "token": token})


def user_send_password_reset(*, user: User, actor: User | None, base_url: str, channel: str | None = None) -> str:
    """Send a one-time link to set a new password, by "email" or "sms" (default: email if the user
    has one). The link dies once used (Django's token covers the password hash) or after
    PASSWORD_RESET_TIMEOUT. Returns the channel used."""
    if not user.is_active:
        raise Conflict("This account is deactivated. Activate it before resetting its password.")
    if user.role == Role.SERVICE:
        raise Conflict("Service accounts authenticate with API keys, not passwords.")
    channel = channel or ("email" if user.email else "sms")
    if channel == "email" and not user.email:
        raise ValidationError({"channel": ["This user has no email address."]})
    if channel == "sms" and not user.phone:
        raise ValidationError({"channel": ["This user has no phone number."]})
    if channel not in {"email", "sms"}:
        raise ValidationError({"channel": ["Choose email or sms."]})
    url = base_url.rstrip("/") + password_reset_path(user)
    from notifications.tasks import deliver_email, deliver_sms

    if channel == "email":
        body = (
            f"Hello {user.full_name or user.email},\n\n"
            f"Set a new password for your Grievance account here (the link works once):\n{url}\n\n"
            "If you did not expect this, ignore this message."
        )
        deliver_email.delay(to=user.email, subject="Set your Grievance password", body=body)
    else:
        deliver_sms.delay(to=user.phone, body=f"Set your Grievance password (link works once): {url}")
    logger.info("password reset link sent to user %s by %s via %s", user.pk, getattr(actor, "pk", None), channel)
    return channel


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    """Set a new password after checking it against AUTH_PASSWORD_VALIDATORS."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


# --- API keys for services ------------------------------------------------------------------------

API_KEY_PREFIX = "grv_"


def hash_api_key_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def service_account_get_or_create(*, email: str, full_name: str = "") -> tuple[User, bool]:
    """The service account with this email, or a new one (no password: it uses API keys)."""
    email = _normalize_email(email)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if user.role != Role.SERVICE:
            raise ValidationError({"owner": ["This user is not a service account."]})
        return user, False
    user = User(email=email, full_name=full_name or email, role=Role.SERVICE)
    user.set_unusable_password()
    return _save_checked(user), True


@transaction.atomic
def api_key_create(*, name: str, owner: User, scopes: list[str]) -> tuple[ApiKey, str]:
    """Create a key for a service account. Returns (key, plaintext): show the plaintext once; only
    its hash is kept."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the key a name."]})
    if owner.role != Role.SERVICE:
        raise ValidationError({"owner": ["API keys belong to service accounts."]})
    unknown = sorted(set(scopes) - set(ApiKeyScope.values))
    if unknown:
        raise ValidationError({"scopes": [f"Unknown scope(s): {', '.join(unknown)}."]})
    prefix = API_KEY_PREFIX + secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        owner=owner,
        scopes=sorted(set(scopes)),
        prefix=prefix,
        hashed_secret=hash_api_key_secret(secret),
    )
    return key, f"{prefix}.{secret}"


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: User | None = None) -> ApiKey:
    """Revoke a key for good; requests with it are refused (401) from now on."""
    key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        logger.info("API key %s revoked by %s", key.prefix, getattr(actor, "pk", None))
    return key
