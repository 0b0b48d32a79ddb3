"""Fixtures for the accounts tests: the remaining personas, OTP and API-key helpers."""

import re

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from notifications import sms


@pytest.fixture
def department(db):
    from departments.models import Department

    return Department.objects.create(code="roads-acct", name="Roads (accounts tests)")


@pytest.fixture
def officer(db, department):
    return UserFactory(role=Role.OFFICER, full_name="Olga Officer", department=department)


@pytest.fixture
def manager(db, department):
    return UserFactory(role=Role.MANAGER, full_name="Manny Manager", department=department)


@pytest.fixture
def last_sms_code():
    """The 6-digit code in the latest text message sent to `phone` (from the locmem outbox)."""

    def _code(phone: str) -> str:
        for message in reversed(sms.outbox):
            if message.to == phone:
                return re.search(r"\b(\d{6})\b", message.body).group(1)
        raise AssertionError(f"no SMS was sent to {phone}; outbox: {sms.outbox!r}")

    return _code


@pytest.fixture
def make_api_key(db):
    """Create an API key: returns (ApiKey, plaintext key)."""
    from accounts.services import api_key_create

    def _make(*, scopes=("intake",), owner=None, name="AI intake"):
        owner = owner or UserFactory(role=Role.SERVICE, phone=None)
        return api_key_create(name=name, owner=owner, scopes=list(scopes))

    return _make
