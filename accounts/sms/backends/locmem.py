"""Keeps messages in `accounts.sms.outbox` for tests, like Django's locmem email backend."""

from accounts import sms
from accounts.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def send_messages(self, messages) -> None:
        sms.outbox.extend(messages)
