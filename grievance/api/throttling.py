"""DRF's throttles, keyed by `grievance.client_address` instead of DRF's own X-Forwarded-For
reading (which believes the header whenever NUM_PROXIES is unset), and counted with two counters
instead of DRF's list of timestamps.

DRF's SimpleRateThrottle keeps every request's timestamp of the last period in one cache value and
reads, unpickles, extends, pickles and writes it back on every request: two cache round trips and
work that grows with the rate (600/minute is a list of up to 600 floats per user; the benchmark's
raised limit made it 18,000). Here a rate is a *sliding window counter*: one counter per fixed
window, and the request count of the last `duration` seconds is estimated as

    previous window's count x (the share of the previous window still inside the last `duration`)
    + this window's count

(the estimate assumes the previous window's requests were spread evenly; it never lets through
more than the rate within one fixed window, and about the rate over any sliding one). With Redis
as the cache (production) that is one round trip per throttle: a pipeline of INCR, EXPIRE and GET
on a connection pool kept for the process. With any other cache (tests, development) the same
counters go through the cache API. As with DRF, a refused request is not counted (its increment is
taken back), and a throttled request is a 429 with Retry-After.
"""

from __future__ import annotations

import math
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from rest_framework import throttling

from grievance.client_address import client_address

REDIS_CACHE_BACKEND = "django.core.cache.backends.redis.RedisCache"


@lru_cache(maxsize=4)
def _redis_client(location: str):
    """One client (and its connection pool) per process and cache location. redis-py's pool
    notices a fork and opens new connections in the child."""
    import redis

    return redis.Redis.from_url(location.split(",")[0])


def redis_client():
    """The default cache's Redis client, or None when the default cache is not Redis."""
    config = settings.CACHES.get("default", {})
    if config.get("BACKEND") != REDIS_CACHE_BACKEND:
        return None
    location = config.get("LOCATION")
    if isinstance(location, list | tuple):
        location = location[0]
    return _redis_client(location)


def count_hit(key: str, window: int, duration: int) -> tuple[int, int]:
    """Count one request in `key`'s counter of fixed window number `window`; return
    (this window's count including it, the previous window's count)."""
    current_key = cache.make_and_validate_key(f"{key}:{window}")
    previous_key = cache.make_and_validate_key(f"{key}:{window - 1}")
    client = redis_client()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        pipe.incr(current_key)
        pipe.expire(current_key, 2 * duration + 1)
        pipe.get(previous_key)
        current, _expire, previous = pipe.execute()
        return int(current), int(previous or 0)
    current_key, previous_key = f"{key}:{window}", f"{key}:{window - 1}"
    cache.add(current_key, 0, timeout=2 * duration + 1)
    try:
        current = cache.incr(current_key)
    except ValueError:  # expired between add and incr
        cache.set(current_key, 1, timeout=2 * duration + 1)
        current = 1
    return current, int(cache.get(previous_key) or 0)


def take_back(key: str, window: int) -> None:
    """Undo count_hit's increment: refused requests are not counted, as in DRF."""
    client = redis_client()
    if client is not None:
        client.decr(cache.make_and_validate_key(f"{key}:{window}"))
        return
    try:
        cache.decr(f"{key}:{window}")
    except ValueError:
        pass


class CounterThrottleMixin:
    """Replaces SimpleRateThrottle's history list with the sliding window counter above."""

    wait_seconds: float | None = None

    def get_ident(self, request) -> str:
        return client_address(request) or "unknown"

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window, elapsed = divmod(now, self.duration)
        window = int(window)
        current, previous = count_hit(self.key, window, self.duration)
        weight = 1 - elapsed / self.duration
        if previous * weight + current <= self.num_requests:
            return True
        take_back(self.key, window)
        self.wait_seconds = self._wait(current - 1, previous, elapsed)
        return False

    def _wait(self, counted: int, previous: int, elapsed: float) -> float:
        """Seconds until one more request fits: while this window has room, until enough of the
        previous window has slid out; otherwise into the next window, where this one is `previous`."""
        n, duration = self.num_requests, self.duration
        if counted + 1 <= n:
            # previous * (1 - t / duration) + counted + 1 <= n
            return max(1.0, duration * (1 - (n - counted - 1) / previous) - elapsed)
        if n < 1:
            return float(duration)
        return max(1.0, duration - elapsed + duration * (1 - (n - 1) / counted))

    def wait(self) -> float | None:
        return math.ceil(self.wait_seconds) if self.wait_seconds is not None else None


class AnonRateThrottle(CounterThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(CounterThrottleMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(CounterThrottleMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's ScopedRateThrottle learns its scope and rate from the view here.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
