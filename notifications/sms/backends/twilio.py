"""Sends through Twilio's REST API with the standard library's HTTP client (no SDK needed).

Settings: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER. A non-2xx answer or a network
error raises `SmsDeliveryError`, so callers (a Celery task with retries) know the message was not sent.
"""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notifications.sms.backends.base import BaseSmsBackend

API_URL = "https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"


class SmsDeliveryError(Exception):
    pass


class SmsBackend(BaseSmsBackend):
    timeout = 10

    def __init__(self):
        self.account_sid = getattr(settings, "TWILIO_ACCOUNT_SID", "")
        self.auth_token = getattr(settings, "TWILIO_AUTH_TOKEN", "")
        self.from_number = getattr(settings, "TWILIO_FROM_NUMBER", "")
        if not (self.account_sid and self.auth_token and self.from_number):
            raise ImproperlyConfigured(
                "The Twilio SMS backend needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER."
            )

    def _request(self, message) -> urllib.request.Request:
        data = urllib.parse.urlencode({"To": message.to, "From": self.from_number, "Body": message.body}).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return urllib.request.Request(
            API_URL.format(sid=urllib.parse.quote(self.account_sid, safe="")),
            data=data,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )

    def send_messages(self, messages) -> None:
        for message in messages:
            try:
                with urllib.request.urlopen(self._request(message), timeout=self.timeout) as response:
                    body = json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace")[:500]
                raise SmsDeliveryError(f"Twilio answered {exc.code}: {detail}") from exc
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                raise SmsDeliveryError(f"Twilio could not be reached: {exc}") from exc
            if body.get("error_code"):
                raise SmsDeliveryError(f"Twilio error {body['error_code']}: {body.get('error_message', '')}")
