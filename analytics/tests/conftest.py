"""A small city with a varied year of history, for the analytics tests."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.history import Classification, HistoryPlan, generate_history
from departments.tests.factories import CategoryFactory

# A fixed "now" keeps every period and bucket reproducible.
NOW = timezone.make_aware(dt.datetime(2026, 3, 15, 14, 30))


@pytest.fixture
def city(
    db,
    citizen,
    other_citizen,
    dispatcher,
    officer_roads,
    officer_water,
    manager_public_works,
    dept_roads,
    dept_lighting,
    dept_water,
    dept_public_works,
    sla_default,
):
    """Three categories routed to Roads, Street Lighting and Water Supply, and ~400 complaints over
    120 days before NOW, in every state (rejected, escalated up the tree, reopened, rated...)."""
    roads = CategoryFactory(code="roads-cat", name="Roads", default_department=dept_roads)
    lights = CategoryFactory(code="lights-cat", name="Street lights", default_department=dept_lighting)
    water = CategoryFactory(code="water-cat", name="Water", default_department=dept_water)
    plan = HistoryPlan(
        citizens=[citizen.pk, other_citizen.pk],
        classifications=[
            Classification(roads.pk, dept_roads.pk, dept_public_works.pk),
            Classification(lights.pk, dept_lighting.pk, dept_public_works.pk),
            Classification(water.pk, dept_water.pk, dept_water.parent_id),
        ],
        staff_by_department={dept_roads.pk: [officer_roads.pk], dept_water.pk: [officer_water.pk]},
        dispatcher_id=dispatcher.pk,
    )
    generate_history(plan, count=400, days=120, now=NOW, seed=7)
    return {"roads": roads, "lights": lights, "water": water, "now": NOW, "plan": plan}
