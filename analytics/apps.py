from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Nobody imports analytics: it subscribes to committed complaint events to keep its
        # summaries current.
        from analytics.summaries import refresh_for_events
        from complaints.outbox import register_consumer

        register_consumer("analytics.summaries", refresh_for_events)
