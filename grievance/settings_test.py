"""Settings for the test suite: the real settings, made fast and hermetic.

The database still comes from DATABASE_URL (PostgreSQL in CI, SQLite otherwise); the broker URL
too, so the real-worker test can reach Redis, but tasks run eagerly unless a test says otherwise.
"""

import tempfile

from grievance.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "notifications.sms.backends.locmem.SmsBackend"
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = tempfile.mkdtemp(prefix="grievance-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEBUG = False
SECURE_SSL_REDIRECT = False
# The demo seed's analytics history: enough for a year of charts, few enough for fast seed tests.
ANALYTICS_DEMO_HISTORY_COMPLAINTS = 200
# WhiteNoise indexes STATIC_ROOT at start-up and warns when it does not exist.
STATIC_ROOT = tempfile.mkdtemp(prefix="grievance-test-static-")
