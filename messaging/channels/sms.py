"""Inbound and outbound SMS through Twilio: X-Twilio-Signature checked with Twilio's own
RequestValidator; replies through the Messages API. Text only (no photos, no locations)."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from messaging.channels.base import Button, Channel, InboundMessage, MediaError, SendError, SendResult, WebhookRejected

SIGNATURE_HEADER = "HTTP_X_TWILIO_SIGNATURE"


def segments(text: str) -> int:
    """SMS segments a text costs: 160/153 GSM characters, 70/67 for Unicode (e.g. Hindi)."""
    unicode = any(ord(ch) > 127 for ch in text)
    single, multi = (70, 67) if unicode else (160, 153)
    return 1 if len(text) <= single else math.ceil(len(text) / multi)


class SmsChannel(Channel):
    name = "sms"
    label = "SMS (Twilio)"
    # Twilio's webhook carries no timestamp: replays are caught by MessageSid alone.
    dated = False

    def is_configured(self) -> bool:
        return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER)

    def configuration(self) -> dict:
        return {
            "api_base_url": settings.TWILIO_API_BASE_URL,
            "from_number": settings.TWILIO_FROM_NUMBER,
            "account_sid_set": bool(settings.TWILIO_ACCOUNT_SID),
            "auth_token_set": bool(settings.TWILIO_AUTH_TOKEN),
            "public_base_url": settings.MESSAGING_PUBLIC_BASE_URL,
        }

    def _signed_url(self, request: HttpRequest) -> str:
        base = settings.MESSAGING_PUBLIC_BASE_URL.rstrip("/")
        return f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()

    def verify(self, request: HttpRequest) -> None:
        token = settings.TWILIO_AUTH_TOKEN
        given = request.META.get(SIGNATURE_HEADER, "")
        if not token:
            raise WebhookRejected("Twilio auth token is not configured")
        params = {key: request.POST.get(key) for key in request.POST}
        if not given or not RequestValidator(token).validate(self._signed_url(request), params, given):
            raise WebhookRejected("bad or missing X-Twilio-Signature")

    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        sid, sender = request.POST.get("MessageSid", ""), request.POST.get("From", "")
        if not sid or not sender:
            raise WebhookRejected("not a Twilio message webhook", status=400)
        return [
            InboundMessage(
                channel=self.name,
                chat_id=sender,
                provider_message_id=sid,
                text=(request.POST.get("Body") or "").strip(),
                # The carrier delivered it from this number.
                sender_phone=sender,
                extra={"num_media": request.POST.get("NumMedia", "0")},
            )
        ]

    def send(self, *, chat_id: str, text: str, buttons: list[Button] | None = None) -> SendResult:
        base = settings.TWILIO_API_BASE_URL.rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
        body = self._json(
            "POST",
            url,
            data={"To": chat_id, "From": settings.TWILIO_FROM_NUMBER, "Body": text},
            auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
        )
        if body.get("error_code") or not body.get("sid"):
            raise SendError(f"Twilio error {body.get('error_code')}: {body.get('error_message', '')}")
        units = body.get("num_segments")
        return SendResult(
            provider_message_id=body["sid"], cost_units=int(units) if str(units).isdigit() else segments(text)
        )

    def download(self, media_ref: str, *, max_bytes: int) -> bytes:
        raise MediaError("SMS conversations are text only.")
