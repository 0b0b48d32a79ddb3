"""The kinds of notification, registered by the apps that send them.

The engine knows no kind of its own: an app above it registers each
kind it sends with a label and the template its text comes from, usually in AppConfig.ready():

    register_kind("order_shipped", label=_("Order shipped"), template="shop/notifications/order_shipped")

`template` is a name prefix: the engine renders `<template>.<language>.txt` (first line: the title
and email subject; the rest: the body), falling back to English.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Kind:
    name: str
    label: str | Promise
    template: str


_kinds: dict[str, Kind] = {}


def register_kind(name: str, *, label: str | Promise, template: str) -> Kind:
    """Register (or replace, by name) a kind of notification. Names fit in 32 characters."""
    if not name or len(name) > 32:
        raise ValueError(f"A notification kind is 1 to 32 characters, not {name!r}.")
    kind = Kind(name=name, label=label, template=template)
    _kinds[name] = kind
    return kind


def unregister_kind(name: str) -> None:
    _kinds.pop(name, None)


def get_kind(name: str) -> Kind:
    """The registered kind `name`; ValueError when nobody registered it."""
    try:
        return _kinds[name]
    except KeyError:
        raise ValueError(f"Unknown notification kind {name!r}; register it with register_kind().") from None


def registered_kinds() -> dict[str, Kind]:
    return dict(_kinds)


def kind_choices() -> list[tuple[str, str]]:
    """(name, label) of every registered kind, for filters and forms."""
    return [(kind.name, str(kind.label)) for kind in sorted(_kinds.values(), key=lambda kind: kind.name)]
