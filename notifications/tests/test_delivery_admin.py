import pytest

from notifications import sms
from notifications.models import NotificationDelivery
from notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_delivery(citizen, settings):
    settings.SMS_BACKEND = "notifications.sms.backends.locmem.SmsBackend"
    notification = notify(recipients=[citizen], kind="notice", context={"title": "Water off", "body": "Ward 5"})[0]
    delivery = notification.deliveries.get(channel="sms")
    NotificationDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6, last_error="gateway down")
    sms.outbox.clear()
    return delivery


def test_admin_lists_failed_deliveries_and_retries_them_once(
    client, admin_user, failed_delivery, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    page = client.get("/admin/notifications/notificationdelivery/?status__exact=failed")
    assert page.status_code == 200
    assert b"gateway down" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/notifications/notificationdelivery/",
            {"action": "retry_failed", "_selected_action": [failed_delivery.pk]},
        )
    assert response.status_code == 302
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "sent"
    assert len(sms.outbox) == 1


def test_other_staff_cannot_open_the_delivery_admin(client, dispatcher, failed_delivery):
    client.force_login(dispatcher)
    assert client.get("/admin/notifications/notificationdelivery/").status_code == 403
