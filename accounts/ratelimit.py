"""A small fixed-window counter in the cache, for limits DRF throttles cannot express (per IP
across the API and the pages alike)."""

import time

from django.core.cache import cache


def hit(key: str, *, limit: int, window_seconds: int) -> int | None:
    """Count one event for `key`; return the seconds to wait if the limit is exceeded, else None."""
    now = time.time()
    bucket = int(now // window_seconds)
    cache_key = f"ratelimit:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds + 5)
        count = 1
    if count > limit:
        return max(1, int((bucket + 1) * window_seconds - now) + 1)
    return None
