"""Phone numbers: parsed with `phonenumbers` and stored in E.164 (+919812345678)."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Return `raw` in E.164, or raise ValidationError with a message a person can act on.

    Numbers without a leading + are read in the default region (settings.PHONE_DEFAULT_REGION).
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter a phone number.", code="required")
    if len(text) > 32:
        raise ValidationError("Enter a valid phone number.", code="invalid_phone")
    try:
        parsed = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a valid phone number.", code="invalid_phone") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("Enter a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str) -> bool:
    """A login string without '@' is taken as a phone number."""
    return "@" not in (text or "")
