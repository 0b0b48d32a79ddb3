import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from departments.models import Priority, SLAPolicy
from departments.sla import NoDefaultSLAPolicy, add_calendar_hours, compute_sla_due_at, policy_for, resolution_hours
from departments.tests.factories import CategoryFactory, SLAPolicyFactory

IST = ZoneInfo("Asia/Kolkata")
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=IST)


@pytest.fixture
def overrides(category_infrastructure, category_potholes, dept_roads, dept_water):
    """Every kind of override, each with a distinct medium-priority time to tell them apart."""
    return {
        "category+department": SLAPolicyFactory(category=category_potholes, department=dept_roads, hours_medium=11),
        "category": SLAPolicyFactory(category=category_potholes, hours_medium=12),
        "parent+department": SLAPolicyFactory(category=category_infrastructure, department=dept_roads, hours_medium=13),
        "parent": SLAPolicyFactory(category=category_infrastructure, hours_medium=14),
        "department": SLAPolicyFactory(department=dept_roads, hours_medium=15),
    }


def hours(**kwargs) -> int:
    return resolution_hours(priority=Priority.MEDIUM, **kwargs)


class TestPolicyChoice:
    def test_default_when_nothing_more_specific(self, sla_default, category_potholes, dept_water):
        assert policy_for() == sla_default
        assert hours(category=category_potholes, department=dept_water) == 72
        for priority, expected in [("low", 168), ("medium", 72), ("high", 24), ("urgent", 6)]:
            assert resolution_hours(priority=priority) == expected

    def test_most_specific_wins(self, sla_default, overrides, category_potholes, dept_roads):
        assert hours(category=category_potholes, department=dept_roads) == 11
        overrides["category+department"].delete()
        assert hours(category=category_potholes, department=dept_roads) == 12
        overrides["category"].delete()
        # a subcategory with no policy of its own falls back to its parent category
        assert hours(category=category_potholes, department=dept_roads) == 13
        overrides["parent+department"].delete()
        assert hours(category=category_potholes, department=dept_roads) == 14
        overrides["parent"].delete()
        assert hours(category=category_potholes, department=dept_roads) == 15
        overrides["department"].delete()
        assert hours(category=category_potholes, department=dept_roads) == 72

    def test_category_policy_applies_in_any_department(self, sla_default, overrides, category_potholes, dept_water):
        assert hours(category=category_potholes, department=dept_water) == 12

    def test_sibling_subcategory_uses_the_parent(self, sla_default, overrides, category_water_leak, dept_water):
        assert hours(category=category_water_leak, department=dept_water) == 14

    def test_department_policy_without_category(self, sla_default, overrides, dept_roads):
        assert hours(department=dept_roads) == 15

    def test_one_query(self, sla_default, overrides, category_potholes, dept_roads, django_assert_num_queries):
        with django_assert_num_queries(1):
            compute_sla_due_at(priority="high", start=START, category=category_potholes, department=dept_roads)

    def test_no_default_policy_is_a_clear_error(self, db, category_potholes):
        with pytest.raises(NoDefaultSLAPolicy, match="No default SLA policy"):
            compute_sla_due_at(priority="medium", start=START, category=category_potholes)

    def test_unknown_priority(self, sla_default):
        with pytest.raises(ValueError, match="Unknown priority"):
            compute_sla_due_at(priority="whenever", start=START)


