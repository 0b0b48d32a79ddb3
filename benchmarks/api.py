"""Grievance against the FastAPI design, side by side, in one command (issue 11).

    .venv/bin/python benchmarks/api.py            # seed (once), serve, compare: ROUNDS=3 by default
    ROUNDS=1 DURATION=10 .venv/bin/python benchmarks/api.py      # a quicker look

What it does, with the harness in ../shared/bench (BENCH_DIR; read its README):

1. starts pg.sh's throwaway PostgreSQL (127.0.0.1:55432) and, unless it is there already, seeds the
   database `grv_bench` the way the peer's seed.py does: reference data as `manage.py seed` makes it,
   1,000 citizens, 100,000 complaints spread over them (one "created" timeline event each), and the
   bench citizen (phone 9999999999, password pass12345) who owns exactly 200;
2. serves the app production-like: gunicorn with exactly 2 worker processes, DEBUG=0, no access log,
   Celery's broker and the cache (throttle counters) on Redis as in docker-compose, throttles raised
   so the load is not refused. No Celery worker runs: the outbox messages queue up in Redis (the
   request's part ends at publishing them) and `reset` empties that Redis database;
3. writes the target file (scenarios create, list, detail; reset_cmd puts the bench citizen back to
   200 complaints) and runs compare.sh, which prints each round, the medians and the ratios.

Sub-commands for pieces of it: `seed`, `reset`, `serve` (foreground), `target` (print the target).
Environment: BENCH_DIR, BENCH_WORK (/tmp/grievance-bench), BENCH_DB (grv_bench), BENCH_PORT (8812),
BENCH_REDIS (redis://127.0.0.1:6379/12 broker, /13 cache), GUNICORN_WORKER_CLASS (gthread),
GUNICORN_THREADS (1), GUNICORN_WORKER_CONNECTIONS (16), and compare.sh's
ROUNDS, DURATION, WARMUP, CONCURRENCY.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("BENCH_DIR", ROOT.parent.parent / "shared" / "bench")).resolve()
if not (BENCH_DIR / "compare.sh").exists():
    BENCH_DIR = Path("/work/shared/bench")
BENCH_WORK = Path(os.environ.get("BENCH_WORK", "/tmp/grievance-bench"))
DB_NAME = os.environ.get("BENCH_DB", "grv_bench")
DATABASE_URL = f"postgres://postgres@127.0.0.1:55432/{DB_NAME}"
PORT = int(os.environ.get("BENCH_PORT", "8812"))
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379").rstrip("/")
BROKER_URL = f"{REDIS}/12"
CACHE_URL = f"{REDIS}/13"
PIDFILE = BENCH_WORK / "grievance-gunicorn.pid"
TARGET_FILE = BENCH_WORK / "grievance.json"

BENCH_PHONE = "+919999999999"
BENCH_PASSWORD = "pass12345"
N_CITIZENS = 1000
N_COMPLAINTS = 100_000
N_BENCH_COMPLAINTS = 200

# The server's environment: production settings (DEBUG off) on the bench database.
SERVER_ENV = {
    "DEBUG": "False",
    "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "False",  # wrk speaks plain HTTP to gunicorn, as a proxy would
    "THROTTLE_USER": "100000000/minute",
    "THROTTLE_ANON": "100000000/minute",
    "THROTTLE_LOGIN": "100000/minute",
    "JWT_ACCESS_MINUTES": "240",
    "LOG_LEVEL": "WARNING",
    "DATABASE_URL": DATABASE_URL,
    "CELERY_BROKER_URL": BROKER_URL,
    "CACHE_URL": CACHE_URL,
    # psycopg 3's pool (Django 5.2) instead of persistent connections with a SELECT 1 per request.
    # One connection per gunicorn thread: a request never waits for another's connection.
    "DB_POOL_MAX_SIZE": os.environ.get("GUNICORN_THREADS", "1"),
    "DB_POOL_MIN_SIZE": "1",
    # Server-side binding and prepared statements (from a statement's 5th run on a connection).
    "DB_SERVER_SIDE_BINDING": "True",
    "DB_PREPARE_THRESHOLD": "5",
}

DESCRIPTION = (
    "Water has not been supplied to house {n} in ward 12 for three days; residents are buying tankers. "
    "Please restore supply and inspect the main line near the market."
)


def setup_django() -> None:
    os.environ.update(SERVER_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grievance.settings")
    import django

    django.setup()


def pg(*args: str, check: bool = True) -> str:
    result = subprocess.run([str(BENCH_DIR / "pg.sh"), *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        sys.exit(f"pg.sh {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def ensure_database() -> None:
    pg("start")
    if pg("psql", "-Atc", f"select 1 from pg_database where datname='{DB_NAME}'") != "1":
        pg("psql", "-c", f'CREATE DATABASE "{DB_NAME}"')


# --- seed ------------------------------------------------------------------------------------
def seed() -> None:
    """Reference data, 1,000 citizens with 100,000 complaints, and the bench citizen with 200. Idempotent."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from complaints.models import Complaint, ComplaintEvent, Status
    from complaints.references import format_reference, reserve_numbers
    from departments.models import Category
    from departments.seed import seed_reference_data

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    seed_reference_data()
    if User.objects.filter(phone=BENCH_PHONE).exists():
        print(f"{DB_NAME}: already seeded ({Complaint.objects.count()} complaints)")
        return
    now = timezone.now()
    password = make_password("pass12345", hasher="pbkdf2_sha256")  # seeding speed; the bench user gets argon2
    User.objects.bulk_create(
        [
            User(
                role=Role.CITIZEN,
                phone=f"+9170{n:08d}",
                full_name=f"Citizen {n}",
                password=password,
                date_joined=now - timezone.timedelta(days=400),
            )
            for n in range(N_CITIZENS)
        ]
    )
    citizens = list(User.objects.filter(role=Role.CITIZEN, phone__startswith="+9170").order_by("id"))
    bench = User(role=Role.CITIZEN, phone=BENCH_PHONE, full_name="Bench citizen", date_joined=now)
    bench.set_password(BENCH_PASSWORD)
    bench.save()
    subcategories = list(Category.objects.filter(parent__isnull=False, default_department__isnull=False))
    statuses = [Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
    weights = [15, 15, 20, 30, 20]
    rng = random.Random(42)
    owners = [rng.choice(citizens) for _ in range(N_COMPLAINTS)] + [bench] * N_BENCH_COMPLAINTS
    year = timezone.localdate().year
    chunk = 5000
    for start in range(0, len(owners), chunk):
        part = owners[start : start + chunk]
        with transaction.atomic():
            numbers = reserve_numbers(year, len(part))
            rows = []
            for owner, number in zip(part, numbers, strict=True):
                sub = rng.choice(subcategories)
                created = now - timezone.timedelta(seconds=rng.randint(60, 365 * 86400))
                rows.append(
                    Complaint(
                        reference=format_reference(year, number),
                        citizen=owner,
                        created_by=owner,
                        title=f"Complaint {number} about {sub.name.lower()}",
                        description=DESCRIPTION.format(n=number),
                        category_id=sub.parent_id,
                        subcategory=sub,
                        department_id=sub.default_department_id,
                        priority=rng.choice(["low", "medium", "high", "urgent"]),
                        status=rng.choices(statuses, weights)[0],
                        source=rng.choice(["web", "mobile"]),
                        language="en",
                        sla_due_at=created + timezone.timedelta(hours=72),
                        created_at=created,
                    )
                )
            Complaint.objects.bulk_create(rows, batch_size=1000)
            ComplaintEvent.objects.bulk_create(
                [
                    ComplaintEvent(
                        complaint=c,
                        actor_id=c.citizen_id,
                        action="created",
                        to_status="new",
                        created_at=c.created_at,
                        dispatched_at=c.created_at,
                    )
                    for c in rows
                ],
                batch_size=1000,
            )
        print(f"  seeded {start + len(part)}/{len(owners)} ({time.perf_counter() - started:.0f}s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"{DB_NAME}: seeded in {time.perf_counter() - started:.0f}s")


# --- reset -----------------------------------------------------------------------------------
def reset() -> None:
    """Back to the seeded state: the bench citizen's complaints filed since seeding go, and the
    queued outbox messages with them; then VACUUM ANALYZE and CHECKPOINT, as the peer's reset does."""
    import redis
    from django.db import connection

    from accounts.models import User
    from complaints.models import Complaint

    bench = User.objects.get(phone=BENCH_PHONE)
    deleted, _ = Complaint.objects.filter(citizen=bench, created_at__gt=bench.date_joined).delete()
    redis.Redis.from_url(BROKER_URL).flushdb()
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE complaints_complaint")
        cursor.execute("VACUUM ANALYZE complaints_complaintevent")
        cursor.execute("CHECKPOINT")
    left = Complaint.objects.filter(citizen=bench).count()
    print(f"reset: deleted {deleted} rows, the bench citizen has {left} complaints", file=sys.stderr)


# --- serve -----------------------------------------------------------------------------------
def gunicorn_cmd() -> list[str]:
    # gthread workers: keep-alive connections (a sync worker closes the connection after every
    # response). One thread each by default: measured with 1, 2, 4 and 8 threads (docs/benchmarks.md),
    # more threads only made the requests contend for the GIL (more CPU per request, lower
    # throughput, higher p99) on two cores shared with PostgreSQL and the load generator.
    # A worker takes at most GUNICORN_WORKER_CONNECTIONS connections, half of compare.sh's 32, so
    # the two share them (without it one worker took 29 of 32).
    worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
    threads = os.environ.get("GUNICORN_THREADS", "1")
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "grievance.wsgi:application",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        "2",
        "--worker-class",
        worker_class,
        "--threads",
        threads,
        "--worker-connections",
        os.environ.get("GUNICORN_WORKER_CONNECTIONS", "16"),
        "--pid",
        str(PIDFILE),
        "--log-level",
        "warning",
    ]  # no --access-logfile: no access log


def start_server() -> subprocess.Popen:
    BENCH_WORK.mkdir(parents=True, exist_ok=True)
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
    except OSError:
        pass
    else:  # measuring a server left over from an earlier run would measure old code
        sys.exit(f"something already listens on 127.0.0.1:{PORT} (a gunicorn left running?); stop it first")
    env = {**os.environ, **SERVER_ENV, "DJANGO_SETTINGS_MODULE": "grievance.settings"}
    server = subprocess.Popen(gunicorn_cmd(), cwd=ROOT, env=env)
    for _ in range(150):
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{PORT}/health", headers={"Host": "127.0.0.1"})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200 and PIDFILE.exists():
                    return server
        except OSError:
            pass
        if server.poll() is not None:
            sys.exit("gunicorn exited; see its output above")
        time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not come up")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


# --- target ----------------------------------------------------------------------------------
def target() -> dict:
    python = sys.executable
    reset_cmd = " ".join(
        [f"BENCH_DB={DB_NAME}", f"BENCH_REDIS={REDIS}", f'"{python}"', f'"{ROOT / "benchmarks/api.py"}"', "reset"]
    )
    return {
        "name": "grievance",
        "base": f"http://127.0.0.1:{PORT}",
        "headers": {"Accept": "application/json"},
        "auth": {
            "login": {
                "path": "/api/v1/auth/token/",
                "body": {"login": BENCH_PHONE, "password": BENCH_PASSWORD},
                "token_field": "access",
            },
            "header": "Authorization",
            "scheme": "Bearer",
        },
        "reset_cmd": reset_cmd,
        "scenarios": [
            {
                "name": "create",
                "method": "POST",
                "path": "/api/v1/complaints/",
                "body": {
                    "title": "Bench complaint {n}",
                    "description": DESCRIPTION,
                    "category": "infrastructure",
                    "subcategory": "water-leak",
                    "language": "en",
                    "source": "mobile",
                },
            },
            {"name": "list", "method": "GET", "path": "/api/v1/complaints/?page_size=20"},
            {
                "name": "detail",
                "method": "GET",
                "path": "/api/v1/complaints/{ref}/",
                "refs": {"path": "/api/v1/complaints/?page_size=20", "field": "results.*.reference"},
            },
        ],
        "_comment": "Written by benchmarks/api.py: Grievance served by gunicorn (2 workers) on pg.sh's server.",
    }


def write_target() -> Path:
    BENCH_WORK.mkdir(parents=True, exist_ok=True)
    TARGET_FILE.write_text(json.dumps(target(), indent=2))
    return TARGET_FILE


# --- main ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "command", nargs="?", default="compare", choices=["compare", "seed", "reset", "serve", "target"]
    )
    args = parser.parse_args()
    if args.command == "target":
        print(json.dumps(target(), indent=2))
        return
    if args.command == "reset":
        setup_django()
        reset()
        return
    ensure_database()
    setup_django()
    seed()
    if args.command == "seed":
        return
    reset()
    # SIGTERM (kill, pkill) ends the run through `finally`, which stops gunicorn with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = start_server()
    try:
        if args.command == "serve":
            print(f"serving on http://127.0.0.1:{PORT} (pid file {PIDFILE}); Ctrl-C stops", flush=True)
            server.wait()
            return
        path = write_target()
        env = {**os.environ, "BENCH_WORK": str(BENCH_WORK)}
        result = subprocess.run([str(BENCH_DIR / "compare.sh"), str(path), str(PIDFILE)], cwd=BENCH_DIR, env=env)
        if result.returncode != 0:
            sys.exit(result.returncode)
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
