import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Category, Department
from departments.tests.factories import (
    CategoryFactory,
    ClosureReasonFactory,
    DepartmentFactory,
    EscalationStepFactory,
    SLAPolicyFactory,
)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def grow(round_: int, parent, category, manager):
    for i in range(4):
        department = DepartmentFactory(code=f"a-{round_}-{i}", parent=parent, manager=manager)
        EscalationStepFactory(department=department)
        CategoryFactory(code=f"a-{round_}-{i}", parent=category, default_department=department)
        SLAPolicyFactory(category=Category.objects.get(code=f"a-{round_}-{i}"), department=department)
        ClosureReasonFactory(code=f"a_{round_}_{i}")


@pytest.mark.parametrize("model", ["department", "category", "slapolicy", "closurereason"])
def test_changelists_run_a_fixed_number_of_queries(
    admin_client,
    django_assert_max_num_queries,
    sla_default,
    dept_roads,
    category_infrastructure,
    manager_public_works,
    model,
):
    url = f"/admin/departments/{model}/"
    counts = []
    for round_ in range(2):
        grow(round_, dept_roads, category_infrastructure, manager_public_works)
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url)
        assert response.status_code == 200
        model_class = response.context["cl"].model
        assert response.context["cl"].result_count == model_class.objects.count() >= 4 * (round_ + 1)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_department_changelist_shows_the_tree(admin_client, dept_roads, dept_lighting, dept_water):
    html = admin_client.get("/admin/departments/department/").content.decode()
    order = [
        html.index(name)
        for name in ("Municipal Corporation", "Public Works", "Roads", "Street Lighting", "Water Supply")
    ]
    assert order == sorted(order)
    assert 'title="Municipal Corporation / Public Works / Roads"' in html


def _department_form(department: Department, **changes) -> dict:
    data = {
        "code": department.code,
        "name": department.name,
        "parent": department.parent_id or "",
        "is_active": "on",
        "contact_email": department.contact_email,
        "contact_phone": department.contact_phone,
        "manager": "",
        "escalation_steps-TOTAL_FORMS": "0",
        "escalation_steps-INITIAL_FORMS": "0",
        "escalation_steps-MIN_NUM_FORMS": "0",
        "escalation_steps-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_cycle_is_shown_as_a_form_error(admin_client, dept_corporation, dept_roads):
    url = f"/admin/departments/department/{dept_corporation.pk}/change/"
    response = admin_client.post(url, _department_form(dept_corporation, parent=dept_roads.pk))
    assert response.status_code == 200  # the form again, with the error
    assert "the move would create a cycle" in response.content.decode()
    dept_corporation.refresh_from_db()
    assert dept_corporation.parent_id is None


def test_escalation_levels_with_a_gap_are_shown_as_an_error(admin_client, dept_roads):
    url = f"/admin/departments/department/{dept_roads.pk}/change/"
    steps = {
        "escalation_steps-TOTAL_FORMS": "2",
        "escalation_steps-0-level": "1",
        "escalation_steps-0-hours": "10",
        "escalation_steps-1-level": "3",
        "escalation_steps-1-hours": "5",
    }
    response = admin_client.post(url, _department_form(dept_roads, **steps))
    assert response.status_code == 200
    assert "without gaps or repeats" in response.content.decode()
    assert not dept_roads.escalation_steps.exists()


def test_valid_escalation_policy_is_saved(admin_client, dept_roads):
    url = f"/admin/departments/department/{dept_roads.pk}/change/"
    steps = {
        "escalation_steps-TOTAL_FORMS": "2",
        "escalation_steps-0-level": "1",
        "escalation_steps-0-hours": "10",
        "escalation_steps-1-level": "2",
        "escalation_steps-1-hours": "5",
    }
    response = admin_client.post(url, _department_form(dept_roads, **steps))
    assert response.status_code == 302
    assert [dept_roads.escalation_hours(level) for level in (1, 2)] == [10, 5]


def test_category_page_has_subcategories_inline(admin_client, category_potholes, category_infrastructure):
    html = admin_client.get(f"/admin/departments/category/{category_infrastructure.pk}/change/").content.decode()
    assert "Subcategories" in html and "potholes" in html
    sub_html = admin_client.get(f"/admin/departments/category/{category_potholes.pk}/change/").content.decode()
    assert "subcategories-TOTAL_FORMS" not in sub_html


def test_default_sla_policy_cannot_be_deleted_in_the_admin(admin_client, sla_default):
    response = admin_client.get(f"/admin/departments/slapolicy/{sla_default.pk}/delete/")
    assert response.status_code == 403


@pytest.mark.parametrize("page", ["department", "category", "slapolicy", "closurereason"])
def test_add_pages_load(admin_client, page):
    assert admin_client.get(f"/admin/departments/{page}/add/").status_code == 200
