"""Outgoing messages run as Celery tasks, so a slow gateway never holds up a request and a failing
one is retried with backoff (backends raise, nothing fails silently).

`deliver_sms` / `deliver_email` send one message that is not a notification (a login code, a
password reset link); `send_notification_delivery` sends one `NotificationDelivery` through its
channel; `deliver_pending_notifications` is the every-minute sweep on django-celery-beat.
"""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from notifications.sms import send_sms


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=300, max_retries=5, acks_late=True)
def deliver_sms(to: str, body: str) -> None:
    send_sms(to=to, body=body)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=300, max_retries=5, acks_late=True)
def deliver_email(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


@shared_task(
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    acks_late=True,
)
def send_notification_delivery(self, delivery_id: int) -> str:
    """Send one NotificationDelivery (SMS or email). Claims the row first, so a retry or a second
    copy of this task never sends the message twice."""
    from notifications.services import deliver

    return deliver(delivery_id=delivery_id)


@shared_task(acks_late=True)
def deliver_pending_notifications(limit: int = 1000) -> dict:
    """Periodic (every minute on beat): send deliveries left pending, e.g. while the broker was down."""
    from notifications.services import deliver_pending

    return deliver_pending(limit=limit)
