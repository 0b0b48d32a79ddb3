"""Where a hot API request's CPU goes, in process (issue 11): the explanation behind benchmarks/api.py.

    .venv/bin/python benchmarks/profile_api.py                 # CPU ms per request, each scenario
    .venv/bin/python benchmarks/profile_api.py --profile list  # + cProfile's top functions (CPU clock)

Runs the production settings of benchmarks/api.py (DEBUG off, psycopg pool, prepared statements,
Redis broker and cache) against its seeded `grv_bench` database (run `benchmarks/api.py seed`
first), calling Django's WSGI handler directly: no server, no sockets, no load generator, so the
figures are the app's own CPU per request and move little between runs. Each scenario warms up,
then runs N requests and reports CPU (process_time) and wall time per request. Creates are undone
with `benchmarks/api.py reset` afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import api as bench  # noqa: E402  (benchmarks/api.py: the same settings and seeded database)


def wsgi_call(app, method: str, path: str, token: str | None = None, body: bytes = b"") -> tuple[int, bytes]:
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8812",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(body))
    status = []
    chunks = app(environ, lambda s, headers, exc_info=None: status.append(s))
    content = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return int(status[0].split()[0]), content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=500, help="requests per scenario (default 500)")
    parser.add_argument("--profile", choices=["create", "list", "detail"], help="cProfile this scenario")
    parser.add_argument("--top", type=int, default=40, help="functions shown by --profile")
    parser.add_argument("--dump", help="with --profile: also write the raw cProfile stats to this file")
    parser.add_argument("--scenarios", default="create,list,detail")
    parser.add_argument("--without", default="", help="comma list of middleware to leave out (what would it save?)")
    args = parser.parse_args()

    bench.setup_django()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    left_out = [name for name in args.without.split(",") if name]
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not any(m.endswith(name) for name in left_out)]

    app = get_wsgi_application()
    login = json.dumps({"login": bench.BENCH_PHONE, "password": bench.BENCH_PASSWORD}).encode()
    code, content = wsgi_call(app, "POST", "/api/v1/auth/token/", body=login)
    if code != 200:
        sys.exit(f"login failed ({code}): {content[:200]!r}; run `benchmarks/api.py seed` first")
    token = json.loads(content)["access"]
    code, content = wsgi_call(app, "GET", "/api/v1/complaints/?page_size=20", token)
    refs = [row["reference"] for row in json.loads(content)["results"]]

    counter = iter(range(10**9))

    def create():
        n = next(counter)
        body = json.dumps(
            {
                "title": f"Bench complaint {n}",
                "description": bench.DESCRIPTION.format(n=n),
                "category": "infrastructure",
                "subcategory": "water-leak",
                "language": "en",
                "source": "mobile",
            }
        ).encode()
        return wsgi_call(app, "POST", "/api/v1/complaints/", token, body)

    scenarios = {
        "create": (create, 201),
        "list": (lambda: wsgi_call(app, "GET", "/api/v1/complaints/?page_size=20", token), 200),
        "detail": (lambda: wsgi_call(app, "GET", f"/api/v1/complaints/{refs[next(counter) % len(refs)]}/", token), 200),
    }
    try:
        for name in args.scenarios.split(","):
            call, expected = scenarios[name]
            for _ in range(50):  # warm up: prepared statements, per-process caches
                code, content = call()
                assert code == expected, (name, code, content[:300])
            profiler = cProfile.Profile(time.process_time) if args.profile == name else None
            cpu0, wall0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            for _ in range(args.n):
                call()
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            print(f"{name:7s} cpu {cpu / args.n * 1000:6.2f} ms/req   wall {wall / args.n * 1000:6.2f} ms/req")
            if profiler:
                if args.dump:
                    profiler.dump_stats(args.dump)
                stats = pstats.Stats(profiler)
                stats.sort_stats("cumulative").print_stats(args.top)
                stats.sort_stats("tottime").print_stats(args.top)
    finally:
        bench.reset()


if __name__ == "__main__":
    main()