class TestArithmetic:
    def test_calendar_hours_run_through_nights_and_weekends(self, sla_default):
        friday_evening = dt.datetime(2026, 3, 6, 17, 0, tzinfo=IST)
        assert compute_sla_due_at(priority="medium", start=friday_evening) == dt.datetime(2026, 3, 9, 17, 0, tzinfo=IST)

    def test_start_at_a_day_boundary(self, sla_default):
        midnight = dt.datetime(2026, 12, 31, 0, 0, tzinfo=IST)
        assert compute_sla_due_at(priority="high", start=midnight) == dt.datetime(2027, 1, 1, 0, 0, tzinfo=IST)
        assert compute_sla_due_at(priority="urgent", start=midnight) == dt.datetime(2026, 12, 31, 6, 0, tzinfo=IST)
        just_before = dt.datetime(2026, 2, 28, 23, 59, 59, tzinfo=IST)
        assert compute_sla_due_at(priority="urgent", start=just_before) == dt.datetime(
            2026, 3, 1, 5, 59, 59, tzinfo=IST
        )

    def test_leap_day(self, sla_default):
        start = dt.datetime(2028, 2, 28, 12, 0, tzinfo=IST)
        assert compute_sla_due_at(priority="high", start=start) == dt.datetime(2028, 2, 29, 12, 0, tzinfo=IST)

    def test_due_time_keeps_the_start_time_zone(self, sla_default):
        start = dt.datetime(2026, 3, 2, 4, 30, tzinfo=dt.UTC)
        due = compute_sla_due_at(priority="urgent", start=start)
        assert due.tzinfo == dt.UTC and due == start + dt.timedelta(hours=6)

    @pytest.mark.parametrize(
        "start",
        [
            dt.datetime(2026, 3, 7, 12, 0, tzinfo=ZoneInfo("America/New_York")),  # clocks go forward on 8 March
            dt.datetime(2026, 10, 24, 12, 0, tzinfo=ZoneInfo("Europe/London")),  # clocks go back on 25 October
        ],
    )
    def test_dst_changes_do_not_stretch_or_shrink_the_hours(self, sla_default, start):
        due = compute_sla_due_at(priority="high", start=start)
        assert (due.astimezone(dt.UTC) - start.astimezone(dt.UTC)) == dt.timedelta(hours=24)
        assert due.tzinfo is start.tzinfo

    def test_across_a_dst_change_the_wall_clock_moves(self, sla_default):
        start = dt.datetime(2026, 3, 7, 12, 0, tzinfo=ZoneInfo("America/New_York"))
        due = compute_sla_due_at(priority="high", start=start)
        assert (due.day, due.hour) == (8, 13)  # 24 elapsed hours, one of them skipped by the clock

    def test_naive_start_is_refused(self, sla_default):
        with pytest.raises(ValueError, match="timezone-aware"):
            compute_sla_due_at(priority="low", start=dt.datetime(2026, 3, 2, 10, 0))

    def test_add_calendar_hours_zero(self):
        assert add_calendar_hours(START, 0) == START


class TestPolicyRules:
    def test_only_one_default(self, sla_default):
        with pytest.raises(ValidationError, match="already a default"):
            SLAPolicy(hours_low=1, hours_medium=1, hours_high=1, hours_urgent=1).full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            SLAPolicyFactory()

    def test_one_policy_per_category_and_department(self, sla_default, category_potholes, dept_roads):
        SLAPolicyFactory(category=category_potholes, department=dept_roads)
        SLAPolicyFactory(category=category_potholes)
        SLAPolicyFactory(department=dept_roads)
        for scope in [
            {"category": category_potholes, "department": dept_roads},
            {"category": category_potholes},
            {"department": dept_roads},
        ]:
            with pytest.raises(ValidationError, match="already a policy"):
                SLAPolicy(hours_low=9, hours_medium=9, hours_high=9, hours_urgent=9, **scope).full_clean()

    def test_is_default_follows_the_scope(self, sla_default, dept_roads):
        override = SLAPolicyFactory(department=dept_roads)
        assert sla_default.is_default and not override.is_default

    def test_more_urgent_gets_fewer_hours(self, db):
        policy = SLAPolicy(hours_low=24, hours_medium=48, hours_high=12, hours_urgent=6)
        with pytest.raises(ValidationError, match="urgent <= high <= medium <= low"):
            policy.full_clean()

    def test_hours_must_be_positive(self, db):
        with pytest.raises(ValidationError) as exc:
            SLAPolicy(hours_low=0, hours_medium=0, hours_high=0, hours_urgent=0).full_clean()
        assert "hours_low" in exc.value.message_dict

    def test_str(self, sla_default, category_potholes, dept_roads):
        assert str(sla_default) == "Default SLA policy"
        assert (
            str(SLAPolicyFactory(category=category_potholes, department=dept_roads)) == "SLA policy: Potholes in Roads"
        )

    def test_category_without_parent_is_not_its_own_fallback(self, sla_default, db):
        category = CategoryFactory()
        assert policy_for(category=category) == sla_default
