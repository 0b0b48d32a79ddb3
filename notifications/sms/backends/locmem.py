"""Keeps messages in `notifications.sms.outbox` for tests, like Django's locmem email backend."""

from notifications import sms
from notifications.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def send_messages(self, messages) -> None:
        sms.outbox.extend(messages)
