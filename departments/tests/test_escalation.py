import pytest
from django.core.exceptions import ValidationError

from departments.models import DEFAULT_ESCALATION_POLICY, Department
from departments.services import department_set_escalation_policy
from departments.tests.factories import EscalationStepFactory


def test_department_without_steps_uses_the_default(dept_roads):
    assert dept_roads.max_escalation_level == len(DEFAULT_ESCALATION_POLICY) == 3
    assert [dept_roads.escalation_hours(level) for level in (1, 2, 3)] == [72, 48, 24]


def test_own_policy(dept_roads):
    department_set_escalation_policy(
        department=dept_roads,
        steps=[
            {"hours": 24},
            {"hours": 12, "notify_citizen": False},
            {"hours": 6, "notify_executives": True},
            {"hours": 2},
        ],
    )
    dept_roads = Department.objects.get(pk=dept_roads.pk)
    assert dept_roads.max_escalation_level == 4
    assert [dept_roads.escalation_hours(level) for level in (1, 2, 3, 4)] == [24, 12, 6, 2]
    assert dept_roads.escalation_rule(2).notify_citizen is False
    assert dept_roads.escalation_rule(3).notify_executives is True


def test_levels_above_the_highest_get_the_highest_levels_hours(dept_roads):
    EscalationStepFactory(department=dept_roads, level=1, hours=30)
    EscalationStepFactory(department=dept_roads, level=2, hours=10)
    assert dept_roads.max_escalation_level == 2
    assert dept_roads.escalation_hours(5) == 10


def test_level_zero_is_an_error(dept_roads):
    with pytest.raises(ValueError):
        dept_roads.escalation_hours(0)


@pytest.mark.parametrize(
    "steps",
    [
        [{"level": 1, "hours": 10}, {"level": 3, "hours": 5}],  # a gap
        [{"level": 1, "hours": 10}, {"level": 1, "hours": 5}],  # a repeat
        [{"level": 2, "hours": 10}],  # does not start at 1
        [{"hours": 0}],  # no time at all
        [{"hours": 10}] * 11,  # too many levels
    ],
)
def test_invalid_policies_are_rejected(dept_roads, steps):
    EscalationStepFactory(department=dept_roads, level=1, hours=99)
    with pytest.raises(ValidationError) as exc:
        department_set_escalation_policy(department=dept_roads, steps=steps)
    assert "escalation_policy" in exc.value.message_dict
    assert dept_roads.escalation_hours(1) == 99  # unchanged


def test_empty_policy_returns_to_the_default(dept_roads):
    EscalationStepFactory(department=dept_roads, level=1, hours=99)
    department_set_escalation_policy(department=dept_roads, steps=[])
    assert dept_roads.escalation_hours(1) == DEFAULT_ESCALATION_POLICY[0].hours


def test_prefetched_policy_needs_no_query(dept_roads, dept_water, django_assert_num_queries):
    EscalationStepFactory(department=dept_roads, level=1, hours=5)
    departments = list(Department.objects.prefetch_related("escalation_steps"))
    with django_assert_num_queries(0):
        assert {d.code: d.escalation_hours(1) for d in departments}["roads"] == 5
        assert all(d.max_escalation_level >= 1 for d in departments)
