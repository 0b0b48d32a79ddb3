from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging channels"

    def ready(self) -> None:
        from complaints.outbox import register_consumer
        from messaging.updates import send_updates, skip_engine_copies
        from notifications.channels import register_delivery_filter

        # Public complaint events go to the chat the complaint was filed from...
        register_consumer("messaging.updates", send_updates)
        # ...and so the engine does not text the citizen the same update again.
        register_delivery_filter("messaging.chat_updates", skip_engine_copies)
