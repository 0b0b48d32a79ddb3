"""A real Celery worker consuming from Redis: proves the queue works end to end, not only eagerly."""

import os

import pytest

REDIS_URL = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not REDIS_URL.startswith("redis"), reason="REDIS_URL is not set: no Redis broker to test"),
]


@pytest.fixture
def redis_worker(celery_conf):
    from celery.contrib.testing.worker import start_worker

    app = celery_conf(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app


def test_a_real_worker_runs_a_task_through_redis(redis_worker):
    from grievance.tasks import ping

    result = ping.delay()
    assert result.get(timeout=20) == "pong"
