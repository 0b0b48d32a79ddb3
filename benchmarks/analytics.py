"""Benchmark of the analytics figures on PostgreSQL at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grievance_bench_analytics \
        .venv/bin/python benchmarks/analytics.py --count 1000000 --days 730

It migrates the database named by DATABASE_URL (use a scratch database), seeds the reference data
and demo staff, writes --count generated complaints with their events and feedback over --days
(`analytics.history.copy_history`: PostgreSQL COPY; skipped when that many are there already),
rebuilds the summaries (timed), then times, each --repeat times:

1. the 90-day KPI dashboard for everyone from the summaries (`selectors.period_figures`): p50/p90 ms;
2. a "live" figure from raw rows, the 90-day median and p90 resolution time
   (`selectors.duration_percentiles` through the ORM), against the same query written by hand in SQL:
   p50 of each and the ratio;
3. the outbox consumer (`summaries.refresh_for_events`) given the events of one recent complaint
   (--consumer-samples different complaints): p50/p90 ms per call.

Not part of the test suite: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grievance.settings")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database.")


def timed(function, repeat: int) -> list[float]:
    function()  # warm caches and plans
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def timed_pair(first, second, repeat: int) -> tuple[list[float], list[float]]:
    """Time two functions alternately (which goes first alternates too), so a busy shared machine's
    swings and the page cache's state fall on both alike."""
    first(), second()
    samples: tuple[list[float], list[float]] = ([], [])
    for run in range(repeat):
        order = ((0, first), (1, second)) if run % 2 == 0 else ((1, second), (0, first))
        for index, function in order:
            start = time.perf_counter()
            function()
            samples[index].append((time.perf_counter() - start) * 1000)
    return samples


def p(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--consumer-samples", type=int, default=20)
    parser.add_argument("--skip-rebuild", action="store_true", help="Time against the summaries already there.")
    parser.add_argument(
        "--no-migrate", action="store_true", help="Leave the schema as it is (to time before a migration)."
    )
    args = parser.parse_args()
    setup_django()

    import datetime as dt
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from analytics import selectors
    from analytics.history import HISTORY_PREFIX, copy_history, plan_from_database
    from analytics.summaries import local_bounds, rebuild_range, refresh_for_events
    from complaints.models import OPEN_STATUSES, Complaint, ComplaintEvent
    from departments.seed import seed_demo_staff, seed_reference_data

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    seed_reference_data(stdout=StringIO())
    seed_demo_staff(password="bench-pass", stdout=StringIO())
    from accounts.models import Role, User
    from accounts.tests.factories import UserFactory

    missing = 200 - User.objects.filter(role=Role.CITIZEN).count()
    for _ in range(max(missing, 0)):
        UserFactory(role=Role.CITIZEN)
    have = Complaint.objects.filter(reference__startswith=HISTORY_PREFIX).count()
    if have < args.count:
        start = time.perf_counter()

        def progress(done: int, total: int) -> None:
            print(f"  seeded {have + done:,}/{args.count:,} ({time.perf_counter() - start:.0f} s)", flush=True)

        copy_history(
            plan_from_database(), count=args.count - have, days=args.days, first_number=have + 1, progress=progress
        )
        print(f"seed: {args.count - have:,} complaints in {time.perf_counter() - start:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    today = timezone.localdate()
    print(f"database: {Complaint.objects.count():,} complaints, {ComplaintEvent.objects.count():,} events")
    if not args.skip_rebuild:
        start = time.perf_counter()
        rows = rebuild_range(today - dt.timedelta(days=args.days + 1), today)
        print(f"rebuild: {args.days + 2} days, {rows:,} summary rows in {time.perf_counter() - start:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    filters = selectors.Filters(since=today - dt.timedelta(days=89), until=today)
    scope = selectors.Scope.public()
    dashboard = timed(lambda: selectors.period_figures(scope, filters), args.repeat)
    print(f"90-day KPIs from summaries: p50 {p(dashboard, 0.5):.1f} ms, p90 {p(dashboard, 0.9):.1f} ms")

    lo, hi = local_bounds(filters.since, filters.until)

    def orm_query():
        return selectors.duration_percentiles(
            scope.complaints.filter(resolved_at__gte=lo, resolved_at__lt=hi), "resolved_at"
        )

    def by_hand():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM resolved_at - created_at)),"
                " percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM resolved_at - created_at))"
                " FROM complaints_complaint WHERE resolved_at >= %s AND resolved_at < %s",
                [lo, hi],
            )
            return cursor.fetchone()

    orm, hand = timed_pair(orm_query, by_hand, args.repeat)
    print(
        f"live 90-day resolution median/p90: ORM p50 {p(orm, 0.5):.1f} ms, hand SQL p50 {p(hand, 0.5):.1f} ms, "
        f"ratio {statistics.median(orm) / statistics.median(hand):.2f}"
    )

    # A second live figure: open, overdue and the backlog by age now, against the same counts by hand.
    now = timezone.now()
    bounds = []
    for _label, low, high in selectors.BACKLOG_BUCKETS:
        _, newest = local_bounds(today - dt.timedelta(days=low), today - dt.timedelta(days=low))
        oldest = local_bounds(today - dt.timedelta(days=high - 1), today)[0] if high is not None else None
        bounds.append((newest, oldest))
    buckets = ", ".join(
        "COUNT(*) FILTER (WHERE created_at < %s" + (" AND created_at >= %s)" if oldest else ")") for _, oldest in bounds
    )
    bucket_params = [value for pair in bounds for value in pair if value is not None]

    def live_by_hand():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*), COUNT(*) FILTER (WHERE sla_due_at < %s), {buckets} "
                f"FROM complaints_complaint WHERE status IN ({', '.join(['%s'] * len(OPEN_STATUSES))})",
                [now, *bucket_params, *(status.value for status in OPEN_STATUSES)],
            )
            return cursor.fetchone()

    assert list(live_by_hand()) == [
        (figures := selectors.live_figures(scope, filters, now))["open"],
        figures["overdue"],
        *(bucket["count"] for bucket in figures["backlog_age"]),
    ], "the hand-written SQL computes the same figures"
    live, live_hand = timed_pair(lambda: selectors.live_figures(scope, filters, now), live_by_hand, args.repeat)
    print(
        f"live open/overdue/backlog now: ORM p50 {p(live, 0.5):.1f} ms, hand SQL p50 {p(live_hand, 0.5):.1f} ms, "
        f"ratio {statistics.median(live) / statistics.median(live_hand):.2f}"
    )

    # The consumer as the outbox calls it: the event ids of one complaint changed recently.
    recent = list(
        Complaint.objects.filter(created_at__gte=lo).order_by("?").values_list("pk", flat=True)[: args.consumer_samples]
    )
    batches = [list(ComplaintEvent.objects.filter(complaint_id=pk).values_list("pk", flat=True)) for pk in recent]
    consumer = []
    for ids in batches:
        begin = time.perf_counter()
        refresh_for_events(ids)
        consumer.append((time.perf_counter() - begin) * 1000)
    print(
        f"consumer, events of one complaint ({len(batches)} complaints): "
        f"p50 {p(consumer, 0.5):.0f} ms, p90 {p(consumer, 0.9):.0f} ms"
    )


if __name__ == "__main__":
    main()
