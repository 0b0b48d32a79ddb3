import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, **env_overrides: str) -> subprocess.CompletedProcess:
    # A clean environment: only what Python needs to start, plus the overrides under test.
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "grievance.settings"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_settings_load_with_no_environment_and_use_embedded_defaults():
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE']); print(s.CELERY_TASK_ALWAYS_EAGER); "
        "print(s.CACHES['default']['BACKEND']); print(s.STORAGES['default']['BACKEND']); print(s.DEBUG)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.files.storage.FileSystemStorage",
        "True",
    ]


def test_production_without_secret_key_refuses_to_start():
    result = _run("import django; django.setup()", DEBUG="False")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_environment_selects_postgres_redis_and_s3():
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE']); print(s.CELERY_TASK_ALWAYS_EAGER); "
        "print(s.CACHES['default']['BACKEND']); print(s.STORAGES['default']['BACKEND'])",
        DATABASE_URL="postgres://u:p@db:5432/grievance",
        REDIS_URL="redis://redis:6379/0",
        CACHE_URL="rediscache://redis:6379/1",
        AWS_STORAGE_BUCKET_NAME="grievance-media",
    )
    assert result.returncode == 0, result.stderr
    engine, eager, cache, storage = result.stdout.split()
    assert engine == "django.db.backends.postgresql"
    assert eager == "False"
    assert cache.endswith("RedisCache")
    assert storage == "storages.backends.s3.S3Storage"


def test_check_deploy_is_clean_with_production_values():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DEBUG": "False",
            "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-with-entropy-9f8e7d6c5b4a",
            "ALLOWED_HOSTS": "grievance.example.gov",
            "DATABASE_URL": "sqlite:////tmp/grievance-deploy-check.sqlite3",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
