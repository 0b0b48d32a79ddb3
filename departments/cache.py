"""Cached reference data (departments, categories, closure reasons) for the public API.

Every cache key carries a version token; any change to reference data replaces the token, so all
cached answers become unreachable at once (and expire on their own). The token changes right away
(so the same process never reads stale data) and again when the transaction commits (so a reader
that cached the old rows between the change and the commit is dropped too).

With a per-process cache (locmem, the development default) other processes notice a change only
when their entries expire (REFERENCE_CACHE_SECONDS); production uses a shared cache (Redis).
"""

import uuid

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "departments:reference:version"
REFERENCE_CACHE_SECONDS = 10 * 60


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def cache_key(*parts: str) -> str:
    return ":".join(["departments:reference", _version(), *parts])


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def invalidate_reference_cache() -> None:
    """Forget every cached reference answer, now and once more when the transaction commits."""
    _bump()
    transaction.on_commit(_bump)
