"""One interface for every chat provider: verify and parse an inbound webhook into normalised
messages; send text out; fetch a photo the citizen sent, with a size limit.

Providers answer over HTTP with `requests`; their origins are settings, so tests run against a
local stub server. Errors are typed: `WebhookRejected` (refuse the call, log it), `SendError`
(retry later), `MediaTooLarge` / `MediaError` (tell the citizen).
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal

import requests
from django.conf import settings
from django.http import HttpRequest


class WebhookRejected(Exception):
    """An unsigned, wrongly signed or malformed webhook: answered 403/400, never processed."""

    def __init__(self, reason: str, *, status: int = 403):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class SendError(Exception):
    """The provider did not take the message (network, 4xx/5xx, an error in the answer)."""


class MediaError(Exception):
    """The citizen's photo could not be fetched."""


class MediaTooLarge(MediaError):
    pass


@dataclass(frozen=True)
class Button:
    text: str
    request_contact: bool = False
    request_location: bool = False


@dataclass(frozen=True)
class InboundMessage:
    """A provider's message in one shape. `sender_phone` is set only when the provider vouches for
    it (WhatsApp and SMS always; Telegram when the citizen shares their own contact)."""

    channel: str
    chat_id: str
    provider_message_id: str
    sent_at: dt.datetime | None = None
    text: str = ""
    sender_phone: str = ""
    sender_name: str = ""
    media_ref: str = ""
    media_size: int | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    extra: dict = field(default_factory=dict)

    def as_payload(self) -> dict:
        data = asdict(self)
        data["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        for name in ("latitude", "longitude"):
            data[name] = str(data[name]) if data[name] is not None else None
        return data


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    cost_units: int = 0


class Channel(abc.ABC):
    name: str
    label: str
    # Whether the provider dates its messages (so old ones can be refused as replays).
    dated: bool = True

    @abc.abstractmethod
    def is_configured(self) -> bool: ...

    @abc.abstractmethod
    def configuration(self) -> dict:
        """What staff may see of the configuration: no secrets, only whether they are set."""

    @abc.abstractmethod
    def verify(self, request: HttpRequest) -> None:
        """Raise WebhookRejected unless the request is signed by the provider."""

    @abc.abstractmethod
    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        """The messages in a verified webhook (status callbacks and the like give none)."""

    @abc.abstractmethod
    def send(self, *, chat_id: str, text: str, buttons: list[Button] | None = None) -> SendResult: ...

    def media_size(self, media_ref: str) -> int | None:
        """The photo's size in bytes as the provider declares it (None: unknown until downloaded)."""
        return None

    @abc.abstractmethod
    def download(self, media_ref: str, *, max_bytes: int) -> bytes:
        """The photo's bytes; MediaTooLarge beyond `max_bytes` (the download stops there)."""

    # --- HTTP helpers shared by the providers --------------------------------------------------
    @property
    def timeout(self) -> int:
        return settings.MESSAGING_HTTP_TIMEOUT_SECONDS

    def _json(self, method: str, url: str, **kwargs) -> dict:
        try:
            response = requests.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise SendError(f"{self.label} could not be reached: {error}") from error
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            raise SendError(f"{self.label} answered {response.status_code}: {response.text[:300]}")
        return body if isinstance(body, dict) else {}

    def _stream(self, url: str, *, max_bytes: int, **kwargs) -> bytes:
        try:
            with requests.get(url, timeout=self.timeout, stream=True, **kwargs) as response:
                if response.status_code >= 400:
                    raise MediaError(f"{self.label} answered {response.status_code} for the photo")
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise MediaTooLarge(f"The photo is {declared} bytes; the limit is {max_bytes}.")
                chunks, total = [], 0
                for chunk in response.iter_content(64 * 1024):
                    total += len(chunk)
                    if total > max_bytes:
                        raise MediaTooLarge(f"The photo is over the limit of {max_bytes} bytes.")
                    chunks.append(chunk)
                return b"".join(chunks)
        except requests.RequestException as error:
            raise MediaError(f"{self.label} could not be reached for the photo: {error}") from error


def epoch(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def decimal_or_none(value) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    except (ArithmeticError, ValueError, TypeError):
        return None
