"""The one answer to "which address is this request from?", for every limit keyed by address: DRF
throttles, OTP per-address limits and the login lockout (django-axes).

`X-Forwarded-For` is written by whoever sends the request, so it is believed only hop by hop from
the right, and only while the hop that wrote it is one of `TRUSTED_PROXIES` (addresses or networks
of our own TLS proxies / load balancers). With no trusted proxies (the default) the address is
`REMOTE_ADDR`, whatever the headers say.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The address of the client that sent `request` (a Django or DRF request), or None if unknown.

    Walks `REMOTE_ADDR` and then `X-Forwarded-For` from the right; every hop that is a trusted proxy
    vouches for the one to its left; the first hop that is not a trusted proxy is the client.
    """
    meta = request.META
    remote = _parse(meta.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    networks = trusted_networks()
    current = remote
    if networks:
        forwarded = [hop for hop in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if hop.strip()]
        while forwarded and any(current in network for network in networks):
            previous = _parse(forwarded.pop())
            if previous is None:
                # A trusted proxy wrote something that is not an address: trust nothing further.
                break
            current = previous
    return str(current)


def axes_client_address(request) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: the same rule."""
    return client_address(request)
