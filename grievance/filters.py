"""Typed query-parameter fields shared by the filter sets: bad input is a 400 with a field error
(or an empty list), never a 500 from a later int() or a date the database cannot hold."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

# ASCII only: str.isdigit() accepts "²" and "٣", which int() then refuses or reads differently.
ID_PATTERN = re.compile(r"[0-9]{1,18}")
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def parse_id(value) -> int | None:
    """A database id from text, or None when the text is not plain ASCII digits."""
    text = str(value).strip()
    return int(text) if ID_PATTERN.fullmatch(text) else None


class IdOrCodeField(forms.CharField):
    """An id (ASCII digits) -> int, or a code (letters, digits, - _ .) -> str; anything else is invalid."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        identifier = parse_id(value)
        if identifier is not None:
            return identifier
        if CODE_PATTERN.fullmatch(value):  # at most 64 characters
            return value
        raise forms.ValidationError("Give an id (digits) or a code (letters, digits, '-', '_').", code="invalid")


@extend_schema_field(OpenApiTypes.STR)
class IdOrCodeFilter(django_filters.Filter):
    field_class = IdOrCodeField


class BoundedIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time between 1970 and 2100, so a far year or offset cannot overflow later."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            in_utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        except (OverflowError, ValueError):
            in_utc = None
        if in_utc is None or not (EARLIEST <= in_utc < LATEST):
            raise forms.ValidationError("Give a date-time between 1970 and 2100.", code="out_of_range")
        return value


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField
