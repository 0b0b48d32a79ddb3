import pytest

from complaints.tests.factories import file_complaint


@pytest.fixture
def pothole(citizen, category_infrastructure, category_potholes, sla_default):
    """Alice's complaint about a pothole: routed to Roads at once."""
    return file_complaint(
        citizen,
        category=category_infrastructure,
        subcategory=category_potholes,
        latitude="28.613900",
        longitude="77.209000",
    )


@pytest.fixture
def leak(other_citizen, category_infrastructure, category_water_leak, sla_default):
    """Bob's complaint about a water leak: routed to Water supply."""
    return file_complaint(
        other_citizen,
        title="Burst pipe",
        description="Water is gushing from a pipe on 5th street.",
        category=category_infrastructure,
        subcategory=category_water_leak,
    )
