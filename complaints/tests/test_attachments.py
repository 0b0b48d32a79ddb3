import io
import struct
import time
import zlib
from pathlib import Path

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageFile, PngImagePlugin

from complaints.attachments import clean_upload, strip_jpeg_segments
from complaints.models import Attachment, Complaint
from grievance.errors import PayloadTooLarge

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


def _pdf(title: str = "bill") -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Title"] = title
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_pdf_is_accepted(auth_client, citizen, pothole):
    response = _upload(auth_client(citizen), pothole, _named(_pdf(), "bill.pdf"))
    assert response.status_code == 201
    assert response.json()["content_type"] == "application/pdf"


def test_something_that_only_starts_like_a_pdf_is_400(auth_client, citizen, pothole):
    response = _upload(auth_client(citizen), pothole, _named(b"%PDF-1.4\n this is not a PDF at all", "bill.pdf"))
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert not Attachment.objects.exists()


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
        assert _upload(client, pothole, _named(_pdf(str(n)), f"{n}.pdf")).status_code == 201
    stored_before = _stored_files(settings.MEDIA_ROOT)
    response = _upload(client, pothole, _named(_pdf("sixth"), "6.pdf"))
    assert response.status_code == 409
    assert Attachment.objects.count() == 5
    assert _stored_files(settings.MEDIA_ROOT) == stored_before


def test_empty_upload_is_400(auth_client, citizen, pothole):
    assert _upload(auth_client(citizen), pothole, _named(b"", "empty.png")).status_code == 400


def test_other_citizen_cannot_download(auth_client, citizen, other_citizen, pothole):
    response = _upload(auth_client(citizen), pothole, _named(_pdf(), "a.pdf"))
    url = response.json()["download_url"]
    assert auth_client(other_citizen).get(url).status_code == 404


# --- crafted files: decompression bombs -----------------------------------------------------------
def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _bomb_png(width: int = 11_000, height: int = 10_000) -> bytes:
    """A valid, tiny PNG of width x height 1-bit grey pixels (all black)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    )


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails the test if any image is decoded (ImageFile.load allocates the whole bitmap)."""
    calls = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: calls.append(self) or pytest.fail("decoded"))
    return calls


def test_pixel_bomb_is_refused_from_its_header_without_decoding(no_decoding):
    bomb = _bomb_png()
    assert len(bomb) < 400_000  # 110 megapixels in a small file
    started = time.perf_counter()
    with pytest.raises(PayloadTooLarge, match="megapixels"):
        clean_upload(SimpleUploadedFile("bomb.png", bomb))
    assert time.perf_counter() - started < 0.25
    assert no_decoding == []


def test_pixel_bomb_upload_is_413_and_stores_nothing(auth_client, citizen, pothole, no_decoding):
    response = _upload(auth_client(citizen), pothole, _named(_bomb_png(), "bomb.png"))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert "megapixels" in response.json()["detail"]
    assert not Attachment.objects.exists()


def test_the_pixel_limit_is_a_setting_and_pillow_itself_raises_at_it(settings):
    from complaints import attachments

    assert Image.MAX_IMAGE_PIXELS == settings.ATTACHMENT_MAX_PIXELS == 40_000_000
    settings.ATTACHMENT_MAX_PIXELS = 63
    with pytest.raises(PayloadTooLarge):
        clean_upload(SimpleUploadedFile("8x8.png", _png(8, 8)))
    settings.ATTACHMENT_MAX_PIXELS = 64
    assert clean_upload(SimpleUploadedFile("8x8.png", _png(8, 8))).content_type == "image/png"
    # Behind the header check, Pillow raises (not warns) on anything above the limit.
    assert attachments.Image is Image
    with pytest.raises((Image.DecompressionBombError, Image.DecompressionBombWarning)):
        Image.open(io.BytesIO(_bomb_png(8_000, 6_000)))


def _png(width: int, height: int, **params) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, format="PNG", **params)
    return buffer.getvalue()


