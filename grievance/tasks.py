from celery import shared_task


@shared_task(name="grievance.ping")
def ping() -> str:
    """Round-trip check for the task queue: a worker that answers 'pong' is consuming."""
    return "pong"
