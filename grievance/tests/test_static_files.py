"""In production (DEBUG off, collected files) the app server itself serves static files: the pages'
CSS and JS and the vendored libraries must reach a browser without another web server."""

import pytest
from django.core.management import call_command
from django.test import Client, override_settings


@pytest.mark.django_db
def test_collected_static_files_are_served_with_debug_off(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    from whitenoise.middleware import WhiteNoiseMiddleware  # noqa: F401 - installed and importable

    with override_settings(DEBUG=False, STATIC_ROOT=tmp_path):
        # WhiteNoise indexes STATIC_ROOT when the handler starts: a fresh client builds a fresh handler.
        response = Client().get("/static/vendor/leaflet/leaflet.js")
    assert response.status_code == 200
    assert b"Leaflet" in b"".join(response.streaming_content)
