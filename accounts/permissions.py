"""Who may call what. One class per rule; views combine them."""

from rest_framework.permissions import BasePermission

from accounts.models import STAFF_ROLES, ApiKey, Role


def _authenticated(request) -> bool:
    return bool(request.user and request.user.is_authenticated and request.user.is_active)


class IsAdminRole(BasePermission):
    message = "Only administrators may do this."

    def has_permission(self, request, view) -> bool:
        return _authenticated(request) and request.user.role == Role.ADMIN


class IsStaffRole(BasePermission):
    """Officers, dispatchers, managers, executives and admins."""

    message = "Only staff may do this."

    def has_permission(self, request, view) -> bool:
        return _authenticated(request) and request.user.role in STAFF_ROLES


class IsCitizen(BasePermission):
    message = "Only citizens may do this."

    def has_permission(self, request, view) -> bool:
        return _authenticated(request) and request.user.role == Role.CITIZEN


class HasApiKeyScope(BasePermission):
    """The request was made with an API key that carries `scope`. Use `HasApiKeyScope.with_scope("intake")`.

    Anonymous requests get 401 (DRF's rule for unauthenticated callers); a JWT user or a key without
    the scope gets 403.
    """

    scope: str = ""
    message = "This API key may not do this."

    @classmethod
    def with_scope(cls, scope: str) -> type["HasApiKeyScope"]:
        attrs = {"scope": scope, "message": f"This API key lacks the '{scope}' scope."}
        return type(f"HasApiKeyScope_{scope}", (cls,), attrs)

    def has_permission(self, request, view) -> bool:
        key = getattr(request, "auth", None)
        return _authenticated(request) and isinstance(key, ApiKey) and bool(self.scope) and key.has_scope(self.scope)
