"""An organisation with two Open311 services, an Open311 API key, and a way to file complaints."""

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory


@pytest.fixture
def roads_category(db, dept_roads):
    from departments.tests.factories import CategoryFactory

    return CategoryFactory(code="roads", name="Roads", default_department=dept_roads, ordering=1)


@pytest.fixture
def pothole(roads_category):
    from departments.tests.factories import CategoryFactory

    return CategoryFactory(
        code="pothole",
        name="Pothole",
        name_hi="गड्ढा",
        description="A hole in the road surface.",
        parent=roads_category,
    )


@pytest.fixture
def streetlight(db, dept_lighting):
    from departments.tests.factories import CategoryFactory

    lighting = CategoryFactory(code="lighting", name="Street lighting", default_department=dept_lighting, ordering=2)
    return CategoryFactory(code="streetlight-out", name="Streetlight out", name_hi="", description="", parent=lighting)


@pytest.fixture
def sla_policy(db):
    from departments.tests.factories import SLAPolicyFactory

    return SLAPolicyFactory()


@pytest.fixture
def open311_account(db):
    return UserFactory(role=Role.SERVICE, phone=None, email="fixmystreet@services.invalid", full_name="FixMyStreet")


@pytest.fixture
def open311_key(open311_account):
    """The plaintext of an API key with the open311 scope."""
    from accounts.services import api_key_create

    _key, plaintext = api_key_create(name="FixMyStreet", owner=open311_account, scopes=["open311"])
    return plaintext


@pytest.fixture
def file_for(pothole, sla_policy):
    """File a pothole complaint for a citizen through the create service, as the web would."""
    from complaints import services

    def _file(citizen, **fields):
        values = {
            "title": "Pothole on MG Road",
            "description": "Deep pothole near the bus stop; call me on +919812345678.",
            "category": pothole.parent,
            "subcategory": pothole,
            "latitude": "12.971600",
            "longitude": "77.594600",
            "address": "12 MG Road, flat 4",
        } | fields
        return services.complaint_create(citizen=citizen, created_by=citizen, **values)

    return _file
