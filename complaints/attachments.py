"""Photo and document uploads: type by content, size and pixel limits, every metadata segment removed.

- Images (JPEG, PNG, WebP): the pixel count is read from the header and checked against
  `ATTACHMENT_MAX_PIXELS` before anything is decoded (a 333 KB PNG can claim 110 megapixels).
  Each file is decoded once and re-encoded from its pixels alone: no EXIF/GPS, no JPEG COM or APPn
  segments, no PNG text/eXIf/private chunks, no WebP EXIF/XMP chunks, no ICC profile.
- PDFs are rewritten (pikepdf/qpdf) without the document information dictionary, without any XMP
  /Metadata stream, page-piece data, scripts, open actions or embedded files; JPEG images inside lose
  their APPn/COM segments (EXIF, GPS, XMP, IPTC). A PDF we cannot read or clean is refused.

`clean_upload` remembers its result for the upload object, so the filing page's form validation and
the service that stores the file share one decode.
"""

from __future__ import annotations

import io
import warnings
import weakref
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from grievance.errors import PayloadTooLarge

# Pillow format name -> (content type, file suffix)
IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
PDF = ("application/pdf", ".pdf")
NOT_ACCEPTED = "Upload a JPEG, PNG or WebP photo or a PDF document."

# Pillow's own decompression-bomb guard as a second line behind the header check below: at the
# configured limit it raises (a warning turned into an error) instead of only warning.
Image.MAX_IMAGE_PIXELS = settings.ATTACHMENT_MAX_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    suffix: str


def _too_many_pixels(width: int, height: int) -> PayloadTooLarge:
    limit = settings.ATTACHMENT_MAX_PIXELS
    return PayloadTooLarge(
        f"Images may have at most {limit / 1_000_000:g} megapixels; this one has {width} x {height}."
    )


