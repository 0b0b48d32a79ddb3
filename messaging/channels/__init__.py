"""The chat providers, by name: `get_channel("telegram")`."""

from messaging.channels.base import (
    Button,
    Channel,
    InboundMessage,
    MediaError,
    MediaTooLarge,
    SendError,
    SendResult,
    WebhookRejected,
)
from messaging.channels.sms import SmsChannel
from messaging.channels.telegram import TelegramChannel
from messaging.channels.whatsapp import WhatsAppChannel

CHANNELS: dict[str, Channel] = {c.name: c for c in (TelegramChannel(), WhatsAppChannel(), SmsChannel())}


def get_channel(name: str) -> Channel:
    return CHANNELS[name]


__all__ = [
    "CHANNELS",
    "Button",
    "Channel",
    "InboundMessage",
    "MediaError",
    "MediaTooLarge",
    "SendError",
    "SendResult",
    "WebhookRejected",
    "get_channel",
]
