"""Writes each message to stdout: the development default."""

import sys
import threading

from notifications.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    _lock = threading.Lock()

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send_messages(self, messages) -> None:
        with self._lock:
            for message in messages:
                self.stream.write(f"SMS to {message.to}\n{message.body}\n{'-' * 40}\n")
            self.stream.flush()
