"""Fixtures for the messaging tests: a local stub of each provider and clients that post signed
webhooks the way Telegram, WhatsApp (Meta) and Twilio do."""

from __future__ import annotations

import io
import itertools
import json
import time

import pytest
from PIL import Image
from twilio.request_validator import RequestValidator

from messaging.channels.whatsapp import signature_for
from messaging.tests.stub import ProviderStub

TELEGRAM_TOKEN = "123456:TEST-TOKEN"
TELEGRAM_SECRET = "telegram-webhook-secret"
WHATSAPP_APP_SECRET = "whatsapp-app-secret"
WHATSAPP_VERIFY_TOKEN = "whatsapp-verify-token"
WHATSAPP_PHONE_ID = "1098765"
TWILIO_SID = "ACtest0000"
TWILIO_TOKEN = "twilio-auth-token"
TWILIO_FROM = "+15005550006"

TELEGRAM_URL = "/api/v1/channels/telegram/webhook/"
WHATSAPP_URL = "/api/v1/channels/whatsapp/webhook/"
SMS_URL = "/api/v1/channels/sms/webhook/"


def jpeg_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def photo() -> bytes:
    return jpeg_bytes()


@pytest.fixture
def stub(settings, photo):
    """Telegram, WhatsApp and Twilio on one local server, with the settings pointing at it."""
    server = ProviderStub().start()
    counter = itertools.count(1)
    settings.TELEGRAM_BOT_TOKEN = TELEGRAM_TOKEN
    settings.TELEGRAM_WEBHOOK_SECRET = TELEGRAM_SECRET
    settings.TELEGRAM_API_BASE_URL = server.url
    settings.WHATSAPP_ACCESS_TOKEN = "whatsapp-access-token"
    settings.WHATSAPP_APP_SECRET = WHATSAPP_APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = WHATSAPP_VERIFY_TOKEN
    settings.WHATSAPP_PHONE_NUMBER_ID = WHATSAPP_PHONE_ID
    settings.WHATSAPP_API_BASE_URL = server.url
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_FROM_NUMBER = TWILIO_FROM
    settings.TWILIO_API_BASE_URL = server.url
    settings.MESSAGING_PUBLIC_BASE_URL = ""

    bot = f"/bot{TELEGRAM_TOKEN}"
    server.route(
        "POST",
        f"{bot}/sendMessage",
        lambda r: (200, {"ok": True, "result": {"message_id": next(counter)}}, "application/json"),
    )
    server.route(
        "GET",
        f"{bot}/getFile",
        lambda r: (
            200,
            {
                "ok": True,
                "result": {"file_id": r.query.get("file_id"), "file_size": len(photo), "file_path": "photos/p1.jpg"},
            },
            "application/json",
        ),
    )
    server.route("GET", f"/file{bot}/photos/p1.jpg", body=photo, content_type="image/jpeg")
    server.route(
        "POST",
        f"/v21.0/{WHATSAPP_PHONE_ID}/messages",
        lambda r: (200, {"messages": [{"id": f"wamid.out-{next(counter)}"}]}, "application/json"),
    )
    server.route("GET", "/v21.0/MEDIA-1", body={"url": f"{server.url}/media/MEDIA-1", "file_size": len(photo)})
    server.route("GET", "/media/MEDIA-1", body=photo, content_type="image/jpeg")
    server.route(
        "POST",
        f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json",
        lambda r: (201, {"sid": f"SMout{next(counter)}", "num_segments": "1"}, "application/json"),
    )
    yield server
    server.stop()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what the request scheduled after commit (the processing task, sends, the outbox)."""

    def _run():
        return django_capture_on_commit_callbacks(execute=True)

    return _run


class Telegram:
    def __init__(self, client, run_on_commit, *, chat_id=5001, user_id=5001):
        self.client, self.run_on_commit = client, run_on_commit
        self.chat_id, self.user_id = chat_id, user_id
        self.update_ids = itertools.count(1000 + chat_id)

    def update(self, *, update_id=None, date=None, **message):
        body = {
            "update_id": update_id or next(self.update_ids),
            "message": {
                "message_id": 1,
                "date": int(date if date is not None else time.time()),
                "chat": {"id": self.chat_id, "type": "private"},
                "from": {"id": self.user_id, "first_name": "Asha"},
                **message,
            },
        }
        return body

    def post(self, body, *, secret=TELEGRAM_SECRET):
        headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret else {}
        with self.run_on_commit():
            return self.client.post(TELEGRAM_URL, data=json.dumps(body), content_type="application/json", **headers)

    def say(self, text=None, **message):
        if text is not None:
            message["text"] = text
        return self.post(self.update(**message))

    def share_contact(self, phone, *, user_id=None):
        return self.say(contact={"phone_number": phone, "user_id": user_id or self.user_id, "first_name": "Asha"})

    def photo(self, file_id="PHOTO-1", size=None):
        return self.say(photo=[{"file_id": file_id, "file_size": size or 500, "width": 40, "height": 30}])

    def location(self, lat=28.6139, lng=77.209):
        return self.say(location={"latitude": lat, "longitude": lng})


class WhatsApp:
    def __init__(self, client, run_on_commit, *, phone="919811100001"):
        self.client, self.run_on_commit, self.phone = client, run_on_commit, phone
        self.ids = itertools.count(1)

    def envelope(self, message: dict) -> dict:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "contacts": [{"wa_id": self.phone, "profile": {"name": "Ravi"}}],
                                "messages": [message],
                            },
                        }
                    ],
                }
            ],
        }

    def message(self, kind, content, *, msg_id=None, timestamp=None):
        return {
            "from": self.phone,
            "id": msg_id or f"wamid.in-{self.phone}-{next(self.ids)}",
            "timestamp": str(int(timestamp if timestamp is not None else time.time())),
            "type": kind,
            kind: content,
        }

    def post(self, body: dict, *, secret=WHATSAPP_APP_SECRET, signature=None):
        raw = json.dumps(body).encode()
        headers = {}
        if secret or signature:
            headers["HTTP_X_HUB_SIGNATURE_256"] = signature or signature_for(raw, secret)
        with self.run_on_commit():
            return self.client.post(WHATSAPP_URL, data=raw, content_type="application/json", **headers)

    def say(self, text, **kwargs):
        return self.post(self.envelope(self.message("text", {"body": text}, **kwargs)))

    def photo(self, media_id="MEDIA-1"):
        return self.post(self.envelope(self.message("image", {"id": media_id, "mime_type": "image/jpeg"})))

    def location(self, lat=28.6139, lng=77.209):
        return self.post(self.envelope(self.message("location", {"latitude": lat, "longitude": lng})))


class Sms:
    def __init__(self, client, run_on_commit, *, phone="+919822200002"):
        self.client, self.run_on_commit, self.phone = client, run_on_commit, phone
        self.ids = itertools.count(1)

    def say(self, text, *, sid=None, token=TWILIO_TOKEN, signature=None):
        params = {
            "MessageSid": sid or f"SMin{self.phone[-4:]}{next(self.ids)}",
            "AccountSid": TWILIO_SID,
            "From": self.phone,
            "To": TWILIO_FROM,
            "Body": text,
            "NumMedia": "0",
        }
        headers = {}
        if token or signature:
            url = f"http://testserver{SMS_URL}"
            headers["HTTP_X_TWILIO_SIGNATURE"] = signature or RequestValidator(token).compute_signature(url, params)
        with self.run_on_commit():
            return self.client.post(SMS_URL, data=params, **headers)


@pytest.fixture
def telegram(client, run_on_commit, stub):
    return Telegram(client, run_on_commit)


@pytest.fixture
def whatsapp(client, run_on_commit, stub):
    return WhatsApp(client, run_on_commit)


@pytest.fixture
def sms(client, run_on_commit, stub):
    return Sms(client, run_on_commit)


def replies(stub, channel: str) -> list[str]:
    """The texts the app sent out on `channel`, in order."""
    if channel == "telegram":
        return [r.json()["text"] for r in stub.sent("/sendMessage")]
    if channel == "whatsapp":
        return [r.json()["text"]["body"] for r in stub.sent("/messages")]
    return [r.form()["Body"] for r in stub.sent("/Messages.json")]


def option_number(text: str, name: str) -> str:
    """The number the bot put in front of `name` in a numbered list."""
    for line in text.splitlines():
        number, _, label = line.partition(". ")
        if label.strip() == name and number.strip().isdigit():
            return number.strip()
    raise AssertionError(f"{name!r} is not offered in:\n{text}")


@pytest.fixture(autouse=True)
def _no_processing_errors(caplog):
    """A flow that crashed is retried silently in eager mode: fail the test instead."""
    yield
    crashes = [r for r in caplog.records if r.name.startswith("messaging") and r.levelname == "ERROR"]
    assert not crashes, crashes[0].getMessage()


@pytest.fixture
def pothole(citizen, category_infrastructure, category_potholes, sla_default):
    from complaints.tests.factories import file_complaint

    return file_complaint(citizen, category=category_infrastructure, subcategory=category_potholes)


@pytest.fixture
def leak(other_citizen, category_infrastructure, category_water_leak, sla_default):
    from complaints.tests.factories import file_complaint

    return file_complaint(
        other_citizen, title="Burst pipe", category=category_infrastructure, subcategory=category_water_leak
    )
