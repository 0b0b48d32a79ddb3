"""What each person wants besides the in-app inbox, asked one way by everybody: `wants(user, channel)`.

The switches live on `NotificationPreference` (no row: every switch on): `sms_enabled` for text
messages, `email_enabled` for email, `chat_enabled` for chat apps (Telegram, WhatsApp). Apps that
send on their own (messaging's chat updates, campaigns) ask here, so one switch means the same thing
whether the engine or a chat app sends the message.
"""

from __future__ import annotations

# Channel name -> the preference field that switches it. Chat apps share one switch.
CHANNEL_SWITCHES = {
    "sms": "sms_enabled",
    "email": "email_enabled",
    "chat": "chat_enabled",
    "telegram": "chat_enabled",
    "whatsapp": "chat_enabled",
}


def preference_of(user):
    """The user's preferences: their row, or an unsaved default row when they never changed anything."""
    from notifications.models import NotificationPreference

    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def wants(user, channel: str) -> bool:
    """Whether `user` wants messages on `channel` ("sms", "email", "telegram", "whatsapp" or "chat").

    Inactive users want nothing; an unknown channel is a programming error (ValueError)."""
    try:
        switch = CHANNEL_SWITCHES[channel]
    except KeyError:
        raise ValueError(f"No preference switches the channel {channel!r}.") from None
    if user is None or not getattr(user, "is_active", True):
        return False
    return bool(getattr(preference_of(user), switch))
