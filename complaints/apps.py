from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = "Complaints"

    def ready(self) -> None:
        from complaints import notifications, outbox

        notifications.register_kinds()  # the notification kinds complaints send, with their templates
        # Notifications are the first consumer of committed timeline events.
        outbox.register_consumer("complaints.notifications", notifications.notify_events)
