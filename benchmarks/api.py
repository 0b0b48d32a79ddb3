"""Benchmark of the complaints API under concurrent load through gunicorn on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grievance_bench \
        .venv/bin/python benchmarks/api.py --complaints 100000 --concurrency 8 --seconds 15

It migrates the database named by DATABASE_URL (use a scratch database: the data stays there for
re-runs), fills it with --complaints complaints if it has fewer, starts gunicorn on a local port,
and for each scenario (create, list as a citizen, list as a department officer, detail) keeps
--concurrency clients busy for --seconds, then prints requests per second and p50/p99 latency.
Not part of the test suite: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grievance.settings")
    import django

    django.setup()


def fill(target: int) -> None:
    """Bring the database to `target` complaints, in bulk, with one 'created' event each."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from complaints.models import Complaint, ComplaintEvent, ReferenceCounter, Status
    from complaints.references import format_reference
    from departments.models import Category
    from departments.seed import seed_reference_data

    call_command("migrate", verbosity=0)
    seed_reference_data()
    have = Complaint.objects.count()
    if have >= target:
        print(f"database already has {have} complaints")
        return
    citizens = list(User.objects.filter(role=Role.CITIZEN).order_by("id")[:2000])
    if len(citizens) < 2000:
        User.objects.bulk_create(
            [
                User(role=Role.CITIZEN, phone=f"+9170{n:08d}", full_name=f"Bench citizen {n}")
                for n in range(len(citizens), 2000)
            ],
            ignore_conflicts=True,
        )
        citizens = list(User.objects.filter(role=Role.CITIZEN).order_by("id")[:2000])
    subcategories = list(Category.objects.filter(parent__isnull=False, default_department__isnull=False))
    statuses = [Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
    year = timezone.localdate().year
    rng = random.Random(42)
    now = timezone.now()
    chunk = 5000
    started = time.perf_counter()
    while have < target:
        n = min(chunk, target - have)
        with transaction.atomic():
            counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
            first = counter.last_value + 1
            counter.last_value += n
            counter.save()
            rows = []
            for i in range(n):
                sub = rng.choice(subcategories)
                citizen = rng.choice(citizens)
                created = now - timezone.timedelta(minutes=rng.randint(0, 60 * 24 * 365))
                rows.append(
                    Complaint(
                        reference=format_reference(year, first + i),
                        citizen=citizen,
                        created_by=citizen,
                        title=f"Benchmark complaint {first + i}",
                        description="Generated for the API benchmark.",
                        category_id=sub.parent_id,
                        subcategory=sub,
                        department_id=sub.default_department_id,
                        priority=rng.choice(["low", "medium", "high", "urgent"]),
                        status=rng.choice(statuses),
                        latitude=round(28.5 + rng.random() * 0.3, 6),
                        longitude=round(77.0 + rng.random() * 0.3, 6),
                        sla_due_at=created + timezone.timedelta(hours=72),
                        created_at=created,
                    )
                )
            Complaint.objects.bulk_create(rows, batch_size=1000)
            ComplaintEvent.objects.bulk_create(
                [ComplaintEvent(complaint=c, actor_id=c.citizen_id, action="created", to_status="new") for c in rows],
                batch_size=1000,
            )
        have += n
        print(f"  filled {have}/{target} ({time.perf_counter() - started:.0f}s)", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def tokens() -> dict[str, str]:
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import Role, User
    from complaints.models import Complaint

    citizen = User.objects.filter(role=Role.CITIZEN, complaints__isnull=False).order_by("id").first()
    officer = User.objects.filter(role=Role.OFFICER, department__code="roads").first()
    if officer is None:
        from departments.models import Department

        officer = User.objects.create(
            role=Role.OFFICER, email="bench.officer@example.org", department=Department.objects.get(code="roads")
        )
    detail_ids = list(Complaint.objects.filter(citizen=citizen).values_list("id", flat=True)[:50])
    return {
        "citizen": str(RefreshToken.for_user(citizen).access_token),
        "officer": str(RefreshToken.for_user(officer).access_token),
        "detail_ids": detail_ids,
        "citizen_count": Complaint.objects.filter(citizen=citizen).count(),
        "officer_count": Complaint.objects.visible_to(officer).count(),
    }


def run_load(port: int, method: str, path_fn, token: str, body_fn, concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local_lat: list[float] = []
        local_err: list[int] = []
        while time.perf_counter() < deadline:
            body = body_fn()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "127.0.0.1"}
            start = time.perf_counter()
            try:
                conn.request(method, path_fn(), body=json.dumps(body) if body else None, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            elapsed = time.perf_counter() - start
            if 200 <= status < 300:
                local_lat.append(elapsed)
            else:
                local_err.append(status)
        with lock:
            latencies.extend(local_lat)
            errors.extend(local_err)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_statuses": sorted(set(errors))[:5],
        "rps": len(latencies) / wall,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database.")
    os.environ.update(
        {
            "DEBUG": "False",
            "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "False",
            "THROTTLE_USER": "100000000/minute",
            "THROTTLE_ANON": "100000000/minute",
            "LOG_LEVEL": "WARNING",
        }
    )
    setup_django()
    fill(args.complaints)
    info = tokens()
    print(f"citizen sees {info['citizen_count']} complaints, roads officer sees {info['officer_count']}")

    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "grievance.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
                conn.request("GET", "/health", headers={"Host": "127.0.0.1"})
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("gunicorn did not come up")

        ids = info["detail_ids"]
        new_complaint = {
            "title": "Load test pothole",
            "description": "From the benchmark",
            "category": "infrastructure",
        }
        page = "/api/v1/complaints/?page_size=20"
        scenarios = [
            ("create", "POST", lambda: "/api/v1/complaints/", info["citizen"], lambda: new_complaint),
            ("list (citizen, page of 20)", "GET", lambda: page, info["citizen"], lambda: None),
            ("list (roads officer, page of 20)", "GET", lambda: page, info["officer"], lambda: None),
            (
                "detail (citizen)",
                "GET",
                lambda: f"/api/v1/complaints/{random.choice(ids)}/",
                info["citizen"],
                lambda: None,
            ),
        ]
        print(f"\n{args.concurrency} concurrent clients, {args.seconds:.0f}s each, gunicorn {args.workers} workers\n")
        print(f"{'scenario':36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}")
        for name, method, path_fn, token, body_fn in scenarios:
            result = run_load(args.port, method, path_fn, token, body_fn, args.concurrency, args.seconds)
            print(
                f"{name:36} {result['rps']:8.1f} {result['p50_ms']:8.1f} {result['p99_ms']:8.1f} "
                f"{result['requests']:9d} {result['errors']:7d} {result['error_statuses'] or ''}"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
