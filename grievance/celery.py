"""The Celery app. Configured from Django settings (CELERY_*), tasks autodiscovered per app.

With no broker configured, settings turn on `task_always_eager`, so tasks run in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grievance.settings")

app = Celery("grievance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
