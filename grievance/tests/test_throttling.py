"""The API's throttles: a sliding window counter (grievance/api/throttling.py), through the cache
API in tests and through one Redis pipeline when the cache is Redis (production)."""

import os

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.settings import api_settings

from grievance.api import throttling

pytestmark = pytest.mark.django_db

REDIS_CACHE_URL = os.environ.get("THROTTLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_CACHE_URL, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - any failure means no Redis to test against
        return False


def rates(user: str):
    return {**api_settings.DEFAULT_THROTTLE_RATES, "user": user}


@pytest.fixture
def user_rate(monkeypatch):
    def _set(rate: str):
        monkeypatch.setattr(throttling.UserRateThrottle, "THROTTLE_RATES", rates(rate))

    return _set


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, set by the test: starts at the beginning of a minute window."""
    now = {"t": 1_800_000_000.0 - (1_800_000_000 % 60)}
    monkeypatch.setattr(throttling.UserRateThrottle, "timer", lambda self: now["t"])
    return now


def get_list(client):
    return client.get("/api/v1/complaints/")


def test_the_request_over_the_rate_is_a_429_with_retry_after(citizen, auth_client, user_rate, clock):
    user_rate("3/minute")
    client = auth_client(citizen)
    assert [get_list(client).status_code for _ in range(3)] == [200, 200, 200]
    refused = get_list(client)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    # Into the next window, until 3 x (1 - t/60) + 1 <= 3 there: 60 + 20 seconds.
    assert int(refused["Retry-After"]) == 80


def test_refused_requests_are_not_counted(citizen, auth_client, user_rate, clock):
    user_rate("2/minute")
    client = auth_client(citizen)
    for _ in range(2):
        assert get_list(client).status_code == 200
    for _ in range(5):
        assert get_list(client).status_code == 429
    # Next window: the previous one (2 allowed, the 5 refused not counted) has slid half out.
    clock["t"] += 90
    assert get_list(client).status_code == 200  # 2 x 0.5 + 1 = 2 <= 2
    assert get_list(client).status_code == 429


def test_the_previous_window_counts_for_the_part_still_inside_the_last_period(citizen, auth_client, user_rate, clock):
    user_rate("10/minute")
    client = auth_client(citizen)
    clock["t"] += 50  # late in the first window
    for _ in range(10):
        assert get_list(client).status_code == 200
    clock["t"] += 15  # 5 s into the next window: 10 x 55/60 of the last minute is still inside
    refused = get_list(client)
    assert refused.status_code == 429
    # One request fits once 10 x (1 - t/60) + 1 <= 10: at t = 6 s, 1 s from now.
    assert int(refused["Retry-After"]) == 1
    clock["t"] += 1
    assert get_list(client).status_code == 200


def test_each_user_has_their_own_bucket(citizen, officer_roads, auth_client, user_rate, clock):
    user_rate("1/minute")
    first, second = auth_client(citizen), auth_client(officer_roads)
    assert get_list(first).status_code == 200
    assert get_list(first).status_code == 429
    assert get_list(second).status_code == 200


@pytest.mark.skipif(not _redis_up(), reason=f"no Redis at {REDIS_CACHE_URL}")
def test_with_redis_as_the_cache_one_pipeline_counts_and_refuses(citizen, auth_client, user_rate, clock):
    redis_cache = {"default": {"BACKEND": throttling.REDIS_CACHE_BACKEND, "LOCATION": REDIS_CACHE_URL}}
    with override_settings(CACHES=redis_cache):
        cache.clear()
        try:
            user_rate("2/minute")
            client = auth_client(citizen)
            assert [get_list(client).status_code for _ in range(4)] == [200, 200, 429, 429]
            key = cache.make_and_validate_key(f"throttle_user_{citizen.pk}:{int(clock['t'] // 60)}")
            assert int(throttling.redis_client().get(key)) == 2  # refused requests taken back
            assert 0 < throttling.redis_client().ttl(key) <= 121
            clock["t"] += 120  # two windows later nothing is left
            assert get_list(client).status_code == 200
        finally:
            cache.clear()
