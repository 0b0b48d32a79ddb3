import io

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from departments.models import Category, ClosureReason, Department, EscalationStep, SLAPolicy
from departments.seed import seed_demo_staff, seed_reference_data
from departments.services import route_department
from departments.sla import resolution_hours

MODELS = [Department, EscalationStep, Category, SLAPolicy, ClosureReason, User]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def seeded(db):
    out = io.StringIO()
    call_command("seed", password="seed-pass-123", stdout=out)
    return out.getvalue()


def test_seed_twice_creates_nothing_new(seeded):
    first = row_counts()
    assert first["Department"] == 8 and first["ClosureReason"] == 6
    out = io.StringIO()
    call_command("seed", password="seed-pass-123", stdout=out)
    assert row_counts() == first
    assert "departments 8 (0 new)" in out.getvalue()
    assert "department staff 16 (0 new)" in out.getvalue()


def test_functions_return_counts(db):
    counts = seed_reference_data()
    assert counts["departments"] == {"total": 8, "created": 8}
    assert counts["categories"]["total"] == 6
    assert 12 <= counts["subcategories"]["total"] <= 24
    again = seed_reference_data()
    assert all(c["created"] == 0 for c in again.values())
    assert seed_demo_staff(password="x-pass-123")["staff_users"] == {"total": 16, "created": 16}


def test_seed_keeps_the_foundation_output(seeded):
    assert "Demo users: 7 created" in seeded
    # The logins come last, so they are what a newcomer sees after `make run`'s seeding scrolls by.
    tail = seeded[seeded.index("Demo logins (password for all: seed-pass-123)") :]
    assert "admin@demo.grievance.local" in tail and "citizen@demo.grievance.local" in tail
    assert "officer.roads@demo.grievance.local" in seeded


def test_tree_has_three_levels(seeded):
    roads = Department.objects.get(code="roads")
    assert roads.path == "Municipal Corporation / Public Works / Roads"
    assert {d.code for d in Department.objects.filter(parent__code="municipal-corporation")} == {
        "public-works",
        "water-supply",
        "sanitation",
        "parks",
        "traffic-police",
    }
    for department in Department.objects.prefetch_related("escalation_steps"):
        assert department.contact_email and department.contact_phone
        assert department.escalation_steps.exists()
        assert department.manager.email == f"manager.{department.code}@demo.grievance.local"


def test_categories_route_to_departments(seeded):
    for category in Category.objects.filter(parent__isnull=True).exclude(code="other"):
        subs = list(category.subcategories.all())
        assert 2 <= len(subs) <= 4, category.code
        for sub in subs:
            assert route_department(category=category, subcategory=sub) is not None, sub.code
        assert category.name_hi
    potholes = Category.objects.get(code="potholes")
    assert route_department(category=potholes.parent, subcategory=potholes).code == "roads"
    assert route_department(category=Category.objects.get(code="other")) is None


def test_sla_defaults_and_overrides(seeded):
    default = SLAPolicy.objects.get(is_default=True)
    assert (default.hours_low, default.hours_medium, default.hours_high, default.hours_urgent) == (168, 72, 24, 6)
    assert SLAPolicy.objects.filter(is_default=False).count() >= 2
    assert resolution_hours(priority="urgent", category=Category.objects.get(code="water-leak")) == 4


def test_closure_reasons(seeded):
    assert set(ClosureReason.objects.values_list("code", flat=True)) == {
        "resolved",
        "duplicate",
        "not_our_jurisdiction",
        "insufficient_information",
        "spam",
        "withdrawn",
    }


def test_demo_staff_can_log_in(seeded, api_client):
    officer = User.objects.get(email="officer.roads@demo.grievance.local")
    assert (officer.role, officer.department.code) == (Role.OFFICER, "roads")
    response = api_client.post(
        "/api/v1/auth/token/", {"login": "manager.public-works@demo.grievance.local", "password": "seed-pass-123"}
    )
    assert response.status_code == 200


def test_foundation_manager_and_officer_get_departments(seeded):
    assert User.objects.get(email="manager@demo.grievance.local").department.code == "public-works"
    assert User.objects.get(email="officer@demo.grievance.local").department.code == "roads"


def test_seed_repairs_a_changed_row(seeded):
    Department.objects.filter(code="roads").update(name="Something else")
    call_command("seed", stdout=io.StringIO())
    assert Department.objects.get(code="roads").path == "Municipal Corporation / Public Works / Roads"
