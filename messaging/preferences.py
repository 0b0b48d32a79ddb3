"""Whether a citizen wants complaint updates in a chat.

Two switches: the chat's own (`updates off` / `updates on`, stored on the conversation), and for
SMS the citizen's notification preference for text messages (accounts' NotificationPreference,
read through its `notification_preference` relation; no row means the defaults, i.e. on).
"""

from __future__ import annotations

from messaging.models import ChannelName, Conversation


def wants_updates(conversation: Conversation) -> bool:
    if not conversation.updates_enabled or conversation.citizen is None:
        return False
    if conversation.channel == ChannelName.SMS:
        # A missing row raises RelatedObjectDoesNotExist, an AttributeError: getattr's default applies.
        preference = getattr(conversation.citizen, "notification_preference", None)
        return preference is None or preference.sms_enabled
    return True
