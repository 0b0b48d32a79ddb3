"""Serializer plumbing shared by the apps' API modules."""

from __future__ import annotations

import copy
import re

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.validators import ProhibitSurrogateCharactersValidator

_SURROGATE = re.compile("[\ud800-\udfff]")


class NoSurrogateCharacters(ProhibitSurrogateCharactersValidator):
    """DRF's check (same message, same code) in one regex scan instead of a Python loop per
    character: every CharField runs it, and a complaint's text is a few hundred characters."""

    def __call__(self, value):
        found = _SURROGATE.search(str(value))
        if found:
            raise ValidationError(self.message.format(code_point=ord(found.group())), code=self.code)


def unbound_copy(field: serializers.Field) -> serializers.Field:
    """A copy of an unbound declared field, as `copy.deepcopy` makes it for each serializer
    instance, for a fraction of the cost.

    DRF deep-copies every declared field per serializer instance by calling the field's __init__
    again (validators, choices, messages rebuilt): a tenth of a complaint's creation. A leaf field's
    state after __init__ is read-only during validation (validators, choices, error messages,
    limits), and binding sets only attributes of the copy itself (field_name, parent, source,
    source_attrs, label), so a shallow copy, unbound as after __init__, behaves the same. Fields
    that hold other fields (nested serializers, ListField/DictField children) bind those children,
    and are deep-copied as before.
    """
    if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation"):
        return copy.deepcopy(field)
    clone = copy.copy(field)
    clone.field_name, clone.parent = None, None
    clone.__dict__.pop("source_attrs", None)
    return clone


class CopiedFields:
    """A Serializer whose instances get `unbound_copy`s of the declared fields (whose surrogate
    check is `NoSurrogateCharacters`)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for field in getattr(cls, "_declared_fields", {}).values():
            field.validators = [
                NoSurrogateCharacters() if type(v) is ProhibitSurrogateCharactersValidator else v
                for v in field.validators
            ]

    def get_fields(self):
        return {name: unbound_copy(field) for name, field in self._declared_fields.items()}
