import io
from pathlib import Path

import pytest
from PIL import Image

from complaints.models import Attachment

pytestmark = pytest.mark.django_db


def _jpeg_with_gps() -> io.BytesIO:
    image = Image.new("RGB", (32, 24), "blue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (28.0, 36.0, 50.0), 3: "E", 4: (77.0, 12.0, 32.0)}
    exif[0x8825] = gps  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = "IMG_0001.jpg"
    return buffer


def _upload(client, complaint, fileobj):
    return client.post(f"/api/v1/complaints/{complaint.pk}/attachments/", {"file": fileobj}, format="multipart")


def _named(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def test_photo_is_stored_without_exif_and_gps(auth_client, citizen, pothole):
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original.getvalue())).getexif().get(0x8825)
    response = _upload(auth_client(citizen), pothole, original)
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == "image/jpeg"
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as stored:
        data = stored.read()
    stored_image = Image.open(io.BytesIO(data))
    assert dict(stored_image.getexif()) == {}
    assert b"PhoneMaker" not in data
    # The owner downloads it through the permission-checked route.
    download = auth_client(citizen).get(response.json()["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data


def test_type_is_recognised_by_content_not_by_name(auth_client, citizen, pothole):
    text_named_as_photo = _named(b"just some text pretending to be a photo", "photo.jpg")
    response = _upload(auth_client(citizen), pothole, text_named_as_photo)
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    png_named_as_pdf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(png_named_as_pdf, format="PNG")
    response = _upload(auth_client(citizen), pothole, _named(png_named_as_pdf.getvalue(), "scan.pdf"))
    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"


def test_pdf_is_accepted(auth_client, citizen, pothole):
    response = _upload(
        auth_client(citizen), pothole, _named(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF", "bill.pdf")
    )
    assert response.status_code == 201
    assert response.json()["content_type"] == "application/pdf"


def test_file_over_the_limit_is_413_and_stores_nothing(auth_client, citizen, pothole, settings):
    settings.COMPLAINT_ATTACHMENT_MAX_BYTES = 1024
    response = _upload(auth_client(citizen), pothole, _named(b"%PDF-" + b"x" * 2048, "big.pdf"))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Attachment.objects.exists()


def _stored_files(media_root) -> set[str]:
    root = Path(media_root)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_sixth_attachment_is_refused_and_leaves_no_orphan_file(auth_client, citizen, pothole, settings):
    client = auth_client(citizen)
    for n in range(5):
        assert _upload(client, pothole, _named(b"%PDF-1.4 " + bytes([n]), f"{n}.pdf")).status_code == 201
    stored_before = _stored_files(settings.MEDIA_ROOT)
    response = _upload(client, pothole, _named(b"%PDF-1.4 sixth", "6.pdf"))
    assert response.status_code == 409
    assert Attachment.objects.count() == 5
    assert _stored_files(settings.MEDIA_ROOT) == stored_before


def test_empty_upload_is_400(auth_client, citizen, pothole):
    assert _upload(auth_client(citizen), pothole, _named(b"", "empty.png")).status_code == 400


def test_other_citizen_cannot_download(auth_client, citizen, other_citizen, pothole):
    response = _upload(auth_client(citizen), pothole, _named(b"%PDF-1.4 x", "a.pdf"))
    url = response.json()["download_url"]
    assert auth_client(other_citizen).get(url).status_code == 404
