from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User


class PasswordLoginSerializer(serializers.Serializer):
    """Password login with a phone number or an email address as `login`."""

    login = serializers.CharField(max_length=254, help_text=_("Phone number or email address."))
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})

    def validate(self, attrs):
        request = self.context.get("request")
        # The Django request itself: the lockout (django-axes) marks it, and its middleware answers 429.
        http_request = getattr(request, "_request", request)
        user = authenticate(http_request, username=attrs["login"], password=attrs["password"])
        if user is None:
            # Same answer for unknown login, wrong password and deactivated user.
            from rest_framework.exceptions import AuthenticationFailed

            raise AuthenticationFailed(_("No active account found with the given credentials."))
        attrs["user"] = user
        return attrs


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()

    @staticmethod
    def for_user(user: User) -> dict[str, str]:
        refresh = RefreshToken.for_user(user)
        return {"access": str(refresh.access_token), "refresh": str(refresh)}


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2048)


class MeSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    # Declared without the model's unique check, whose message would reveal a registered address.
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True, max_length=254)

    class Meta:
        model = User
        fields = ["id", "role", "phone", "email", "full_name", "preferred_language", "department", "is_staff"]
        read_only_fields = ["id", "role", "phone", "department", "is_staff"]

    def validate_email(self, value):
        # An email is a login and a reset channel: it is never set unverified, and the answer never
        # says whether another account uses it. Changing it here is refused for everyone alike;
        # staff ask an administrator (who checks it), citizens sign in by phone.
        current = (self.instance.email or "").lower() or None
        value = (value or "").strip().lower() or None
        if value != current:
            raise serializers.ValidationError(
                _("The email address cannot be changed here; ask an administrator to change it.")
            )
        return value


class OtpRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, help_text=_("Mobile number, e.g. +919812345678 or 98123 45678."))


class OtpRequestResponseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    phone = serializers.CharField(help_text=_("The number in E.164, as it will be used."))
    expires_in = serializers.IntegerField(help_text=_("Seconds the code stays valid."))
    resend_after = serializers.IntegerField(help_text=_("Seconds before a new code may be requested."))


class OtpVerifySerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    code = serializers.RegexField(
        r"^\s*\d{6}\s*$", max_length=12, error_messages={"invalid": _("Enter the 6-digit code.")}
    )
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class OtpTokenPairSerializer(TokenPairSerializer):
    created = serializers.BooleanField(help_text=_("True when this verification registered a new citizen."))


class RefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, refusing a token issued before the account's last password change (the
    token carries a fingerprint of the password hash: CHECK_REVOKE_TOKEN) and a token whose user is
    gone (a 401, where simplejwt's own serializer raises DoesNotExist)."""

    def validate(self, attrs):
        from rest_framework.exceptions import AuthenticationFailed
        from rest_framework_simplejwt.settings import api_settings
        from rest_framework_simplejwt.utils import get_md5_hash_password

        refresh = self.token_class(attrs["refresh"])
        user = User.objects.filter(pk=refresh.payload.get(api_settings.USER_ID_CLAIM)).first()
        if user is None or refresh.payload.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            raise AuthenticationFailed(_("This session has ended; sign in again."), "token_revoked")
        return super().validate(attrs)