# --- crafted files: metadata ----------------------------------------------------------------------
SECRET = b"SECRET-4711"


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker-" + SECRET.decode()  # Make
    exif[0x8825] = {1: "N", 2: (28.0, 36.0, 50.0), 3: "E", 4: (77.0, 12.0, 32.0)}  # GPSInfo
    return exif


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to and including the first SOS."""
    markers, pos = [], 2
    while True:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]


def _loaded_jpeg_with_every_metadata_segment() -> bytes:
    image = Image.new("RGB", (40, 30), "blue")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=_exif_with_gps(), comment=SECRET + b" comment", icc_profile=SECRET + b"icc")
    data = buffer.getvalue()
    xmp = _jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + SECRET + b"</x:xmpmeta>")
    iptc = _jpeg_segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04" + SECRET)
    vendor = _jpeg_segment(0xE9, b"CameraVendor\x00" + SECRET)
    return data[:2] + xmp + iptc + vendor + data[2:]


def test_jpeg_loses_exif_gps_comment_and_every_app_segment(auth_client, citizen, pothole):
    original = _loaded_jpeg_with_every_metadata_segment()
    assert {0xE1, 0xE2, 0xE9, 0xED, 0xFE} <= set(_jpeg_markers(original))
    assert Image.open(io.BytesIO(original)).info.get("comment")
    response = _upload(auth_client(citizen), pothole, _named(original, "IMG_0002.jpg"))
    assert response.status_code == 201, response.json()
    with Attachment.objects.get().file.open("rb") as stored:
        data = stored.read()
    markers = _jpeg_markers(data)
    assert not [m for m in markers if 0xE0 <= m <= 0xEF or m == 0xFE]
    assert SECRET not in data and b"Exif" not in data
    image = Image.open(io.BytesIO(data))
    assert image.size == (40, 30) and dict(image.getexif()) == {} and "comment" not in image.info


def test_jpeg_orientation_is_applied_before_the_tag_goes():
    image = Image.new("RGB", (40, 20), "green")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    clean = clean_upload(SimpleUploadedFile("turned.jpg", buffer.getvalue()))
    assert Image.open(io.BytesIO(clean.content)).size == (20, 40)


def _png_chunk_types(data: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return kinds


def test_png_loses_text_itxt_ztxt_exif_icc_and_private_chunks(auth_client, citizen, pothole):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SECRET.decode())
    info.add_text("Comment", SECRET.decode() * 20, zip=True)
    info.add_itxt("Description", SECRET.decode(), lang="en")
    info.add(b"prVt", SECRET)
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 128))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, exif=_exif_with_gps(), icc_profile=SECRET, dpi=(300, 300))
    original = buffer.getvalue()
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"prVt"} <= set(_png_chunk_types(original))
    response = _upload(auth_client(citizen), pothole, _named(original, "screenshot.png"))
    assert response.status_code == 201, response.json()
    with Attachment.objects.get().file.open("rb") as stored:
        data = stored.read()
    assert set(_png_chunk_types(data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    assert SECRET not in data
    stored_image = Image.open(io.BytesIO(data))
    assert stored_image.mode == "RGBA" and stored_image.getpixel((0, 0)) == (255, 0, 0, 128)


def _riff_chunk_types(data: bytes) -> list[bytes]:
    kinds, pos = [], 12
    while pos < len(data):
        kind, length = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        kinds.append(kind)
        pos += 8 + length + (length & 1)
    return kinds


def test_webp_loses_exif_xmp_and_icc(auth_client, citizen, pothole):
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "yellow").save(
        buffer, format="WEBP", exif=_exif_with_gps(), xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>", icc_profile=SECRET
    )
    original = buffer.getvalue()
    assert {b"EXIF", b"XMP ", b"ICCP"} <= set(_riff_chunk_types(original))
    response = _upload(auth_client(citizen), pothole, _named(original, "photo.webp"))
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == "image/webp"
    with Attachment.objects.get().file.open("rb") as stored:
        data = stored.read()
    assert not {b"EXIF", b"XMP ", b"ICCP"} & set(_riff_chunk_types(data))
    assert SECRET not in data


def _pdf_with_metadata_everywhere() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Author"] = "Jane Citizen " + SECRET.decode()
    pdf.docinfo["/Producer"] = "ScannerApp " + SECRET.decode()
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = ["Jane Citizen " + SECRET.decode()]
    photo = io.BytesIO()
    Image.new("RGB", (20, 10), "blue").save(photo, format="JPEG", exif=_exif_with_gps(), comment=SECRET)
    image = pikepdf.Stream(pdf, photo.getvalue())
    image.Type, image.Subtype, image.Filter = pikepdf.Name.XObject, pikepdf.Name.Image, pikepdf.Name.DCTDecode
    image.Width, image.Height, image.BitsPerComponent = 20, 10, 8
    image.ColorSpace = pikepdf.Name.DeviceRGB
    image.Metadata = pikepdf.Stream(pdf, b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>")
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pikepdf.Stream(pdf, b"q 200 0 0 100 0 0 cm /Im0 Do Q")
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def test_pdf_is_rewritten_without_info_xmp_scripts_or_photo_exif(auth_client, citizen, pothole):
    original = _pdf_with_metadata_everywhere()
    assert original.count(SECRET) >= 4
    response = _upload(auth_client(citizen), pothole, _named(original, "scan.pdf"))
    assert response.status_code == 201, response.json()
    with Attachment.objects.get().file.open("rb") as stored:
        data = stored.read()
    assert SECRET not in data and b"Exif" not in data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/Info" not in pdf.trailer
        assert "/OpenAction" not in pdf.Root
        assert not [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary | pikepdf.Stream) and "/Metadata" in o]
        assert len(pdf.pages) == 1
        photo = pdf.pages[0].Resources.XObject.Im0
        jpeg = photo.read_raw_bytes()
    assert not [m for m in _jpeg_markers(jpeg) if 0xE0 <= m <= 0xEF or m == 0xFE]
    assert Image.open(io.BytesIO(jpeg)).convert("RGB").getpixel((5, 5))[2] > 200  # still the blue photo


def test_jpeg_segment_stripper_keeps_the_image_and_refuses_garbage():
    original = _loaded_jpeg_with_every_metadata_segment()
    stripped = strip_jpeg_segments(original)
    assert SECRET not in stripped
    assert Image.open(io.BytesIO(stripped)).convert("RGB").getpixel((1, 1))[2] > 200
    progressive = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(progressive, format="JPEG", progressive=True, comment=SECRET)
    assert Image.open(io.BytesIO(strip_jpeg_segments(progressive.getvalue()))).size == (64, 64)
    for garbage in (b"", b"\xff\xd8\xff", b"\xff\xd8\xff\xe1\xff\xff", b"GIF89a"):
        with pytest.raises(ValueError):
            strip_jpeg_segments(garbage)


# --- the filing page decodes each file once ---------------------------------------------------------
@pytest.fixture
def filing_data(category_infrastructure, category_potholes, dept_roads, sla_default):
    return {
        "title": "Pothole near the market",
        "description": "A deep pothole in the left lane.",
        "category": str(category_infrastructure.pk),
        "subcategory": str(category_potholes.pk),
        "address": "Ring Road",
        "ward": "Ward 42",
        "latitude": "28.567800",
        "longitude": "77.243400",
    }


def test_filing_page_decodes_each_photo_once_and_stores_it_clean(citizen, filing_data, monkeypatch):
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **kw: opened.append(1) or real_open(*a, **kw))
    photos = [
        SimpleUploadedFile("a.jpg", _loaded_jpeg_with_every_metadata_segment(), content_type="image/jpeg"),
        SimpleUploadedFile("b.png", _png(8, 8), content_type="image/png"),
    ]
    client = Client()
    client.force_login(citizen)
    response = client.post(reverse("complaints:new"), {**filing_data, "files": photos})
    assert response.status_code == 302
    assert len(opened) == 2
    complaint = Complaint.objects.get()
    assert complaint.attachments.count() == 2
    for attachment in complaint.attachments.all():
        with attachment.file.open("rb") as stored:
            assert SECRET not in stored.read()


def test_filing_page_refuses_a_pixel_bomb_without_decoding(citizen, filing_data, no_decoding):
    client = Client()
    client.force_login(citizen)
    bomb = SimpleUploadedFile("bomb.png", _bomb_png(), content_type="image/png")
    response = client.post(reverse("complaints:new"), {**filing_data, "files": [bomb]})
    assert response.status_code in (400, 413)
    assert "megapixels" in response.content.decode()
    assert not Complaint.objects.exists()
