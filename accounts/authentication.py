"""`Authorization: Api-Key <prefix>.<secret>` for machines (AI service, bots, SMS gateway), and
`Authorization: Bearer <JWT>` for people (simplejwt's checks with a cheaper user read)."""

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework_simplejwt import authentication as jwt_authentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from accounts.models import ApiKey
from grievance.compiled import compiled, from_values, model_lookups

KEYWORD = "Api-Key"
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# What a key can look like (`grv_<hex>.<urlsafe base64>`). Anything else is refused before the
# database sees it: a NUL byte in a query parameter is a database error, not a "no such key".
KEY_SHAPE = re.compile(r"[A-Za-z0-9_]{1,16}\.[A-Za-z0-9_\-]{1,128}")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """On success `request.user` is the key's service account and `request.auth` the ApiKey.

    Unknown, malformed and revoked keys, and keys of deactivated accounts, are all a 401 with the
    same message.
    """

    keyword = KEYWORD

    def _authenticate_header(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid API key header: give the key after 'Api-Key'."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        return self.authenticate_key(raw)

    def authenticate(self, request):
        result = self._authenticate_header(request)
        if result is not None:
            view = (getattr(request, "parser_context", None) or {}).get("view")
            scopes = declared_api_key_scopes(view)
            if not any(result[1].has_scope(scope) for scope in scopes):
                # Deny by default: a key reaches only views that declare one of its scopes, through
                # HasApiKeyScope.with_scope(...) or an `api_key_scopes` attribute (reads the view's
                # own permissions then decide, e.g. reference data the AI service classifies with).
                raise exceptions.PermissionDenied(_("This API key may not be used on this endpoint."))
        return result

    def authenticate_key(self, raw: str):
        from accounts.services import hash_api_key_secret

        if not KEY_SHAPE.fullmatch(raw):
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        prefix, _sep, secret = raw.partition(".")
        key = ApiKey.objects.select_related("owner").filter(prefix=prefix).first()
        if (
            key is None
            or not constant_time_compare(hash_api_key_secret(secret), key.hashed_secret)
            or key.revoked_at is not None
            or not key.owner.is_active
        ):
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        now = timezone.now()
        if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key.owner, key

    def authenticate_header(self, request):
        return self.keyword


def declared_api_key_scopes(view) -> set[str]:
    """The API-key scopes `view` declares through HasApiKeyScope permissions (also inside `|`, `&`
    and `~` combinations). Empty: the view is for people, and API keys are refused there."""
    from accounts.permissions import HasApiKeyScope

    if view is None:
        return set()
    scopes: set[str] = set(getattr(view, "api_key_scopes", ()))
    try:
        permissions = list(view.get_permissions())
    except Exception:  # noqa: BLE001 - a view that cannot list its permissions declares nothing
        return scopes
    while permissions:
        permission = permissions.pop()
        if isinstance(permission, HasApiKeyScope) and permission.scope:
            scopes.add(permission.scope)
        # DRF's composed permissions (OR, AND, NOT) keep their operands as op1/op2.
        permissions.extend(getattr(permission, name) for name in ("op1", "op2") if hasattr(permission, name))
    return scopes


# Raw access token -> its validated token, per process (JWTAuthentication.get_validated_token).
_validated_tokens: dict = {}
MAX_VALIDATED_TOKENS = 10_000


class JWTAuthentication(jwt_authentication.JWTAuthentication):
    """simplejwt's JWTAuthentication with the same checks (the user exists, is active, and the token
    carries the fingerprint of the user's current password hash: CHECK_REVOKE_TOKEN), but the user
    is read with one SQL statement built once per process instead of an ORM query compiled on every
    request (issue 11: about a tenth of a detail request's Python). Nothing about the user is cached
    between requests, so a password change, reset or deactivation in any process ends the token at
    once."""

    def get_validated_token(self, raw_token):
        """simplejwt's validation (signature, type, expiry), done once per token and process: a
        token's signature and claims never change, so a token seen before is only checked for
        expiry again (PyJWT's decode and HMAC were a twentieth of a request). What can end a valid
        token early, the user's state, is read on every request by `get_user`."""
        token = _validated_tokens.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
                return token
            except TokenError:
                _validated_tokens.pop(raw_token, None)
        token = super().get_validated_token(raw_token)
        if len(_validated_tokens) >= MAX_VALIDATED_TOKENS:
            _validated_tokens.clear()
        _validated_tokens[raw_token] = token
        return token

    def get_user(self, validated_token):
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user = _fetch_user(user_id)
        if user is None:
            raise exceptions.AuthenticationFailed(_("User not found"), code="user_not_found")
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise exceptions.AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise exceptions.AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


def _fetch_user(user_id):
    model = get_user_model()
    field = model._meta.get_field(jwt_settings.USER_ID_FIELD)
    try:
        value = field.get_prep_value(field.to_python(user_id))
    except (TypeError, ValueError, ValidationError):
        return None
    names = model_lookups(model)

    def build(arg):
        return model.objects.filter(**{field.name: arg}).values_list(*names)

    # The ORM writes the statement once per process; the backend's converters still apply.
    rows = compiled(("accounts.jwt_user", field.name), build, [value]).rows([value])
    return from_values(model, dict(zip(names, rows[0], strict=True))) if rows else None
