from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging channels"

    def ready(self) -> None:
        from complaints.outbox import register_consumer
        from messaging.updates import send_updates

        # Public complaint events go to the chat the complaint was filed from.
        register_consumer("messaging.updates", send_updates)
