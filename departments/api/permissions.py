"""Who may read and write reference data."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role == Role.ADMIN)


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class PublicReadAdminWrite(BasePermission):
    """Anyone (even anonymous) reads; only administrators write. Anonymous writes answer 401."""

    message = "Only administrators can change reference data."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return is_admin(request.user)


class StaffReadAdminWrite(BasePermission):
    """Staff roles (officer, dispatcher, manager, executive, admin) read; only administrators write."""

    message = "Only staff can read this, and only administrators can change it."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return is_staff(request.user)
        return is_admin(request.user)
