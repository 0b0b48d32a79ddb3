"""Fixtures shared by every app's tests: API clients and the personas of the permission matrix."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import TEST_PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters and cached reference data live in the cache; no test inherits another's.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    # Like django.core.mail.outbox: every test starts with no text messages sent.
    from accounts import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def make_user(db):
    return UserFactory


@pytest.fixture
def auth_client():
    """An API client authenticated as `user` with a real JWT, as the mobile app would be."""

    def _client(user) -> APIClient:
        from rest_framework_simplejwt.tokens import RefreshToken

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return _client


@pytest.fixture
def citizen(db):
    return UserFactory(role=Role.CITIZEN, full_name="Alice Citizen")


@pytest.fixture
def other_citizen(db):
    return UserFactory(role=Role.CITIZEN, full_name="Bob Citizen")


@pytest.fixture
def dispatcher(db):
    return UserFactory(role=Role.DISPATCHER, full_name="Dina Dispatcher")


@pytest.fixture
def executive(db):
    return UserFactory(role=Role.EXECUTIVE, full_name="Ed Executive")


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def service_user(db):
    return UserFactory(role=Role.SERVICE, full_name="AI service", phone=None)


@pytest.fixture
def celery_conf():
    """Change the Celery app's configuration for one test; restored afterwards."""
    from grievance.celery import app

    saved: dict = {}

    def _update(**overrides):
        for key in overrides:
            saved.setdefault(key, app.conf[key])
        app.conf.update(overrides)
        return app

    yield _update
    app.conf.update(saved)
