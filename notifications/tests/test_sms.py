import io
import json
import urllib.error
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from notifications import sms
from notifications.sms.backends import console, filebased, twilio


def test_send_sms_uses_the_locmem_backend_in_tests():
    sms.send_sms(to="+919812345678", body="hello")
    assert [(m.to, m.body) for m in sms.outbox] == [("+919812345678", "hello")]


def test_console_backend_writes_the_message():
    stream = io.StringIO()
    console.SmsBackend(stream=stream).send_messages([sms.SmsMessage(to="+919812345678", body="code 123456")])
    assert "+919812345678" in stream.getvalue() and "code 123456" in stream.getvalue()


def test_filebased_backend_writes_one_file_per_message(tmp_path):
    with override_settings(SMS_BACKEND="notifications.sms.backends.filebased.SmsBackend", SMS_FILE_PATH=str(tmp_path)):
        sms.send_sms(to="+919812345678", body="first 111111")
        sms.send_sms(to="+919812345679", body="second 222222")
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    texts = "".join(f.read_text() for f in files)
    assert "first 111111" in texts and "To: +919812345679" in texts
    assert sms.outbox == []


def test_filebased_backend_needs_a_path():
    with override_settings(SMS_FILE_PATH=""), pytest.raises(ImproperlyConfigured):
        filebased.SmsBackend()


TWILIO = {"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "secret", "TWILIO_FROM_NUMBER": "+15005550006"}


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@override_settings(**TWILIO)
def test_twilio_backend_posts_to_the_messages_endpoint():
    with mock.patch("urllib.request.urlopen", return_value=_Response(json.dumps({"sid": "SM1"}).encode())) as urlopen:
        twilio.SmsBackend().send_messages([sms.SmsMessage(to="+919812345678", body="code 123456")])
    request = urlopen.call_args.args[0]
    assert request.full_url == "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
    assert request.get_method() == "POST"
    assert request.headers["Authorization"].startswith("Basic ")
    assert b"To=%2B919812345678" in request.data and b"From=%2B15005550006" in request.data


@override_settings(**TWILIO)
def test_twilio_backend_raises_on_an_http_error():
    error = urllib.error.HTTPError("u", 400, "Bad Request", {}, io.BytesIO(b'{"message": "invalid To"}'))
    with mock.patch("urllib.request.urlopen", side_effect=error), pytest.raises(twilio.SmsDeliveryError):
        twilio.SmsBackend().send_messages([sms.SmsMessage(to="+919812345678", body="x")])


@override_settings(**TWILIO)
def test_twilio_backend_raises_when_unreachable():
    with mock.patch("urllib.request.urlopen", side_effect=urllib.error.URLError("down")):
        with pytest.raises(twilio.SmsDeliveryError):
            twilio.SmsBackend().send_messages([sms.SmsMessage(to="+919812345678", body="x")])


@override_settings(TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", TWILIO_FROM_NUMBER="")
def test_twilio_backend_refuses_to_start_without_credentials():
    with pytest.raises(ImproperlyConfigured):
        twilio.SmsBackend()
