"""What every page's header needs: the unread count (one COUNT query, only when a page shows it)."""

from __future__ import annotations

from notifications import services as notifications


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    # A callable: the template calls it only if it renders the header's bell.
    return {"unread_notifications": lambda: notifications.unread_count(user)}
