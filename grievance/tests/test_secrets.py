"""Production refuses to start with a missing or published SECRET_KEY, and compose has no default."""

import re

import pytest

from grievance.tests.test_settings import ROOT, _run


@pytest.mark.parametrize(
    "key",
    [
        "change-me-compose-secret-key-please-0123456789abcdef",
        "django-insecure-development-only-key-do-not-use-in-production",
        "short-key",
        "a" * 60,
    ],
)
def test_production_refuses_a_published_or_weak_secret_key(key):
    result = _run("import django; django.setup()", DEBUG="False", SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_production_starts_with_a_private_random_key():
    result = _run(
        "import django; django.setup()",
        DEBUG="False",
        SECRET_KEY="k3Y-" + "9f8e7d6c5b4a3210ZyXwVuTsRqPoNmLkJiHgFeDcBa-_" * 2,
    )
    assert result.returncode == 0, result.stderr


def test_docker_compose_has_no_default_secret_key():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"\$\{SECRET_KEY:-", compose)
    assert "${SECRET_KEY:?" in compose
