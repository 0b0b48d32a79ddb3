"""Telegram Bot API: webhook with a secret token header, sendMessage, getFile."""

from __future__ import annotations

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

SECRET_HEADER = "HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"


class TelegramChannel(Channel):
    name = "telegram"
    label = "Telegram"

    @property
    def _api(self) -> str:
        return f"{settings.TELEGRAM_API_BASE_URL.rstrip('/')}/bot{settings.TELEGRAM_BOT_TOKEN}"

    def is_configured(self) -> bool:
        return bool(settings.TELEGRAM_BOT_TOKEN and settings.TELEGRAM_WEBHOOK_SECRET)

    def configuration(self) -> dict:
        return {
            "api_base_url": settings.TELEGRAM_API_BASE_URL,
            "bot_token_set": bool(settings.TELEGRAM_BOT_TOKEN),
            "webhook_secret_set": bool(settings.TELEGRAM_WEBHOOK_SECRET),
        }

    def verify(self, request: HttpRequest) -> None:
        expected = settings.TELEGRAM_WEBHOOK_SECRET
        given = request.META.get(SECRET_HEADER, "")
        if not expected:
            raise WebhookRejected("Telegram webhook secret is not configured")
        if not given or not constant_time_compare(given, expected):
            raise WebhookRejected("bad or missing X-Telegram-Bot-Api-Secret-Token")

    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        try:
            update = json.loads(request.body or b"{}")
        except ValueError:
            raise WebhookRejected("body is not JSON", status=400) from None
        if not isinstance(update, dict) or "update_id" not in update:
            raise WebhookRejected("not a Telegram update", status=400)
        message = update.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
            return []  # edited messages, callbacks, joins: nothing to answer
        sender = message.get("from") or {}
        contact = message.get("contact") or {}
        # A shared contact proves the phone only when it is the sender's own.
        own_contact = (
            bool(contact) and contact.get("user_id") is not None and contact.get("user_id") == sender.get("id")
        )
        photos = [p for p in message.get("photo") or [] if isinstance(p, dict) and p.get("file_id")]
        largest = max(photos, key=lambda p: p.get("file_size") or 0) if photos else None
        location = message.get("location") or {}
        return [
            InboundMessage(
                channel=self.name,
                chat_id=str(message["chat"].get("id")),
                provider_message_id=str(update["update_id"]),
                sent_at=epoch(message.get("date")),
                text=(message.get("text") or message.get("caption") or "").strip(),
                sender_phone=contact.get("phone_number", "") if own_contact else "",
                sender_name=" ".join(filter(None, [sender.get("first_name"), sender.get("last_name")])),
                media_ref=largest["file_id"] if largest else "",
                media_size=largest.get("file_size") if largest else None,
                latitude=decimal_or_none(location.get("latitude")) if location else None,
                longitude=decimal_or_none(location.get("longitude")) if location else None,
                extra={"contact_shared": bool(contact), "contact_is_own": own_contact},
            )
        ]

    def send(self, *, chat_id: str, text: str, buttons: list[Button] | None = None) -> SendResult:
        payload: dict = {"chat_id": chat_id, "text": text}
        if buttons:
            payload["reply_markup"] = {
                "keyboard": [
                    [{"text": b.text, "request_contact": b.request_contact, "request_location": b.request_location}]
                    for b in buttons
                ],
                "one_time_keyboard": True,
                "resize_keyboard": True,
            }
        else:
            payload["reply_markup"] = {"remove_keyboard": True}
        body = self._json("POST", f"{self._api}/sendMessage", json=payload)
        if not body.get("ok"):
            raise SendError(f"Telegram refused the message: {body.get('description', body)}")
        result = body.get("result") or {}
        # message_id is unique within a chat only.
        return SendResult(provider_message_id=f"{chat_id}:{result.get('message_id')}", cost_units=0)

    def _file(self, media_ref: str) -> dict:
        try:
            body = self._json("GET", f"{self._api}/getFile", params={"file_id": media_ref})
        except SendError as error:
            raise MediaError(str(error)) from error
        if not body.get("ok"):
            raise MediaError(f"Telegram has no such file: {body.get('description', '')}")
        return body.get("result") or {}

    def media_size(self, media_ref: str) -> int | None:
        return self._file(media_ref).get("file_size")

    def download(self, media_ref: str, *, max_bytes: int) -> bytes:
        info = self._file(media_ref)
        if (info.get("file_size") or 0) > max_bytes:
            raise MediaTooLarge(f"The photo is {info['file_size']} bytes; the limit is {max_bytes}.")
        base = settings.TELEGRAM_API_BASE_URL.rstrip("/")
        return self._stream(
            f"{base}/file/bot{settings.TELEGRAM_BOT_TOKEN}/{info.get('file_path', '')}", max_bytes=max_bytes
        )
