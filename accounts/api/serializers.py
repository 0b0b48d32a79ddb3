from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User


class PasswordLoginSerializer(serializers.Serializer):
    """Password login with a phone number or an email address as `login`."""

    login = serializers.CharField(max_length=254, help_text=_("Phone number or email address."))
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})

    def validate(self, attrs):
        user = authenticate(self.context.get("request"), username=attrs["login"], password=attrs["password"])
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
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = User
        fields = ["id", "role", "phone", "email", "full_name", "preferred_language", "department", "is_staff"]
        read_only_fields = ["id", "role", "phone", "department", "is_staff"]

    def validate_email(self, value):
        if not value:
            if not self.instance.phone:
                raise serializers.ValidationError(_("You need an email address or a phone number."))
            return None
        value = value.strip().lower()
        if User.objects.filter(email__iexact=value).exclude(pk=self.instance.pk).exists():
            raise serializers.ValidationError(_("This email address is already in use."))
        return value
