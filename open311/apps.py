from django.apps import AppConfig


class Open311Config(AppConfig):
    """Open311 GeoReport v2 at /open311/v2/: a leaf app. It reads and files complaints through the
    complaints app's public functions; nothing imports it."""

    name = "open311"
    verbose_name = "Open311 GeoReport v2"
