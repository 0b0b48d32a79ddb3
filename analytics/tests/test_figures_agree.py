"""Every figure the product shows equals a direct count over the raw complaints: after a rebuild,
after the outbox consumer has seen events (repeated, out of order), for every scope and filter."""

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from analytics import selectors, summaries
from analytics.models import DailySummary, DepartmentDaySummary
from analytics.tests import oracle
from analytics.tests.conftest import NOW
from complaints import services
from complaints.models import Complaint, ComplaintEvent, Status

TODAY = NOW.date()
PERIODS = [(TODAY - dt.timedelta(days=29), TODAY), (TODAY - dt.timedelta(days=130), TODAY)]


def _rebuild_everything(until=None):
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", str(until or dt.date.today()))


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600, 2)


def assert_kpis_agree(scope, filters, raw, now=NOW):
    shown = selectors.kpis(scope, filters, now=now)
    expected = oracle.figures(raw, filters.since, filters.until)
    for name in ("received", "resolved", "closed", "rejected", "reopened", "escalated", "rating_count"):
        assert shown[name] == expected[name], name
    assert shown["sla_sample"] == expected["resolved_with_sla"]
    assert shown["sla_compliance"] == selectors.ratio(expected["resolved_within_sla"], expected["resolved_with_sla"])
    assert shown["avg_rating"] == selectors.ratio(expected["rating_sum"], expected["rating_count"])
    assert shown["rating_high_share"] == selectors.ratio(expected["rating_high_count"], expected["rating_count"])
    assert shown["feedback_response_rate"] == selectors.ratio(expected["rating_count"], expected["closed"])
    for shown_key, expected_key in (
        ("avg_resolution_hours", "resolution_mean"),
        ("avg_first_action_hours", "first_action_mean"),
    ):
        assert shown[shown_key] == pytest.approx(_hours(expected[expected_key]), abs=0.011), shown_key
    for group, prefix in (("resolution_time", "resolution"), ("first_action_time", "first_action")):
        assert shown[group]["median_hours"] == pytest.approx(_hours(expected[f"{prefix}_median"]), abs=0.011)
        assert shown[group]["p90_hours"] == pytest.approx(_hours(expected[f"{prefix}_p90"]), abs=0.011)
    live = oracle.open_now(raw, now)
    assert (shown["open"], shown["overdue"]) == (live["open"], live["overdue"])
    assert sum(bucket["count"] for bucket in shown["backlog_age"]) == live["open"]
    return shown


def test_generated_history_is_varied(city):
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert statuses >= {"new", "in_progress", "resolved", "closed", "rejected"}
    actions = set(ComplaintEvent.objects.values_list("action", flat=True))
    assert actions >= {"triage", "start", "resolve", "reopen", "escalate", "reject", "close"}
    routed = [city[name].default_department_id for name in ("roads", "lights", "water")]
    assert Complaint.objects.exclude(department__in=routed).exists(), "some escalated to a parent department"
    assert Complaint.objects.filter(feedback__isnull=False).exists()


@pytest.mark.parametrize("since,until", PERIODS)
def test_kpis_agree_with_raw_counts_for_every_role(
    city, since, until, executive, dispatcher, manager_public_works, officer_water, dept_public_works, dept_water
):
    _rebuild_everything()
    filters = selectors.Filters(since=since, until=until)
    everything = Complaint.objects.all()
    for user, raw in (
        (executive, everything),
        (dispatcher, everything),
        (
            manager_public_works,
            everything.filter(
                department__in=[dept_public_works.pk, *dept_public_works.children.values_list("pk", flat=True)]
            ),
        ),
        (officer_water, everything.filter(department=dept_water)),
    ):
        shown = assert_kpis_agree(selectors.Scope.for_user(user), filters, raw)
        assert shown["received"] > 0


def test_kpis_agree_under_every_filter(city, executive, dept_roads, dept_public_works):
    _rebuild_everything()
    scope = selectors.Scope.for_user(executive)
    since, until = PERIODS[1]
    everything = Complaint.objects.all()
    public_works = [dept_public_works.pk, *dept_public_works.children.values_list("pk", flat=True)]
    for filter_values, raw in (
        ({"department": dept_roads.pk}, everything.filter(department=dept_roads)),
        ({"department": dept_public_works.pk}, everything.filter(department__in=public_works)),
        ({"category": city["water"].pk}, everything.filter(category=city["water"])),
        ({"ward": "Ward 3"}, everything.filter(ward="Ward 3")),
        ({"source": "mobile"}, everything.filter(source="mobile")),
        ({"priority": "high"}, everything.filter(priority="high")),
        ({"priority": "low", "ward": "Ward 7"}, everything.filter(priority="low", ward="Ward 7")),
    ):
        shown = assert_kpis_agree(scope, selectors.Filters(since=since, until=until, **filter_values), raw)
        assert shown["received"] > 0, filter_values


