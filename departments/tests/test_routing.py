from departments.models import Department
from departments.services import route_department
from departments.tests.factories import CategoryFactory


def test_subcategory_department_wins(category_infrastructure, category_potholes, dept_roads):
    assert route_department(category=category_infrastructure, subcategory=category_potholes) == dept_roads


def test_category_department_when_the_subcategory_has_none(category_infrastructure, dept_public_works):
    bare = CategoryFactory(parent=category_infrastructure, default_department=None)
    assert route_department(category=category_infrastructure, subcategory=bare) == dept_public_works
    assert route_department(category=category_infrastructure) == dept_public_works


def test_subcategory_alone_uses_its_parent_as_category(category_infrastructure, dept_public_works):
    bare = CategoryFactory(parent=category_infrastructure, default_department=None)
    assert route_department(category=None, subcategory=bare) == dept_public_works


def test_nothing_to_route_by(db):
    assert route_department(category=None) is None
    assert route_department(category=CategoryFactory(default_department=None)) is None


def test_inactive_department_is_skipped(category_infrastructure, category_potholes, dept_roads, dept_public_works):
    Department.objects.filter(pk=dept_roads.pk).update(is_active=False)
    category_potholes.refresh_from_db()
    assert route_department(category=category_infrastructure, subcategory=category_potholes) == dept_public_works


def test_location_is_accepted_and_ignored_for_now(category_infrastructure, category_potholes, dept_roads):
    routed = route_department(
        category=category_infrastructure, subcategory=category_potholes, latitude="28.61", longitude="77.20"
    )
    assert routed == dept_roads
