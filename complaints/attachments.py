"""Photo and document uploads: type by content, size limits, EXIF (GPS) stripped before storage."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from grievance.errors import PayloadTooLarge

# Pillow format name -> (content type, file suffix)
IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
PDF = ("application/pdf", ".pdf")
# Refuse decompression bombs early: a 10 MB file may not claim more pixels than this.
Image.MAX_IMAGE_PIXELS = 60_000_000


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    suffix: str


def _strip_image(data: bytes) -> CleanFile | None:
    """Re-encode an image without metadata; None if `data` is not an accepted image."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in IMAGE_TYPES:
            return None
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # Keep the photo upright once the orientation tag is gone.
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            params: dict = {}
            if fmt == "JPEG":
                params = {"quality": 90, "optimize": True}
                if upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
            # No exif=, no pnginfo=, no icc text: nothing but pixels is written.
            upright.save(out, format=fmt, **params)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    content_type, suffix = IMAGE_TYPES[fmt]
    return CleanFile(out.getvalue(), content_type, suffix)


def clean_upload(upload: UploadedFile) -> CleanFile:
    """Validate an upload by its bytes (never its name or declared type) and strip metadata."""
    limit = settings.COMPLAINT_ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise PayloadTooLarge(f"Files may be at most {limit // (1024 * 1024)} MB.")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"Files may be at most {limit // (1024 * 1024)} MB.")
    if not data:
        raise ValidationError({"file": "The file is empty."})
    if data.startswith(b"%PDF-"):
        return CleanFile(data, *PDF)
    image = _strip_image(data)
    if image is None:
        raise ValidationError({"file": "Upload a JPEG, PNG or WebP photo or a PDF document."})
    return image
