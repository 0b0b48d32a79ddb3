"""Writes each message to its own file in `settings.SMS_FILE_PATH`, so a person can read the code."""

import datetime
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notifications.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, file_path: str | os.PathLike | None = None):
        path = file_path or getattr(settings, "SMS_FILE_PATH", None)
        if not path:
            raise ImproperlyConfigured("The file-based SMS backend needs SMS_FILE_PATH.")
        self.directory = Path(path)
        self.directory.mkdir(parents=True, exist_ok=True)
        if not os.access(self.directory, os.W_OK):
            raise ImproperlyConfigured(f"SMS_FILE_PATH {self.directory} is not writable.")

    def send_messages(self, messages) -> None:
        for message in messages:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            name = f"{stamp}-{secrets.token_hex(4)}.txt"
            (self.directory / name).write_text(f"To: {message.to}\n\n{message.body}\n", encoding="utf-8")
