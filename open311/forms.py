"""The POST requests form, read field by field as the spec defines it."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from open311 import selectors

MAX_DESCRIPTION = 4000
# attribute[CODE]=value, or attribute[CODE][]=value for a multi-value list.
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]\x00]{1,100})\](\[\])?$")
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_VALUE = 1000
COORDINATE = Decimal("0.000001")  # the precision complaints store


class ServiceRequestForm(forms.Form):
    service_code = forms.CharField(max_length=50, error_messages={"required": "service_code was not provided."})
    jurisdiction_id = forms.CharField(required=False, max_length=100)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    long = forms.FloatField(required=False, min_value=-180, max_value=180)
    address_string = forms.CharField(required=False, max_length=300)
    address_id = forms.CharField(required=False, max_length=100)
    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=32)
    device_id = forms.CharField(required=False, max_length=200)
    account_id = forms.CharField(required=False, max_length=200)
    first_name = forms.CharField(required=False, max_length=75)
    last_name = forms.CharField(required=False, max_length=75)
    description = forms.CharField(required=False, max_length=MAX_DESCRIPTION)
    media_url = forms.URLField(required=False, max_length=2000, assume_scheme="https")

    def clean_service_code(self):
        code = self.cleaned_data["service_code"]
        service = selectors.service_by_code(code)
        if service is None:
            raise ValidationError(f"service_code {code} was not found.")
        return service

    def _given(self, name: str) -> bool:
        # A field with its own error was given (badly): say that, not that it is missing.
        return name in self.errors or self.cleaned_data.get(name) not in (None, "")

    def clean(self):
        data = super().clean()
        has_lat, has_long = self._given("lat"), self._given("long")
        if has_lat != has_long:
            self.add_error(None, "Give lat and long together.")
        elif not (has_lat or self._given("address_string") or self._given("address_id")):
            self.add_error(None, "A location is required: lat and long, address_string or address_id.")
        if not (self._given("email") or self._given("phone")):
            self.add_error(None, "email or phone is required to identify the person reporting.")
        for name in ("lat", "long"):
            if data.get(name) is not None:
                data[name] = Decimal(repr(data[name])).quantize(COORDINATE)
        return data


def attributes_from(data) -> dict[str, str | list[str]]:
    """The attribute[...] values posted, by code (a list for attribute[CODE][])."""
    attributes: dict[str, str | list[str]] = {}
    for key in data:
        match = ATTRIBUTE_KEY.match(key)
        if match is None:
            continue
        if len(attributes) >= MAX_ATTRIBUTES:
            raise ValidationError(f"At most {MAX_ATTRIBUTES} attributes.")
        values = [str(value) for value in data.getlist(key)] if hasattr(data, "getlist") else [str(data[key])]
        if any(len(value) > MAX_ATTRIBUTE_VALUE or "\x00" in value for value in values):
            raise ValidationError({key: [f"At most {MAX_ATTRIBUTE_VALUE} characters."]})
        attributes[match.group(1)] = values if match.group(2) else values[-1]
    return attributes
