from rest_framework.permissions import BasePermission

from accounts.models import ApiKey, Role

# Who reads analytics: all-seeing roles see everything, officers and managers their subtree.
ANALYTICS_ROLES = frozenset({Role.EXECUTIVE, Role.ADMIN, Role.DISPATCHER, Role.MANAGER, Role.OFFICER})


def may_read_analytics(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in ANALYTICS_ROLES)


class CanReadAnalytics(BasePermission):
    """Staff who read analytics; citizens and machines (API keys) never do."""

    message = "Analytics are for staff."

    def has_permission(self, request, view) -> bool:
        return not isinstance(getattr(request, "auth", None), ApiKey) and may_read_analytics(request.user)