def test_department_filter_never_widens_a_managers_view(city, manager_public_works, dept_water):
    _rebuild_everything()
    since, until = PERIODS[1]
    shown = selectors.kpis(
        selectors.Scope.for_user(manager_public_works),
        selectors.Filters(since=since, until=until, department=dept_water.pk),
        now=NOW,
    )
    assert (shown["received"], shown["resolved"], shown["open"]) == (0, 0, 0)
    assert shown["resolution_time"]["median_hours"] is None


def _summary_rows():
    return sorted(
        tuple(row) for row in DailySummary.objects.values_list("day", *summaries.DIMENSIONS, *summaries.METRICS)
    )


def _rollup_rows():
    return sorted(
        tuple(row) for row in DepartmentDaySummary.objects.values_list("day", "department_id", *summaries.METRICS)
    )


def _daily_rows_rolled_up():
    """The date x department sums of the daily rows, computed here independently of the rollup's SQL."""
    totals: dict[tuple, list] = {}
    for day, department_id, *metrics in DailySummary.objects.values_list("day", "department_id", *summaries.METRICS):
        sums = totals.setdefault((day, department_id), [0] * len(metrics))
        for index, value in enumerate(metrics):
            sums[index] += value
    return sorted((*key, *sums) for key, sums in totals.items())


def assert_rollup_equals_daily_rows():
    rollup = _rollup_rows()
    assert rollup, "the rollup has rows"
    assert [row[:2] for row in rollup] == [row[:2] for row in _daily_rows_rolled_up()]
    for mine, theirs in zip(rollup, _daily_rows_rolled_up(), strict=True):
        assert mine == pytest.approx(theirs), mine[:2]


def test_rebuild_is_idempotent(city):
    _rebuild_everything()
    first, first_rollup = _summary_rows(), _rollup_rows()
    _rebuild_everything()
    assert _summary_rows() == first
    assert _rollup_rows() == first_rollup
    assert len(first) > 100
    assert_rollup_equals_daily_rows()


def test_partial_rebuild_keeps_the_rollup_equal_to_the_daily_rows(city):
    _rebuild_everything()
    DepartmentDaySummary.objects.all().update(received=999)  # stale rollup rows are replaced, not added to
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", str(TODAY - dt.timedelta(days=40)))
    call_command("rebuild_analytics", "--since", str(TODAY - dt.timedelta(days=39)), "--until", str(dt.date.today()))
    assert_rollup_equals_daily_rows()


def test_unfiltered_dashboards_read_the_rollup_and_finer_filters_the_daily_rows(city, executive):
    _rebuild_everything()
    scope = selectors.Scope.for_user(executive)
    since, until = PERIODS[1]
    rollup_table = DepartmentDaySummary._meta.db_table
    daily_table = DailySummary._meta.db_table
    for filter_values, table in (({}, rollup_table), ({"ward": "Ward 3"}, daily_table)):
        with CaptureQueriesContext(connection) as queries:
            selectors.period_figures(scope, selectors.Filters(since=since, until=until, **filter_values))
        (query,) = queries.captured_queries
        assert f'"{table}"' in query["sql"], filter_values
    with CaptureQueriesContext(connection) as queries:
        selectors.heatmap(scope, selectors.Filters(since=since, until=until))
    assert f'"{daily_table}"' in queries.captured_queries[-1]["sql"], "wards need the daily grain"


def test_trends_rankings_and_departments_from_the_rollup_agree_with_raw_counts(
    city, executive, dept_roads, dept_lighting, dept_water
):
    _rebuild_everything()
    scope = selectors.Scope.for_user(executive)
    since, until = PERIODS[1]
    filters = selectors.Filters(since=since, until=until)
    everything = Complaint.objects.all()
    by_department = {row["department_id"]: row for row in selectors.department_figures(scope, filters, now=NOW)}
    rankings = {row["department_id"]: row for row in selectors.rankings(scope, filters)["sla_compliance"]}
    for department in (dept_roads, dept_lighting, dept_water):
        expected = oracle.figures(everything.filter(department=department), since, until)
        assert by_department[department.pk]["received"] == expected["received"]
        assert by_department[department.pk]["resolved"] == expected["resolved"]
        assert rankings[department.pk]["sample"] == expected["resolved_with_sla"]
    series = selectors.trends(scope, filters, "month")["current"]
    assert sum(bucket["received"] for bucket in series) == oracle.figures(everything, since, until)["received"]
    assert sum(bucket["resolved"] for bucket in series) == oracle.figures(everything, since, until)["resolved"]


def test_consecutive_dates_are_rebuilt_as_runs():
    day = dt.date(2026, 3, 1)
    dates = [day + dt.timedelta(days=n) for n in (5, 0, 1, 2, 9, 5, 10)]
    assert summaries.consecutive_runs(dates) == [
        (day, day + dt.timedelta(days=2)),
        (day + dt.timedelta(days=5), day + dt.timedelta(days=5)),
        (day + dt.timedelta(days=9), day + dt.timedelta(days=10)),
    ]
    assert summaries.consecutive_runs([]) == []