def _strip_image(data: bytes) -> CleanFile | None:
    """Re-encode an image from its pixels alone; None if `data` is not an accepted image."""
    try:
        # Image.open parses the header only: size and format are known, nothing is decoded yet.
        with Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES)) as image:
            fmt = image.format
            width, height = image.size
            if width * height > settings.ATTACHMENT_MAX_PIXELS:
                raise _too_many_pixels(width, height)
            image.load()  # the one decode
            # Keep the photo upright once the orientation tag is gone.
            ImageOps.exif_transpose(image, in_place=True)
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            # Nothing but pixels (and PNG transparency) goes out: Pillow copies some keys of `info`
            # (e.g. a JPEG comment) into the file it writes, so `info` is emptied first.
            transparency = image.info.get("transparency") if fmt == "PNG" else None
            image.info = {} if transparency is None else {"transparency": transparency}
            out = io.BytesIO()
            params: dict = {"quality": 90, "optimize": True} if fmt == "JPEG" else {}
            if fmt == "WEBP":
                params = {"quality": 90}
            image.save(out, format=fmt, **params)
            content = out.getvalue()
            if fmt == "JPEG":
                # Not even the JFIF header Pillow writes: no APPn or COM segment at all.
                content = strip_jpeg_segments(content)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge(
            f"Images may have at most {settings.ATTACHMENT_MAX_PIXELS / 1_000_000:g} megapixels."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return None
    content_type, suffix = IMAGE_TYPES[fmt]
    return CleanFile(content, content_type, suffix)


# --- PDF ------------------------------------------------------------------------------------------
_STANDALONE_MARKERS = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: no length field


def strip_jpeg_segments(data: bytes) -> bytes:
    """`data` (a JPEG stream) without APP0-APP15 and COM segments; the Adobe APP14 flags segment,
    which tells decoders the colour transform and carries nothing about the author, is kept.
    Raises ValueError if `data` is not a well-formed JPEG stream."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG stream")
    out = bytearray(b"\xff\xd8")
    pos, end = 2, len(data)
    seen_scan = False
    while pos < end:
        if data[pos] != 0xFF:
            raise ValueError("JPEG marker expected")
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            out += b"\xff\xd9"
            return bytes(out)
        if marker in _STANDALONE_MARKERS:
            out += bytes((0xFF, marker))
            continue
        if pos + 2 > end:
            raise ValueError("truncated JPEG segment")
        length = int.from_bytes(data[pos : pos + 2], "big")
        segment_end = pos + length
        if length < 2 or segment_end > end:
            raise ValueError("bad JPEG segment length")
        payload = data[pos + 2 : segment_end]
        is_metadata = 0xE0 <= marker <= 0xEF or marker == 0xFE
        if not is_metadata or (marker == 0xEE and payload.startswith(b"Adobe") and length <= 14):
            out += bytes((0xFF, marker)) + data[pos:segment_end]
        pos = segment_end
        if marker == 0xDA:  # SOS: entropy-coded data follows up to the next real marker
            seen_scan = True
            scan_start = pos
            while pos + 1 < end and not (
                data[pos] == 0xFF and data[pos + 1] != 0x00 and data[pos + 1] not in _STANDALONE_MARKERS
                and data[pos + 1] != 0xFF
            ):
                pos += 1
            if pos + 1 >= end:
                pos = end
            out += data[scan_start:pos]
    if not seen_scan:
        raise ValueError("JPEG stream without image data")
    return bytes(out)


def _filters(stream) -> list[str]:
    import pikepdf

    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(v) for v in value]
    return [str(value)]


def _clean_pdf(data: bytes) -> CleanFile:
    """Rewrite a PDF without metadata. Raises ValidationError if it cannot be read or cleaned."""
    # Imported here: qpdf's bindings load (and log) only when a PDF actually arrives.
    import pikepdf

    refused = ValidationError({"file": "This PDF could not be read; upload a plain PDF or a photo."})
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise ValidationError({"file": "Encrypted PDFs are not accepted."})
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            root = pdf.Root
            for key in ("/Metadata", "/OpenAction", "/AA", "/PieceInfo"):
                if key in root:
                    del root[key]
            names = root.get("/Names")
            if names is not None:
                for key in ("/JavaScript", "/EmbeddedFiles"):
                    if key in names:
                        del names[key]
            for obj in pdf.objects:
                if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    continue
                for key in ("/Metadata", "/PieceInfo", "/AA"):
                    if key in obj:
                        del obj[key]
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
                    filters = _filters(obj)
                    if "/JPXDecode" in filters:
                        # JPEG 2000 boxes can carry metadata we do not parse: refuse, never keep.
                        raise ValidationError({"file": "PDFs with JPEG 2000 images are not accepted."})
                    if filters == ["/DCTDecode"]:
                        obj.write(strip_jpeg_segments(obj.read_raw_bytes()), filter=pikepdf.Name.DCTDecode)
            out = io.BytesIO()
            # A fresh /ID from the content: the original one can link the file to its author's machine.
            pdf.save(out, fix_metadata_version=False, deterministic_id=True)
    except ValidationError:
        raise
    except (pikepdf.PdfError, ValueError, KeyError, TypeError):
        raise refused from None
    return CleanFile(out.getvalue(), *PDF)


# --- entry point ----------------------------------------------------------------------------------
# upload object -> its CleanFile, so validating a form and storing the file decode it once.
_cleaned: weakref.WeakKeyDictionary[UploadedFile, CleanFile] = weakref.WeakKeyDictionary()


def clean_upload(upload: UploadedFile) -> CleanFile:
    """Validate an upload by its bytes (never its name or declared type) and strip its metadata.

    PayloadTooLarge (413) for too many bytes or pixels, ValidationError (400) for anything else.
    """
    known = _cleaned.get(upload)
    if known is not None:
        return known
    limit = settings.COMPLAINT_ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise PayloadTooLarge(f"Files may be at most {limit // (1024 * 1024)} MB.")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"Files may be at most {limit // (1024 * 1024)} MB.")
    if not data:
        raise ValidationError({"file": "The file is empty."})
    if data.startswith(b"%PDF-"):
        clean = _clean_pdf(data)
    else:
        clean = _strip_image(data)
        if clean is None:
            raise ValidationError({"file": NOT_ACCEPTED})
    _cleaned[upload] = clean
    return clean
