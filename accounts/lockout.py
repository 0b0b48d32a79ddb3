"""Per-account lockout for password logins (the API token endpoint and the admin login), on
django-axes. Settings: LOGIN_FAILURE_LIMIT failures lock the account for LOGIN_COOLOFF_MINUTES;
every further failure while locked doubles the lock (capped at LOGIN_COOLOFF_MAX_MINUTES), so a
guesser who keeps going stays out; the rows expire once the lock has passed. Attempts, lockouts
and sign-ins are listed in the admin (Axes: access attempts, access logs, access failures)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse, JsonResponse

from accounts.phones import looks_like_phone, normalize_phone

LOCKED_MESSAGE = "Too many failed sign-in attempts for this account. Try again later."


def lockout_username(request, credentials: dict | None) -> str | None:
    """The bucket of a login: the account's canonical login, so "A@x.org", " a@x.org" and a phone
    number in any format each count against one account."""
    raw = (credentials or {}).get("username")
    if not raw or not isinstance(raw, str):
        return None
    login = raw.strip()
    if looks_like_phone(login):
        try:
            login = normalize_phone(login)
        except Exception:  # noqa: BLE001 - an unparseable number is still its own bucket
            login = login.lower()
    else:
        login = login.lower()
    if request is not None:
        request.grievance_login = login
    return login[:255]


def _failures(login: str | None) -> int:
    if not login:
        return 0
    from axes.models import AccessAttempt

    total = AccessAttempt.objects.filter(username=login).aggregate(n=Sum("failures_since_start"))["n"]
    return total or 0


def cool_off(request=None) -> timedelta:
    """How long a lock lasts: the base time, doubled for every failure beyond the limit."""
    base = timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    ceiling = timedelta(minutes=settings.LOGIN_COOLOFF_MAX_MINUTES)
    beyond = _failures(getattr(request, "grievance_login", None)) - settings.LOGIN_FAILURE_LIMIT
    if beyond <= 0:
        return base
    return min(ceiling, base * (2 ** min(beyond, 20)))


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """429 for a locked account: the API's JSON error shape under /api/, plain text elsewhere."""
    retry_after = int(cool_off(request).total_seconds())
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "locked_out", "detail": LOCKED_MESSAGE, "retry_after": retry_after}, status=429
        )
    else:
        response = HttpResponse(LOCKED_MESSAGE, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response
