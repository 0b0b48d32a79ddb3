from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.phones import looks_like_phone, normalize_phone


class PhoneOrEmailBackend(ModelBackend):
    """Password login with either an email address or a phone number as the login."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        login = username or kwargs.get("email") or kwargs.get("phone") or kwargs.get("login")
        if not login or password is None:
            return None
        user = find_user_by_login(login)
        if user is None:
            # Spend the same time as a real check so timing does not reveal who exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def find_user_by_login(login: str) -> User | None:
    login = login.strip()
    try:
        if looks_like_phone(login):
            return User.objects.get(phone=normalize_phone(login))
        return User.objects.get(email__iexact=login)
    except (User.DoesNotExist, ValidationError):
        return None