def _work_on_history(officer_roads, dispatcher, manager_public_works, citizen, dept_roads, dept_water):
    """Real service calls on generated complaints: new events dated today, some moving a complaint
    to another department (reclassification) or undoing a resolution (reopen)."""
    before = ComplaintEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    triaged = Complaint.objects.filter(status=Status.NEW, department__isnull=False).first()
    services.complaint_triage(complaint=triaged, actor=dispatcher, department=dept_water)
    in_progress = Complaint.objects.filter(status=Status.IN_PROGRESS, department=dept_roads)
    for complaint in in_progress[:2]:
        services.complaint_resolve(complaint=complaint, actor=officer_roads, note="Filled the pothole.")
    resolved = Complaint.objects.filter(status=Status.RESOLVED, citizen=citizen).order_by("-resolved_at")[:2]
    for complaint in resolved:
        services.complaint_close(complaint=complaint, actor=citizen, rating=5, comment="Thanks")
    # Reopen: the earlier resolution day loses a resolved complaint.
    again = Complaint.objects.filter(status=Status.RESOLVED).first()
    services.complaint_reopen(complaint=again, actor=again.citizen, reason="Still broken")
    escalate = Complaint.objects.filter(status=Status.IN_PROGRESS, department=dept_roads).first()
    if escalate is not None:
        services.complaint_escalate(complaint=escalate, actor=manager_public_works, reason="Overdue")
    return list(ComplaintEvent.objects.filter(pk__gt=before).values_list("pk", flat=True))


def test_consumer_converges_on_repeated_and_out_of_order_events(
    city, executive, officer_roads, dispatcher, manager_public_works, citizen, dept_roads, dept_water, settings
):
    settings.COMPLAINT_REOPEN_WINDOW_DAYS = 10_000
    _rebuild_everything()
    event_ids = _work_on_history(officer_roads, dispatcher, manager_public_works, citizen, dept_roads, dept_water)
    assert len(event_ids) >= 5
    # Delivered newest first, some twice, in several batches.
    shuffled = list(reversed(event_ids)) + random.Random(3).sample(event_ids, 3)
    summaries.refresh_for_events(shuffled[:3])
    summaries.refresh_for_events(shuffled[3:])
    summaries.refresh_for_events(event_ids[:1])
    kept_current, kept_rollup = _summary_rows(), _rollup_rows()
    assert_rollup_equals_daily_rows()
    _rebuild_everything()
    assert kept_current == _summary_rows(), "the consumer's rows equal a full rebuild"
    assert kept_rollup == _rollup_rows(), "and so does its rollup"
    filters = selectors.Filters(since=TODAY - dt.timedelta(days=200), until=dt.date.today())
    assert_kpis_agree(selectors.Scope.for_user(executive), filters, Complaint.objects.all(), now=NOW)


def test_consumer_moves_a_reclassified_complaints_history_to_its_new_department(
    city, executive, dispatcher, dept_roads, dept_water
):
    _rebuild_everything()
    complaint = (
        Complaint.objects.filter(status=Status.NEW, department=dept_roads).first()
        or Complaint.objects.filter(status=Status.NEW).first()
    )
    day = complaint.created_at.astimezone(NOW.tzinfo).date()
    before = DailySummary.objects.filter(day=day, department=dept_water).aggregate(n=Sum("received"))["n"] or 0
    services.complaint_triage(complaint=complaint, actor=dispatcher, department=dept_water)
    summaries.refresh_for_events([ComplaintEvent.objects.filter(complaint=complaint).latest("pk").pk])
    after = DailySummary.objects.filter(day=day, department=dept_water).aggregate(n=Sum("received"))["n"]
    assert after == before + 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_history_writes_the_same_history_as_the_bulk_path(city, citizen):
    from analytics.history import copy_history, generate_history
    from complaints.tests.factories import file_complaint

    plan = city["plan"]
    copy_history(plan, count=60, days=30, now=NOW, seed=99, first_number=5001, batch_size=25)
    generate_history(plan, count=60, days=30, now=NOW, seed=99, first_number=6001)

    def shape(first, last):
        rows = Complaint.objects.filter(reference__gte=f"HST-{first:09d}", reference__lte=f"HST-{last:09d}")
        return sorted(
            (c.created_at, c.status, c.priority, c.source, c.ward, c.department_id, c.resolved_at, c.closed_at)
            for c in rows
        ), sorted(
            ComplaintEvent.objects.filter(complaint__in=rows).values_list(
                "complaint__created_at", "action", "created_at"
            )
        )

    copied, bulk = shape(5001, 5060), shape(6001, 6060)
    assert len(copied[0]) == 60 and copied == bulk
    assert not ComplaintEvent.objects.filter(
        complaint__reference__gte="HST-000005001", complaint__reference__lte="HST-000005060", dispatched_at=None
    ).exists(), "copied history is not handed to the outbox again"
    assert file_complaint(citizen).pk > Complaint.objects.get(reference="HST-000005060").pk, "ids moved past the copy"
