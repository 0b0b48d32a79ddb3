"""Celery tasks of messaging: thin, they take ids, call a service and own their retries."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from messaging import services

logger = logging.getLogger(__name__)


@shared_task(
    name="messaging.tasks.process_inbound",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
    ignore_result=True,
)
def process_inbound(message_id: int) -> str:
    """Run the conversation flow on one stored inbound message (once: the row is locked and marked)."""
    from messaging.flow import handle_inbound

    try:
        return handle_inbound(message_id=message_id)
    except Exception:
        # Rolled back as a whole; logged here because the retry would otherwise hide the cause.
        logger.exception("messaging: processing inbound message %s failed; it will be retried", message_id)
        raise


@shared_task(bind=True, name="messaging.tasks.send_message", acks_late=True, ignore_result=True, max_retries=None)
def send_message(self, message_id: int) -> str:
    """Send one outbound message; on failure try again with exponential backoff (10 s, 20 s, ...
    at most 10 minutes) until MESSAGING_SEND_MAX_ATTEMPTS, counted on the row itself."""
    try:
        return services.deliver(message_id=message_id)
    except services.RetryLater as error:
        countdown = min(10 * 2**self.request.retries, 600)
        if self.request.retries + 1 >= settings.MESSAGING_SEND_MAX_ATTEMPTS:
            countdown = 600
        raise self.retry(countdown=countdown, exc=error) from None


@shared_task(name="messaging.tasks.deliver_pending_messages", acks_late=True, ignore_result=True)
def deliver_pending_messages(limit: int = 500) -> dict:
    """Periodic: messages whose task was lost (broker down, worker killed) and drafts that expired."""
    from messaging.campaigns import campaigns_resume_stalled, campaigns_start_due
    from messaging.flow import conversations_expire

    result = services.deliver_pending(limit=limit)
    result["expired"] = conversations_expire()
    result["campaigns_started"] = campaigns_start_due()
    result["campaigns_resumed"] = campaigns_resume_stalled()
    return result


@shared_task(bind=True, name="messaging.tasks.run_campaign", acks_late=True, ignore_result=True, max_retries=None)
def run_campaign(self, campaign_id: int) -> str:
    """Send a running campaign to every recipient not reached yet (idempotent; see
    messaging.campaigns). Sends that failed are tried again by a later run, a minute apart, until
    each recipient's attempts run out."""
    from messaging.campaigns import CampaignIncomplete, campaign_run

    try:
        return campaign_run(campaign_id=campaign_id)
    except CampaignIncomplete as error:
        if self.request.is_eager:
            # No broker to wait on (tests, dev without Redis): the minute sweep resumes the campaign.
            return "running"
        raise self.retry(countdown=60, exc=error) from None
