"""Benchmark of the SLA escalation sweep over many overdue complaints on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grievance_bench_sweep \
        .venv/bin/python benchmarks/sweep.py --count 100000

It migrates the database named by DATABASE_URL (use a scratch database), seeds the reference data,
bulk-inserts --count in-progress complaints that are already overdue (references handed out in bulk
from the counter), then:

1. times the sweep as it runs in production (no tracing): seconds and rows/s;
2. puts the same complaints back past their due time and runs the sweep again (each goes up one more
   level) under tracemalloc, for the peak Python memory of a sweep, and reports the process's max RSS.

Notifications (the on-commit hook `complaints.notifications.event_recorded`) are left out unless
--with-notifications is given: they are their own work (Celery tasks in production). Not part of
the test suite: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grievance.settings")
    import django

    django.setup()
    from django.conf import settings

    # No query log: a long-running process must not keep every SQL statement in memory.
    settings.DEBUG = False


def max_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def insert_overdue(count: int, chunk: int = 5000) -> list[int]:
    """Bulk-insert `count` overdue in-progress complaints at leaf departments; returns (first, last) id."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from complaints.models import Complaint, ReferenceCounter, Status
    from complaints.references import format_reference
    from departments.models import Category, Department
    from departments.seed import seed_reference_data

    call_command("migrate", verbosity=0)
    seed_reference_data()
    citizens = list(User.objects.filter(role=Role.CITIZEN, email__startswith="sweep.bench.").order_by("id")[:500])
    if len(citizens) < 500:
        User.objects.bulk_create(
            [
                User(role=Role.CITIZEN, email=f"sweep.bench.{n}@example.org", full_name=f"Sweep bench citizen {n}")
                for n in range(len(citizens), 500)
            ],
            ignore_conflicts=True,
        )
        citizens = list(User.objects.filter(role=Role.CITIZEN, email__startswith="sweep.bench.").order_by("id")[:500])
    leaf_departments = list(Department.objects.filter(parent__isnull=False, children__isnull=True))
    category = Category.objects.filter(parent__isnull=True).first()
    year = timezone.localdate().year
    rng = random.Random(6)
    now = timezone.now()
    first_id = last_id = None
    started = time.perf_counter()
    done = 0
    while done < count:
        n = min(chunk, count - done)
        with transaction.atomic():
            counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
            first = counter.last_value + 1
            counter.last_value += n
            counter.save(update_fields=["last_value"])
            rows = []
            for i in range(n):
                citizen = rng.choice(citizens)
                created = now - timezone.timedelta(hours=rng.randint(100, 2000))
                rows.append(
                    Complaint(
                        reference=format_reference(year, first + i),
                        citizen=citizen,
                        created_by=citizen,
                        title=f"Sweep benchmark complaint {first + i}",
                        description="Generated for the escalation sweep benchmark.",
                        category=category,
                        department=rng.choice(leaf_departments),
                        status=Status.IN_PROGRESS,
                        sla_due_at=now - timezone.timedelta(minutes=rng.randint(1, 60 * 24 * 30)),
                        created_at=created,
                    )
                )
            created_rows = Complaint.objects.bulk_create(rows, batch_size=1000)
        first_id = first_id or created_rows[0].pk
        last_id = created_rows[-1].pk
        done += n
        print(f"  inserted {done}/{count} ({time.perf_counter() - started:.1f}s)", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return [first_id, last_id]


def make_overdue_again(first_id: int, last_id: int, limit: int | None) -> int:
    from django.utils import timezone

    from complaints.models import Complaint

    ids = Complaint.objects.filter(pk__gte=first_id, pk__lte=last_id).order_by("pk").values("pk")
    if limit is not None:
        ids = ids[:limit]
    return Complaint.objects.filter(pk__in=ids).update(sla_due_at=timezone.now() - timezone.timedelta(minutes=5))


def run_sweep(batch_size: int, label: str) -> tuple[float, object]:
    from complaints.escalation import escalate_overdue

    last_print = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last_print[0] > 5 or done == total:
            last_print[0] = time.perf_counter()
            print(f"  [{label}] escalated {done}/{total}", flush=True)

    started = time.perf_counter()
    result = escalate_overdue(batch_size=batch_size, progress=progress)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="Overdue complaints to insert and sweep.")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--with-notifications", action="store_true", help="Keep the on-commit notification hook.")
    parser.add_argument("--skip-memory-run", action="store_true", help="Only the timed run, no tracemalloc run.")
    parser.add_argument(
        "--traced-count",
        type=int,
        help="Sweep only this many complaints in the (slow) tracemalloc run; default: all of them.",
    )
    args = parser.parse_args()

    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a scratch PostgreSQL database.")
    if not args.with_notifications:
        from complaints import notifications

        notifications.event_recorded = lambda *, event_id: None

    print(f"Inserting {args.count} overdue complaints into {connection.settings_dict['NAME']} ...")
    started = time.perf_counter()
    first_id, last_id = insert_overdue(args.count)
    insert_seconds = time.perf_counter() - started
    print(f"Inserted {args.count} in {insert_seconds:.1f}s ({args.count / insert_seconds:,.0f} rows/s)")

    rss_before = max_rss_mb()
    seconds, result = run_sweep(args.batch_size, "timed")
    print(
        f"\nTimed sweep: escalated {result.escalated} (at top {result.at_top}, skipped {result.skipped}, "
        f"errors {result.errors}) in {seconds:.1f}s = {result.escalated / seconds:,.0f} rows/s"
    )
    print(f"Max RSS: {rss_before:.0f} MB before the sweep, {max_rss_mb():.0f} MB after")

    if not args.skip_memory_run:
        again = make_overdue_again(first_id, last_id, args.traced_count)
        print(f"\nPut {again} complaints past their due time again for the traced run")
        tracemalloc.start()
        traced_seconds, traced = run_sweep(args.batch_size, "traced")
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"\nTraced sweep (second level, under tracemalloc): escalated {traced.escalated} in "
            f"{traced_seconds:.1f}s; tracemalloc peak {peak / 1024 / 1024:.1f} MB"
        )
        print(f"Max RSS after both sweeps: {max_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
