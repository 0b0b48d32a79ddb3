"""Text messages, shaped like Django's email: one `send_sms` call, a backend chosen by setting.

`settings.SMS_BACKEND` names a class with `send_messages(messages) -> None`; backends raise on
failure, so a lost SMS is never silent. Tests use the locmem backend and read `notifications.sms.outbox`,
as they would read `django.core.mail.outbox`.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "notifications.sms.backends.console.SmsBackend"

# Filled by the locmem backend; the test suite empties it before every test.
outbox: list["SmsMessage"] = []


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


def get_backend(path: str | None = None):
    """An instance of the configured SMS backend (or of `path`)."""
    return import_string(path or getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND))()


def send_sms(*, to: str, body: str) -> None:
    """Send one text message to `to` (E.164). Raises when the backend fails."""
    get_backend().send_messages([SmsMessage(to=to, body=body)])
