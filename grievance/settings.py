"""Settings for Grievance, read from the environment only (django-environ).

Every setting has a development default that works with no `.env`: SQLite, eager Celery tasks,
a local-memory cache and local media files. `.env.example` lists each variable with a line on
what it does. Production sets `DEBUG=False`, which makes `SECRET_KEY` mandatory and turns on the
HTTPS hardening that `manage.py check --deploy` looks for.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is a convenience for development; real deployments pass variables directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
# Keys that were ever published (this file, old docker-compose.yml): JWTs, OTP hashes and reset
# links signed with them are forgeable by anyone, however long they look to check --deploy.
_PUBLISHED_SECRET_KEYS = {_DEV_SECRET_KEY, "change-me-compose-secret-key-please-0123456789abcdef"}
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else _DEV_SECRET_KEY)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
if not DEBUG and (SECRET_KEY in _PUBLISHED_SECRET_KEYS or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "SECRET_KEY must be a private random value of 50+ characters when DEBUG is off "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "accounts",
    "notifications",
    "departments",
    "complaints",
    "analytics",
    "open311",
    "messaging",
    "grievance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files (admin, citizen pages, vendored Leaflet/Chart.js) from gunicorn
    # in production, where runserver's static view is off; a no-op for files it does not know.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in person's saved language wins over the browser's.
    "accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response (django-csp; + the map-tile host, grievance/csp.py).
    "grievance.csp.GrievanceCSPMiddleware",
    # Last: turns a login refused for a locked account into a 429 (accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "grievance.urls"
WSGI_APPLICATION = "grievance.wsgi.application"
ASGI_APPLICATION = "grievance.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's connection pool (Django 5.2): each process keeps open connections and lends one to
    # a request for its duration. The pool checks a connection when it comes back, so requests skip
    # the `SELECT 1` that CONN_HEALTH_CHECKS runs on a persistent connection before each request.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding (psycopg 3 sends the SQL and its parameters separately instead of quoting
    # them into the text) and, after DB_PREPARE_THRESHOLD runs of the same statement on a connection,
    # a server-side prepared statement: PostgreSQL then parses and plans it once per connection.
    # Off by default; not behind a transaction-mode pgbouncer (prepared statements live in a session).
    if env.bool("DB_SERVER_SIDE_BINDING", default=False):
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    if env.str("DB_PREPARE_THRESHOLD", default=""):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = env.int("DB_PREPARE_THRESHOLD")
if not (DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"):
    # Persistent connections, checked before reuse so a restarted database does not break requests.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://grievance")}

# --- Users and authentication ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a password login for a locked account before any password check.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.PhoneOrEmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Pages send people to the citizen (phone) login; staff sign in at /admin/.
LOGIN_URL = "accounts:login"
# Region used to read phone numbers typed without a country code.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="IN")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("hi", _("Hindi"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Kolkata")
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # S3 or any S3-compatible store (MinIO in docker-compose). Files stay private: they are
    # served through permission-checked views or short-lived signed URLs, never public links.
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Email and SMS --------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Grievance <noreply@grievance.local>")

# SMS backends mirror Django's email backends: console, filebased, locmem (tests) and twilio.
SMS_BACKEND = env.str("SMS_BACKEND", default="notifications.sms.backends.console.SmsBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms"))
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")

# --- Phone OTP login (citizens) -------------------------------------------------------------
OTP_CODE_TTL_SECONDS = env.int("OTP_CODE_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", default=60)
OTP_MAX_PER_PHONE_PER_HOUR = env.int("OTP_MAX_PER_PHONE_PER_HOUR", default=5)
OTP_MAX_PER_IP_PER_HOUR = env.int("OTP_MAX_PER_IP_PER_HOUR", default=30)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str("REDIS_URL", default="")
# With no broker, tasks run in-process at once: the app works with nothing but Python.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# The outbox's after-commit hand-offs of one process within this many milliseconds share one Celery
# message (complaints/outbox.py); 0 publishes one message per transaction, in the request.
OUTBOX_PUBLISH_INTERVAL_MS = env.int("OUTBOX_PUBLISH_INTERVAL_MS", default=100)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Complaints -----------------------------------------------------------------------------
# Days after resolution during which the citizen may reopen; after that the complaint closes itself.
COMPLAINT_REOPEN_WINDOW_DAYS = env.int("COMPLAINT_REOPEN_WINDOW_DAYS", default=7)
COMPLAINT_MAX_ATTACHMENTS = env.int("COMPLAINT_MAX_ATTACHMENTS", default=5)
COMPLAINT_ATTACHMENT_MAX_BYTES = env.int("COMPLAINT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Largest image (width x height) accepted, read from the header before decoding: a phone photo is
# 12-50 MP; decoding costs about 4 bytes a pixel. Above it an upload is a 413.
ATTACHMENT_MAX_PIXELS = env.int("ATTACHMENT_MAX_PIXELS", default=40_000_000)
# Largest request body Django reads (files excluded). Above the 10 MB a complaint's text fields may
# carry in total, so oversized text gets a field error; anything bigger is refused with a 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=12 * 1024 * 1024)
# Uploads above this size go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Open311 GeoReport v2 ------------------------------------------------------------------------
# Who client developers write to about the Open311 endpoint (shown in discovery).
OPEN311_CONTACT = env.str("OPEN311_CONTACT", default="")

# --- Messaging channels (Telegram, WhatsApp, SMS): see README "Messaging channels" ---------
# Outbound base URLs are settings so tests (and staging) point them at a local stub.
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_API_BASE_URL = env.str("TELEGRAM_API_BASE_URL", default="https://api.telegram.org")
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default="")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_API_BASE_URL = env.str("WHATSAPP_API_BASE_URL", default="https://graph.facebook.com")
WHATSAPP_API_VERSION = env.str("WHATSAPP_API_VERSION", default="v21.0")
# Inbound SMS reuses TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / TWILIO_FROM_NUMBER above.
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="https://api.twilio.com")
# The public origin Twilio calls (https://grievance.example.gov): its signature covers the full URL,
# which a proxy in front of the app may rewrite. Empty: the URL of the request as received.
MESSAGING_PUBLIC_BASE_URL = env.str("MESSAGING_PUBLIC_BASE_URL", default="")
# Webhooks whose message is older than this are refused as replays (providers that date messages).
MESSAGING_WEBHOOK_MAX_AGE_SECONDS = env.int("MESSAGING_WEBHOOK_MAX_AGE_SECONDS", default=600)
# Minutes a half-finished conversation (filing a complaint) is kept before it is dropped.
MESSAGING_CONVERSATION_TTL_MINUTES = env.int("MESSAGING_CONVERSATION_TTL_MINUTES", default=30)
# Sending attempts per outbound message before it is marked failed; seconds for each provider call.
MESSAGING_SEND_MAX_ATTEMPTS = env.int("MESSAGING_SEND_MAX_ATTEMPTS", default=6)
MESSAGING_HTTP_TIMEOUT_SECONDS = env.int("MESSAGING_HTTP_TIMEOUT_SECONDS", default=10)
# Consecutive failed sends after which /api/v1/channels/status/ warns that a provider is failing.
MESSAGING_HEALTH_FAILURE_THRESHOLD = env.int("MESSAGING_HEALTH_FAILURE_THRESHOLD", default=3)
# Campaign messages per second each provider accepts from us (all workers together, counted in the
# cache: use a shared cache such as Redis in production). Telegram allows about 30/s per bot.
MESSAGING_CAMPAIGN_RATE_PER_SECOND = {
    "telegram": env.int("MESSAGING_CAMPAIGN_RATE_TELEGRAM", default=25),
    "whatsapp": env.int("MESSAGING_CAMPAIGN_RATE_WHATSAPP", default=50),
    "sms": env.int("MESSAGING_CAMPAIGN_RATE_SMS", default=10),
}
if min(MESSAGING_CAMPAIGN_RATE_PER_SECOND.values()) < 1:
    raise ImproperlyConfigured("MESSAGING_CAMPAIGN_RATE_* must be >= 1 message per second.")
if MESSAGING_SEND_MAX_ATTEMPTS < 1 or MESSAGING_HEALTH_FAILURE_THRESHOLD < 1:
    raise ImproperlyConfigured("MESSAGING_SEND_MAX_ATTEMPTS and MESSAGING_HEALTH_FAILURE_THRESHOLD must be >= 1.")

# --- Citizen pages: the map --------------------------------------------------------------
# Tile URL template for the location map (e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png or your
# own tile server). Empty: no map; citizens set their location with "use my location" or an address.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")
# Where the map opens before a pin is set ("lat,lng") and how far "already reported nearby" looks.
MAP_DEFAULT_CENTER = env.list("MAP_DEFAULT_CENTER", cast=float, default=[28.6139, 77.2090])
if len(MAP_DEFAULT_CENTER) != 2 or not (-90 <= MAP_DEFAULT_CENTER[0] <= 90 and -180 <= MAP_DEFAULT_CENTER[1] <= 180):
    raise ImproperlyConfigured("MAP_DEFAULT_CENTER must be 'latitude,longitude'.")
COMPLAINT_NEARBY_RADIUS_M = env.int("COMPLAINT_NEARBY_RADIUS_M", default=150)

# --- REST API -------------------------------------------------------------------------------
# Deepest nesting of objects and arrays a JSON body may have (AI intake metadata is the deepest).
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "grievance.api.pagination.StandardPagination",
    # JSON with size and depth limits, no NUL or lone surrogates (grievance/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "grievance.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "grievance.api.throttling.AnonRateThrottle",
        "grievance.api.throttling.UserRateThrottle",
        "grievance.api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/minute"),
        "user": env.str("THROTTLE_USER", default="600/minute"),
        "login": env.str("THROTTLE_LOGIN", default="10/minute"),
    },
    "EXCEPTION_HANDLER": "grievance.api.exceptions.exception_handler",
    # DRF's negotiation, its answer remembered per Accept header and renderer set (issue 11).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "grievance.api.negotiation.RememberedContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a fingerprint of the password hash: a password change or reset ends every
    # session (access tokens at once, refresh tokens at their next use); deactivation too (is_active).
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_REFRESH_SERIALIZER": "accounts.api.serializers.RefreshSerializer",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Grievance API",
    "DESCRIPTION": "Public grievance redressal: complaints, departments, escalation, analytics.",
    "VERSION": "1.0.0",
    # Swagger UI and Redoc served from our own static files (drf-spectacular-sidecar), never a CDN:
    # the Content-Security-Policy allows scripts from our origin only.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One name per choice set, so clients get stable enum types.
    "ENUM_NAME_OVERRIDES": {
        "PriorityEnum": "departments.models.Priority",
        "ComplaintSourceEnum": "complaints.models.Source",
        "IntakeSourceEnum": "complaints.models.INTAKE_SOURCE_CHOICES",
        "ComplaintStatusEnum": "complaints.models.Status",
        "ChatChannelEnum": "messaging.models.ChannelName",
    },
}

# --- Analytics --------------------------------------------------------------------------------
# The dashboard's map uses MAP_TILE_URL / MAP_TILE_ATTRIBUTION (above); empty: the ward table only.
# How many generated complaints `manage.py seed` writes as the dashboard's year of demo history.
ANALYTICS_DEMO_HISTORY_COMPLAINTS = env.int("ANALYTICS_DEMO_HISTORY_COMPLAINTS", default=6000)

# --- Security -------------------------------------------------------------------------------
# Content-Security-Policy (django-csp) on every response: scripts and everything else from our own
# origin only, never inline script or eval; no framing by anyone. Inline *styles* stay allowed (our
# templates and Django's admin use style attributes). The map-tile host of MAP_TILE_URL is added to
# img-src at run time (grievance/csp.py). The API docs relax it per view (grievance/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Where browsers send violation reports (a URL); empty: none are sent.
CSP_REPORT_URI = env.str("CSP_REPORT_URI", default="")
if CSP_REPORT_URI:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [CSP_REPORT_URI]
# Addresses or networks of our own proxies (TLS terminator, load balancer). Only they may say who
# the client is through X-Forwarded-For; everyone else's header is ignored (grievance/client_address.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
try:
    import ipaddress as _ipaddress

    [_ipaddress.ip_network(_entry, strict=False) for _entry in TRUSTED_PROXIES]
except ValueError as _exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_exc}") from None

# Password logins (API token endpoint, admin login): per-account lockout with back-off (django-axes).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
LOGIN_COOLOFF_MAX_MINUTES = env.int("LOGIN_COOLOFF_MAX_MINUTES", default=24 * 60)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
# Per account, as the review asked. django-axes warns (axes.W006) that this lock ignores the address;
# guessing across many accounts from one address is held back by the "login" throttle (per client
# address) on the API; the admin login is per-account only.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_COOLOFF_TIME = "accounts.lockout.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "grievance.client_address.axes_client_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "code", "csrfmiddlewaretoken"]

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    # Behind a TLS-terminating proxy (gunicorn behind nginx/ingress) that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # /health is probed over plain HTTP by load balancers and orchestrators.
    SECURE_REDIRECT_EXEMPT = [r"^health$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every attempt at INFO; lockouts and repeated failures are WARNING.
    "loggers": {"axes": {"level": env.str("AXES_LOG_LEVEL", default="WARNING")}},
}
