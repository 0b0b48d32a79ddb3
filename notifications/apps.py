from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The notification engine: inbox, preferences, channels (SMS, email, ...), deliveries.

    Where it sits: every app may import it; it imports none of the project's apps (users through
    settings.AUTH_USER_MODEL, duck-typed). Kinds and channels are registered by the apps above.
    """

    name = "notifications"
    verbose_name = "Notifications"
