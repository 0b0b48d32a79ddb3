"""Channels a notification is copied to besides the in-app inbox: one interface, a registry.

A channel has a `name` (stored on `NotificationDelivery.channel`), decides whether a user gets
copies through it (`is_available_for`: contact details and preferences) and sends one delivery
(`send`, raising on failure so the task retries). SMS and email are built in; a chat channel
(Telegram, WhatsApp) subclasses `Channel` and calls `register_channel(TelegramChannel())` in its
AppConfig.ready(). Channels are asked in registration order.

Apps that deliver some messages themselves register a delivery filter
(`register_delivery_filter`) that drops the engine's copy of those.

Users are duck-typed: the engine reads `phone`, `email`, `preferred_language` and
`notification_preference` and never imports the accounts app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail

from notifications import sms

if TYPE_CHECKING:
    from notifications.models import Notification, NotificationDelivery, NotificationPreference

SMS_MAX_LENGTH = 480


class DeliveryError(Exception):
    """A delivery could not be sent; the task retries it with backoff."""


class Channel:
    """The interface every channel implements."""

    name: str = ""
    label: str = ""

    def is_available_for(self, user, preference: NotificationPreference) -> bool:  # pragma: no cover
        """Whether `user` (with their `preference` row, possibly unsaved) gets copies here."""
        raise NotImplementedError

    def send(self, delivery: NotificationDelivery) -> None:  # pragma: no cover - interface
        """Send `delivery.notification` to `delivery.notification.recipient`, or raise."""
        raise NotImplementedError


class SmsChannel(Channel):
    name = "sms"
    label = "SMS"

    def is_available_for(self, user, preference) -> bool:
        return bool(getattr(user, "phone", None)) and preference.sms_enabled

    @staticmethod
    def text(notification: Notification) -> str:
        text = f"{notification.title}\n{notification.body}" if notification.body else notification.title
        return text if len(text) <= SMS_MAX_LENGTH else text[: SMS_MAX_LENGTH - 1] + "…"

    def send(self, delivery) -> None:
        recipient = delivery.notification.recipient
        if not getattr(recipient, "phone", None):
            raise DeliveryError("The recipient has no phone number any more.")
        sms.send_sms(to=recipient.phone, body=self.text(delivery.notification))


class EmailChannel(Channel):
    name = "email"
    label = "Email"

    def is_available_for(self, user, preference) -> bool:
        return bool(getattr(user, "email", None)) and preference.email_enabled

    def send(self, delivery) -> None:
        notification = delivery.notification
        recipient = notification.recipient
        if not getattr(recipient, "email", None):
            raise DeliveryError("The recipient has no email address any more.")
        send_mail(notification.title, notification.body, settings.DEFAULT_FROM_EMAIL, [recipient.email],
                  fail_silently=False)


_channels: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    """Register (or replace, by name) a channel. Names fit in 16 characters."""
    if not channel.name or len(channel.name) > 16:
        raise ValueError(f"A channel name is 1 to 16 characters, not {channel.name!r}.")
    _channels[channel.name] = channel


def unregister_channel(name: str) -> None:
    _channels.pop(name, None)


def registered_channels() -> dict[str, Channel]:
    """Name -> channel, in registration order."""
    return dict(_channels)


def get_channel(name: str) -> Channel:
    try:
        return _channels[name]
    except KeyError:
        raise DeliveryError(f"No channel {name!r} is registered.") from None


# --- delivery filters -------------------------------------------------------------------------------
# An app that reaches people on its own (messaging's chats) tells the engine which channel copies it
# already delivers, so nobody gets the same message twice, without the engine importing that app.
# A filter gets every candidate copy of one `notify_many` call (unsaved NotificationDelivery rows
# whose `notification` is saved, with its `recipient` and their `notification_preference` loaded)
# and returns those to drop. It must run in a fixed number of queries (none when nothing concerns it).
DeliveryFilter = Callable[[list["NotificationDelivery"]], Iterable["NotificationDelivery"]]

_delivery_filters: dict[str, DeliveryFilter] = {}


def register_delivery_filter(name: str, delivery_filter: DeliveryFilter) -> None:
    """Register (or replace, by name) a delivery filter; call it from AppConfig.ready()."""
    _delivery_filters[name] = delivery_filter


def unregister_delivery_filter(name: str) -> None:
    _delivery_filters.pop(name, None)


def registered_delivery_filters() -> dict[str, DeliveryFilter]:
    """Name -> filter, in registration order."""
    return dict(_delivery_filters)


register_channel(SmsChannel())
register_channel(EmailChannel())
