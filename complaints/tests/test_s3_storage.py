"""Attachments on S3-compatible storage, against a local S3 endpoint (moto's server on 127.0.0.1)."""

import io
import socket
import urllib.request

import boto3
import pytest
from django.test import override_settings
from PIL import Image

from complaints.models import Attachment

BUCKET = "grievance-test-media"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint):
    storages = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "region_name": CREDENTIALS["region_name"],
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)


def _bucket_keys(client) -> set[str]:
    return {obj["Key"] for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def _photo_with_exif() -> io.BytesIO:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = "photo.jpg"
    return buffer


@pytest.mark.django_db
def test_attachment_goes_to_the_bucket_stripped_and_is_served_by_a_short_lived_signed_url(
    s3_storage, auth_client, citizen, other_citizen, pothole
):
    client = auth_client(citizen)
    response = client.post(
        f"/api/v1/complaints/{pothole.pk}/attachments/", {"file": _photo_with_exif()}, format="multipart"
    )
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.file.name in _bucket_keys(s3_storage)
    stored = s3_storage.get_object(Bucket=BUCKET, Key=attachment.file.name)["Body"].read()
    assert b"PhoneMaker" not in stored

    download = client.get(response.json()["download_url"])
    assert download.status_code == 302
    signed_url = download["Location"]
    assert "Signature=" in signed_url and "Expires=" in signed_url
    with urllib.request.urlopen(signed_url, timeout=10) as fetched:
        assert fetched.read() == stored
    # Someone who may not see the complaint gets no URL at all.
    assert auth_client(other_citizen).get(response.json()["download_url"]).status_code == 404


@pytest.mark.django_db
def test_refused_upload_leaves_no_object_in_the_bucket(s3_storage, auth_client, citizen, pothole, settings):
    settings.COMPLAINT_MAX_ATTACHMENTS = 1
    client = auth_client(citizen)
    url = f"/api/v1/complaints/{pothole.pk}/attachments/"
    assert client.post(url, {"file": _photo_with_exif()}, format="multipart").status_code == 201
    keys = _bucket_keys(s3_storage)
    assert client.post(url, {"file": _photo_with_exif()}, format="multipart").status_code == 409
    assert _bucket_keys(s3_storage) == keys
