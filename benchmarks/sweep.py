"""Benchmark: the SLA escalation sweep against the same work done by one set-based SQL statement.

    CELERY_BROKER_URL=redis://127.0.0.1:6379/15 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grievance_bench_sweep \\
        .venv/bin/python benchmarks/sweep.py --count 100000 --runs 3

It migrates the database named by DATABASE_URL (use a scratch database), seeds the reference data and
--count overdue in-progress complaints at leaf departments (COPY), and snapshots them. Then, --runs
times, alternately:

- raw: ONE SQL statement doing the sweep's work on the same rows: lock the overdue rows below their
  policy's highest level, move each to its target department and manager, raise the level, set the
  new due time from the policy, insert one `escalate` event (same `changes`) and one Escalation row
  each. The routes (department -> target, manager, hours per level) come from the same tree, read in
  Python, as the statement's input.
- sweep: `complaints.services.sweeps.escalate_overdue` exactly as the beat task and the command run
  it: keyset batches claimed with SKIP LOCKED, a transaction per batch, and the outbox hand-off (one
  Celery message per batch, to the broker in CELERY_BROKER_URL; nobody consumes it here: the
  consumers, notifications among them, run later in workers, and their queue is purged after a run).

Before every run the complaints are put back as seeded and the rows a run wrote are deleted, then
VACUUM ANALYZE, so each run starts from the same data. Prints each run, the medians and the ratio
sweep/raw, and the process's resident memory around the sweeps. Not part of the test suite: figures
depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SNAPSHOT = "bench_sweep_seed"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grievance.settings")
    # Publish each batch's outbox message inside the timed sweep (not later, from the web process's
    # background publisher), as the figures below were measured.
    os.environ.setdefault("OUTBOX_PUBLISH_INTERVAL_MS", "0")
    import django

    django.setup()
    from django.conf import settings

    # No query log: a long-running process must not keep every SQL statement in memory.
    settings.DEBUG = False


def rss_mb() -> float:
    """Current resident set size (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def execute(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def vacuum() -> None:
    from django.db import connection

    from complaints.models import Complaint, ComplaintEvent, Escalation

    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        for model in (Complaint, ComplaintEvent, Escalation):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


# --- seeding -----------------------------------------------------------------------------------
def seed(count: int) -> None:
    """Reference data, 500 citizens and `count` overdue in-progress complaints (COPY), once."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from complaints.models import Complaint, ComplaintEvent, Escalation, ReferenceCounter, Status
    from complaints.references import format_reference
    from departments.models import Category, Department
    from departments.seed import seed_reference_data

    call_command("migrate", verbosity=0)
    seed_reference_data()
    seeded = execute("SELECT to_regclass(%s) IS NOT NULL", [SNAPSHOT])[0][0]
    if seeded and execute(f"SELECT count(*) FROM {SNAPSHOT}")[0][0] == count:
        print(f"Reusing the {count} seeded complaints.")
        return
    # A different size: start over (benchmark rows only live in this scratch database).
    Escalation.objects.all().delete()
    ComplaintEvent.objects.all().delete()
    execute(f"DROP TABLE IF EXISTS {SNAPSHOT}")
    execute(f"TRUNCATE {Complaint._meta.db_table} CASCADE")
    User.objects.bulk_create(
        [User(role=Role.CITIZEN, email=f"sweep.bench.{n}@example.org", full_name=f"Citizen {n}") for n in range(500)],
        ignore_conflicts=True,
    )
    citizens = list(User.objects.filter(email__startswith="sweep.bench.").values_list("pk", flat=True))
    leaves = list(Department.objects.filter(parent__isnull=False, children__isnull=True).values_list("pk", flat=True))
    category = Category.objects.filter(parent__isnull=True).values_list("pk", flat=True).first()
    now = timezone.now()
    year = now.year
    rng = random.Random(16)
    started = time.perf_counter()
    with transaction.atomic():
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
        first = counter.last_value + 1
        counter.last_value += count
        counter.save(update_fields=["last_value"])
        columns = (
            "reference, citizen_id, created_by_id, title, description, transcript, language, translated_text, "
            "category_id, department_id, priority, status, source, address, ward, metadata, sla_due_at, "
            "escalation_level, resolution_note, supporters_count, created_at, updated_at"
        )
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {Complaint._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            for n in range(first, first + count):
                citizen = rng.choice(citizens)
                created = now - dt.timedelta(hours=rng.randint(100, 2000))
                due = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 30))
                copy.write_row(
                    (
                        format_reference(year, n), citizen, citizen, f"Sweep benchmark complaint {n}",
                        "Generated for the escalation sweep benchmark.", "", "", "", category,
                        rng.choice(leaves), "medium", Status.IN_PROGRESS, "web", "", "", "{}", due,
                        0, "", 0, created, created,
                    )
                )  # fmt: skip
    execute(
        f"CREATE TABLE {SNAPSHOT} AS SELECT id, department_id, assignee_id, status, escalation_level, sla_due_at "
        f"FROM {Complaint._meta.db_table}"
    )
    execute(f"ALTER TABLE {SNAPSHOT} ADD PRIMARY KEY (id)")
    print(f"Seeded {count} overdue complaints in {time.perf_counter() - started:.1f}s")


def reset() -> None:
    """Put every complaint back as seeded and delete what a run wrote, then VACUUM ANALYZE."""
    from complaints.models import Complaint, ComplaintEvent, Escalation

    execute(f"TRUNCATE {Escalation._meta.db_table}")
    execute(f"DELETE FROM {ComplaintEvent._meta.db_table}")
    execute(
        f"UPDATE {Complaint._meta.db_table} AS c SET department_id = s.department_id, assignee_id = s.assignee_id, "
        "status = s.status, escalation_level = s.escalation_level, sla_due_at = s.sla_due_at "
        f"FROM {SNAPSHOT} AS s WHERE c.id = s.id"
    )
    vacuum()


# --- the two contenders -------------------------------------------------------------------------
RAW_SQL = """
WITH route AS (
    SELECT * FROM unnest(%(source)s::bigint[], %(level)s::smallint[], %(target)s::bigint[],
                         %(source_code)s::text[], %(target_code)s::text[], %(manager)s::bigint[],
                         %(hours)s::int[])
             AS r(source_id, level, target_id, source_code, target_code, manager_id, hours)
),
claimed AS (
    SELECT c.id, c.status, c.department_id, c.assignee_id, c.escalation_level, c.sla_due_at,
           r.level, r.target_id, r.source_code, r.target_code, r.manager_id,
           %(now)s::timestamptz + make_interval(hours => r.hours) AS new_due
      FROM complaints_complaint AS c
      JOIN route AS r ON r.source_id = c.department_id AND r.level = c.escalation_level + 1
     WHERE c.status IN ('new', 'triaged', 'in_progress', 'escalated') AND c.sla_due_at < %(now)s
       FOR UPDATE OF c
),
moved AS (
    UPDATE complaints_complaint AS c
       SET department_id = k.target_id, assignee_id = k.manager_id, escalation_level = k.level,
           sla_due_at = k.new_due, status = 'escalated', updated_at = now()
      FROM claimed AS k WHERE c.id = k.id
    RETURNING c.id
),
events AS (
    INSERT INTO complaints_complaintevent
           (complaint_id, actor_id, action, from_status, to_status, note, changes, is_internal, created_at)
    SELECT k.id, NULL, 'escalate', k.status, 'escalated', %(reason)s,
           CASE WHEN k.target_id <> k.department_id
                THEN jsonb_build_object('department', jsonb_build_array(k.source_code, k.target_code))
                ELSE '{}'::jsonb END
           || CASE WHEN k.assignee_id IS DISTINCT FROM k.manager_id
                THEN jsonb_build_object('assignee', jsonb_build_array(k.assignee_id::text, k.manager_id::text))
                ELSE '{}'::jsonb END
           || jsonb_build_object(
                'escalation_level', jsonb_build_array(k.escalation_level, k.level),
                'sla_due_at', jsonb_build_array(to_jsonb(k.sla_due_at), to_jsonb(k.new_due)),
                'reached_top', k.target_id = k.department_id)
           || CASE WHEN k.status <> 'escalated'
                THEN jsonb_build_object('status', jsonb_build_array(k.status, 'escalated'))
                ELSE '{}'::jsonb END,
           false, now()
      FROM claimed AS k
    RETURNING id
),
escalations AS (
    INSERT INTO complaints_escalation
           (complaint_id, kind, from_level, to_level, from_department_id, to_department_id, actor_id, reason,
            created_at)
    SELECT k.id, 'automatic', k.escalation_level, k.level, k.department_id, k.target_id, NULL, %(reason)s, now()
      FROM claimed AS k
    RETURNING id
)
SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM events), (SELECT count(*) FROM escalations)
"""


def raw_params(now: dt.datetime) -> dict:
    """The routes of the tree (department, next level -> target, manager, hours), from the same
    rules the sweep uses, as the statement's input."""
    from complaints.services.escalation import escalation_tree
    from complaints.services.sweeps import AUTOMATIC_REASON

    tree = escalation_tree()
    params: dict[str, list] = {
        k: [] for k in ("source", "level", "target", "source_code", "target_code", "manager", "hours")
    }
    for department_id in tree.departments:
        route = tree.route(department_id)
        for level, hours in route.hours.items():
            params["source"].append(route.source.pk)
            params["level"].append(level)
            params["target"].append(route.target.pk)
            params["source_code"].append(route.source.code)
            params["target_code"].append(route.target.code)
            params["manager"].append(route.target.manager_id)
            params["hours"].append(hours)
    return {**params, "now": now, "reason": AUTOMATIC_REASON}


def run_raw() -> tuple[float, int]:
    from django.db import transaction
    from django.utils import timezone

    started = time.perf_counter()
    with transaction.atomic():
        moved, events, escalations = execute(RAW_SQL, raw_params(timezone.now()))[0]
    seconds = time.perf_counter() - started
    assert moved == events == escalations, (moved, events, escalations)
    return seconds, moved


def run_sweep(batch_size: int | None) -> tuple[float, int]:
    from complaints.services.sweeps import escalate_overdue

    last = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 5 or done >= total:
            last[0] = time.perf_counter()
            print(f"    sweep {done}/{total}", flush=True)

    started = time.perf_counter()
    options = {"batch_size": batch_size} if batch_size else {}
    result = escalate_overdue(progress=progress, **options)
    seconds = time.perf_counter() - started
    assert result.errors == 0, result
    return seconds, result.escalated


def purge_outbox_queue() -> int:
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0
    from grievance.celery import app

    return app.control.purge() or 0


def cpu_line() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="Overdue complaints to seed and sweep.")
    parser.add_argument("--batch-size", type=int, help="Rows per sweep batch (default: the sweep's own).")
    parser.add_argument("--runs", type=int, default=3, help="Runs of each contender (the median is reported).")
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a scratch PostgreSQL database.")
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No broker: the hand-off would run every consumer inline. Record the messages instead.
        from complaints import tasks

        handed: list[int] = []
        tasks.dispatch_events.delay = lambda ids: handed.append(len(ids))
        print("No CELERY_BROKER_URL: outbox messages are recorded in memory, not sent to a broker.")
    else:
        print(f"Outbox hand-off to {settings.CELERY_BROKER_URL.split('@')[-1]} (not consumed; purged after each run)")

    print(f"Database {connection.settings_dict['NAME']}; {cpu_line()}")
    seed(args.count)
    timings: dict[str, list[float]] = {"raw": [], "sweep": []}
    rss = []
    for run in range(1, args.runs + 1):
        for name in ("raw", "sweep"):
            reset()
            print(f"  run {run} {name}: {cpu_line()}", flush=True)
            if name == "raw":
                seconds, rows = run_raw()
            else:
                rss.append(rss_mb())
                seconds, rows = run_sweep(args.batch_size)
                rss.append(rss_mb())
                purged = purge_outbox_queue()
                if purged:
                    print(f"    purged {purged} outbox message(s)")
            if rows != args.count:
                sys.exit(f"{name} escalated {rows}, expected {args.count}")
            timings[name].append(seconds)
            print(f"  run {run} {name}: {rows} rows in {seconds:.2f}s = {rows / seconds:,.0f} rows/s", flush=True)
    raw, sweep = statistics.median(timings["raw"]), statistics.median(timings["sweep"])
    print()
    from complaints.services.sweeps import DEFAULT_BATCH_SIZE

    batch_size = args.batch_size or DEFAULT_BATCH_SIZE
    print(f"{args.count} overdue complaints, batch size {batch_size}, median of {args.runs}:")
    print(f"  raw SQL statement: {raw:.2f}s ({args.count / raw:,.0f} rows/s)  runs {fmt(timings['raw'])}")
    print(f"  sweep:             {sweep:.2f}s ({args.count / sweep:,.0f} rows/s)  runs {fmt(timings['sweep'])}")
    print(f"  ratio sweep/raw:   {sweep / raw:.2f}x")
    print(f"  RSS around the sweeps (MB): {' -> '.join(f'{v:.0f}' for v in rss)}; max RSS {max_rss_mb():.0f} MB")
    print(f"  {cpu_line()}")


def fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
