"""WhatsApp Cloud API: GET verification challenge, X-Hub-Signature-256 (HMAC-SHA256 of the raw body
with the app secret), /messages to send, media lookups to fetch photos."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from messaging.channels.base import (
    Button,
    Channel,
    InboundMessage,
    MediaError,
    MediaTooLarge,
    SendError,
    SendResult,
    WebhookRejected,
    decimal_or_none,
    epoch,
)

SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"


def signature_for(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WhatsAppChannel(Channel):
    name = "whatsapp"
    label = "WhatsApp"

    @property
    def _api(self) -> str:
        return f"{settings.WHATSAPP_API_BASE_URL.rstrip('/')}/{settings.WHATSAPP_API_VERSION}"

    @property
    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"}

    def is_configured(self) -> bool:
        return bool(
            settings.WHATSAPP_ACCESS_TOKEN
            and settings.WHATSAPP_APP_SECRET
            and settings.WHATSAPP_VERIFY_TOKEN
            and settings.WHATSAPP_PHONE_NUMBER_ID
        )

    def configuration(self) -> dict:
        return {
            "api_base_url": settings.WHATSAPP_API_BASE_URL,
            "api_version": settings.WHATSAPP_API_VERSION,
            "phone_number_id": settings.WHATSAPP_PHONE_NUMBER_ID,
            "access_token_set": bool(settings.WHATSAPP_ACCESS_TOKEN),
            "app_secret_set": bool(settings.WHATSAPP_APP_SECRET),
            "verify_token_set": bool(settings.WHATSAPP_VERIFY_TOKEN),
        }

    def challenge(self, request: HttpRequest) -> str:
        """Meta's subscription check: echo hub.challenge when hub.verify_token is ours."""
        expected = settings.WHATSAPP_VERIFY_TOKEN
        if (
            not expected
            or request.GET.get("hub.mode") != "subscribe"
            or not constant_time_compare(request.GET.get("hub.verify_token", ""), expected)
        ):
            raise WebhookRejected("bad WhatsApp verify token")
        return request.GET.get("hub.challenge", "")

    def verify(self, request: HttpRequest) -> None:
        secret = settings.WHATSAPP_APP_SECRET
        given = request.META.get(SIGNATURE_HEADER, "")
        if not secret:
            raise WebhookRejected("WhatsApp app secret is not configured")
        if not given or not constant_time_compare(given, signature_for(request.body, secret)):
            raise WebhookRejected("bad or missing X-Hub-Signature-256")

    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise WebhookRejected("body is not JSON", status=400) from None
        if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
            raise WebhookRejected("not a WhatsApp Business webhook", status=400)
        found = []
        for entry in data.get("entry") or []:
            for change in (entry or {}).get("changes") or []:
                value = (change or {}).get("value") or {}
                names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []}
                # `statuses` (delivered/read receipts) carry no message from the citizen.
                for message in value.get("messages") or []:
                    if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
                        continue
                    kind = message.get("type")
                    image = message.get("image") or {} if kind == "image" else {}
                    location = message.get("location") or {} if kind == "location" else {}
                    text = ""
                    if kind == "text":
                        text = (message.get("text") or {}).get("body", "")
                    elif kind == "interactive":
                        reply = (message.get("interactive") or {}).get("button_reply") or {}
                        text = reply.get("title", "")
                    elif image:
                        text = image.get("caption", "")
                    found.append(
                        InboundMessage(
                            channel=self.name,
                            chat_id=str(message["from"]),
                            provider_message_id=str(message["id"]),
                            sent_at=epoch(message.get("timestamp")),
                            text=text.strip(),
                            # WhatsApp vouches for the number the message came from.
                            sender_phone="+" + str(message["from"]).lstrip("+"),
                            sender_name=names.get(message["from"], ""),
                            media_ref=image.get("id", ""),
                            latitude=decimal_or_none(location.get("latitude")) if location else None,
                            longitude=decimal_or_none(location.get("longitude")) if location else None,
                        )
                    )
        return found

    def send(self, *, chat_id: str, text: str, buttons: list[Button] | None = None) -> SendResult:
        # Plain text: numbered choices work on every handset and need no approved template.
        payload = {"messaging_product": "whatsapp", "to": chat_id, "type": "text", "text": {"body": text}}
        body = self._json(
            "POST", f"{self._api}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages", json=payload, headers=self._auth
        )
        messages = body.get("messages") or []
        if not messages or not messages[0].get("id"):
            raise SendError(f"WhatsApp gave no message id: {body}")
        return SendResult(provider_message_id=messages[0]["id"], cost_units=1)

    def _media(self, media_ref: str) -> dict:
        try:
            return self._json("GET", f"{self._api}/{media_ref}", headers=self._auth)
        except SendError as error:
            raise MediaError(str(error)) from error

    def media_size(self, media_ref: str) -> int | None:
        size = self._media(media_ref).get("file_size")
        return int(size) if str(size or "").isdigit() else None

    def download(self, media_ref: str, *, max_bytes: int) -> bytes:
        info = self._media(media_ref)
        size = info.get("file_size")
        if str(size or "").isdigit() and int(size) > max_bytes:
            raise MediaTooLarge(f"The photo is {size} bytes; the limit is {max_bytes}.")
        if not info.get("url"):
            raise MediaError("WhatsApp gave no media URL")
        return self._stream(info["url"], max_bytes=max_bytes, headers=self._auth)
