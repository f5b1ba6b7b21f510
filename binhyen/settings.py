"""Settings for Bình Yên, read from the environment (and an optional `.env` file).

Nothing else in the project reads os.environ. Every variable is documented in `.env.example`.
With nothing set you get SQLite in the repository folder and an embedded Celery broker on the
file system; DEBUG is off unless asked for, and with DEBUG off a real SECRET_KEY is required.
"""

import base64
import hashlib
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file; ENV_FILE="" reads no file.
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE)

# --- Core ---------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)

# Only usable with DEBUG on: a production run must never sign sessions with a published key
# (nor derive the informants' keys from it). `manage.py makemigrations` alone reads nothing but
# the code, signs and encrypts nothing, and so runs without one: the check that every model
# change has its migration runs it in a bare environment.
DEV_SECRET_KEY = "django-insecure-binhyen-local-development-only-do-not-deploy"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
KEYLESS_COMMAND = Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2] == ["makemigrations"]
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY and not KEYLESS_COMMAND:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Production (DEBUG off) refuses to start with the default key; "
        "set SECRET_KEY (see .env.example), or DEBUG=1 for local development."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Fernet keys (newest first) that encrypt informants' identities at rest; prepend a new key to
# rotate. Unset, one key is derived from SECRET_KEY, and `check --deploy` warns: a production
# server should keep this key apart, so that changing SECRET_KEY never locks the identities away.
INFORMANT_KEYS = env.list("INFORMANT_KEYS", default=[])
INFORMANT_KEYS_DERIVED = not INFORMANT_KEYS
if INFORMANT_KEYS_DERIVED:
    INFORMANT_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(f"binhyen-informant:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]

# The password every demo user gets from `seed_demo`; refused at login when DEBUG is off.
DEMO_PASSWORD = "binhyen-demo-2026"  # noqa: S105 (published on purpose)

# With DEBUG on only, `seed_demo` gives the demo police account a TOTP device with this published
# key (base32), so that the demo can be tried without enrolling a phone first.
DEMO_TOTP_KEY = "BINHYENDEMOKEYTHUANLOIDONGNAI234"  # published on purpose, DEBUG only

# Where files the portal writes live (embedded broker queue, uploads): never under static/.
DATA_DIR = BASE_DIR / env.str("DATA_DIR", default="var")  # relative to the project folder

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "django_celery_results",
    "auditlog",
    "accounts.renamed_apps.LoginLockoutConfig",  # django-axes, under a Vietnamese name in the admin
    "django_otp",
    "accounts.renamed_apps.TOTPDevicesConfig",  # django_otp.plugins.otp_totp, likewise
    "accounts.renamed_apps.RecoveryCodesConfig",  # django_otp.plugins.otp_static, likewise
    "csp",
    "accounts",
    "groups",
    "reports",
    "bulletins",
    "reviews",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "binhyen.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "binhyen.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.InactivityTimeoutMiddleware",
    "accounts.middleware.VerifiedDeviceMiddleware",  # django-otp's, from the cached access
    "accounts.middleware.TwoFactorMiddleware",
    "auditlog.middleware.AuditlogMiddleware",  # records the acting user on audit entries
    "accounts.middleware.WriteMarkMiddleware",  # what a user changed, their next page shows
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "binhyen.urls"
WSGI_APPLICATION = "binhyen.wsgi.application"

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
                "accounts.context_processors.notifications",
                "accounts.context_processors.second_factor",
                "accounts.context_processors.navigation",
            ],
            # Our own template libraries that belong to no app.
            "libraries": {"numbers": "binhyen.templatetags.numbers"},
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE avoids lock upgrades
    # failing with "database is locked" when two processes write at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # Persistent connections matter: ~975 req/s with 60 s against ~153 req/s without, here.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Behind PgBouncer in transaction mode a server-side cursor (the exports' .iterator()) may
    # outlive its server connection: turn them off there.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("PGBOUNCER", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker ---------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The cache holds drawn pages (members' names and phones, reports' titles: binhyen/page_cache.py)
# for minutes: in production a Redis of its own that writes nothing to disk, while the broker's
# keeps its queue on disk (docker-compose.yml). Unset: the broker's Redis, or per process.
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
if CACHE_URL:
    # django-redis, because it can treat a Redis that is down as a cache miss: the cache only
    # speeds pages up, and a Redis outage must not turn requests into errors.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "binhyen",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "socket_connect_timeout": 5,
        # Redis redelivers an unacknowledged task after this; longer than any task may run.
        "visibility_timeout": 3600,
    }
else:
    # kombu's filesystem transport: a real worker and beat with no server. kombu creates no
    # folders itself, so they are made here, before any process connects.
    CELERY_QUEUE_DIR = DATA_DIR / "celery"
    for folder in ("queue", "processed", "control", "staging"):
        (CELERY_QUEUE_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT = "binhyen.broker:Transport"  # writes each message atomically
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "staging_folder": str(CELERY_QUEUE_DIR / "staging"),
        "store_processed": False,
        "polling_interval": 0.1,
    }

# Each worker's own memory, for what is keyed by a version read on every request anyway
# (accounts/access.py: a user's permissions, roles, devices and unread count).
CACHES["access"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "access",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}
# Template fragments that depend only on what their key says (the navigation's menu: the
# permissions and the language), drawn once per worker; a deployment restarts the workers.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

# --- Celery -------------------------------------------------------------------------------
CELERY_RESULT_BACKEND = "django-db"
# binhyen is not an installed app, so autodiscovery does not see its tasks.
CELERY_IMPORTS = ("binhyen.health",)
CELERY_RESULT_EXTENDED = True  # keeps task names on results; /healthz reads the heartbeat's
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
# A task is acknowledged only after it ran, and given back if its worker dies, so a crash or a
# deploy never loses work. Tasks must therefore be idempotent (see STYLE.md).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Processes per worker; each may render PDFs, so memory, not cores, sets the limit.
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2)
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues: the reminder run (minutes over a province's postings) and the review documents (PDFs,
# memory-hungry) have their own, so that a province can give them their own workers
# (`celery worker -Q documents`) and neither holds up notifications. A worker started without
# -Q consumes all three, so one worker still does everything.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue("celery"), Queue("reminders"), Queue("documents")]
CELERY_TASK_ROUTES = {
    "bulletins.send_reminders": {"queue": "reminders"},
    "reviews.build_review_documents": {"queue": "documents"},
}
# A web request that publishes while the broker is down gives up quickly (binhyen.celery.enqueue
# logs it); the periodic scans send what was not sent, so nothing waits on a dead broker.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# django-celery-beat's database scheduler, but a timing changed in the admin survives a restart.
CELERY_BEAT_SCHEDULER = "binhyen.beat:Scheduler"
CELERY_BEAT_SYNC_EVERY = 1  # save each run's time at once: the beat container's health reads it
# Periodic jobs, declared once. django-celery-beat copies them into the admin, where the
# commune's administrator can see them and change their timing.
CELERY_BEAT_SCHEDULE = {
    # Every minute: proves beat, broker and a worker all work; /healthz reads its last run.
    "heartbeat": {"task": "binhyen.heartbeat", "schedule": 60.0},
    # Daily at 00:30: this month's member count per group, the growth history of the groups.
    "record-member-counts": {
        "task": "groups.record_member_counts",
        "schedule": crontab(hour=0, minute=30),
    },
    # Every 5 minutes: e-mail the notifications whose message never reached a worker (a broker
    # that was down when they were created).
    "email-pending-notifications": {
        "task": "accounts.email_pending_notifications",
        "schedule": 300.0,
    },
    # Every 5 minutes: push the notifications whose push did not go (the broker was down, or
    # the push service was: it is tried again until PUSH_HORIZON).
    "push-pending-notifications": {
        "task": "accounts.push_pending_notifications",
        "schedule": 300.0,
    },
    # Every 2 minutes: notify the officers of new reports whose task never ran (the broker was
    # down when the report was filed); reports.tasks.notify_new_report does it at once otherwise.
    "notify-pending-reports": {
        "task": "reports.notify_pending_reports",
        "schedule": 120.0,
    },
    # Daily at 07:00: each commune's police lead gets the list of its overdue reports.
    "send-overdue-digest": {
        "task": "reports.send_overdue_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    # Daily at 02:15: erase informant identities kept past their commune's retention period.
    "erase-expired-informants": {
        "task": "reports.erase_expired_informants",
        "schedule": crontab(hour=2, minute=15),
    },
    # Every five minutes: reminder digests of postings, at each commune's own times (default
    # 07:30 and 16:00, set in the admin's bulletin settings); exactly once per user and slot,
    # so a run missed while the broker was down is made up by the next one.
    "bulletin-reminders": {"task": "bulletins.send_reminders", "schedule": crontab(minute="*/5")},
    # Every minute: publish the scheduled bulletins whose time has come.
    "publish-scheduled-bulletins": {"task": "bulletins.publish_scheduled", "schedule": 60.0},
    # Yearly, 1 December at 06:00: the draft review of the ending period for every commune,
    # with its documents, and a notice to the party office and the police (once per period).
    # Change the date in the admin (Periodic tasks) if the commune reviews at another time.
    "prepare-yearly-reviews": {
        "task": "reviews.prepare_yearly_reviews",
        "schedule": crontab(month_of_year=12, day_of_month=1, hour=6, minute=0),
    },
    # Hourly: review documents queued while the broker was down are sent to the worker again.
    "requeue-stale-review-builds": {
        "task": "reviews.requeue_stale_builds",
        "schedule": crontab(minute=40),
    },
}
# /healthz reports unhealthy when the heartbeat is older than this.
HEARTBEAT_MAX_AGE_SECONDS = env.int("HEARTBEAT_MAX_AGE_SECONDS", default=300)
# An import (admin page or command) that has not read its file after this many seconds is
# refused with a message, rather than keeping a web worker busy.
IMPORT_MAX_SECONDS = 60

# --- Authentication -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username + address before any password is checked.
    "accounts.backends.LockoutBackend",
    "accounts.backends.PortalBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A login lasts at most SESSION_COOKIE_AGE, and ends sooner after SESSION_INACTIVITY_SECONDS
# without a request (accounts.middleware.InactivityTimeoutMiddleware): a shared office PC left
# signed in must not stay open to the next person.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_INACTIVITY_SECONDS = env.int("SESSION_INACTIVITY_SECONDS", default=30 * 60)

# Login lockout (django-axes): after LOGIN_FAILURE_LIMIT failed logins for one username from one
# address, that pair is refused for LOGIN_LOCKOUT_MINUTES (an administrator may unlock it sooner
# in the admin: "Access attempts"). Keyed on the pair, so that a guesser cannot lock a colleague
# out from elsewhere and one office's shared address does not lock everyone out.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("LOGIN_LOCKOUT_MINUTES", default=30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
AXES_USERNAME_CALLABLE = "accounts.backends.lockout_username"
AXES_CLIENT_IP_CALLABLE = "accounts.backends.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]

# Two-factor authentication (django-otp, TOTP with recovery codes), required of every account
# holding one of these permissions: revealing an informant, finalising a review. A permission
# that does not exist (yet) simply holds nobody.
OTP_REQUIRED_PERMISSIONS = ["reports.view_informant", "reviews.finalise_review"]
OTP_TOTP_ISSUER = "Bình Yên"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_RECOVERY_CODE_COUNT = 10
# An account that must use two factors enrols a device only with a one-time code its
# administrator hands over (made at creation and at each reset); it expires after this.
ENROLMENT_CODE_TTL_HOURS = env.int("ENROLMENT_CODE_TTL_HOURS", default=72)
# API tokens stop working this many days after they were made.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)

# --- Language and time --------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Vietnamese groups thousands (4.578), which Django's own `vi` formats do not say.
FORMAT_MODULE_PATH = ["binhyen.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Third-party assets come from npm (package-lock.json), served from whole dist folders so that
# source maps and fonts referenced inside the CSS are found by the manifest storage.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/leaflet.markercluster", NODE_MODULES / "leaflet.markercluster" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# WhiteNoise indexes every static file (about 2,300 with their compressed copies) when a worker
# builds its middleware; with autorefresh it looks a file up when asked instead. A worker builds
# it once, but the tests build it for every test client: they set WHITENOISE_AUTOREFRESH=1.
WHITENOISE_AUTOREFRESH = env.bool("WHITENOISE_AUTOREFRESH", default=DEBUG)
MEDIA_ROOT = DATA_DIR / "media"

# --- Uploads: what a request may make us read -----------------------------------------------
# Form fields (not files) of one request, in memory: far above any form of ours.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000  # the admin's bulk actions post one field per row
DATA_UPLOAD_MAX_NUMBER_FILES = 10  # a report takes at most 5 photos
# A file above this is streamed to a temporary file instead of held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The tip pages refuse a larger body from its Content-Length before reading it
# (reports/tips/views.py MAX_BODY); the reverse proxy should cap bodies too (client_max_body_size).

# --- Forms --------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so that an anonymous call is answered 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TwoFactorTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bình Yên API",
    "DESCRIPTION": "API of the “Zalo kết nối bình yên” portal. Every list is scoped to the caller.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Served from the installed sidecar package: there is no internet at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Name the enums after their models: reports and bulletins will have a `status` of their own.
    "ENUM_NAME_OVERRIDES": {
        "MemberRoleEnum": "groups.models.Member.Role",
        "ZaloGroupStatusEnum": "groups.models.ZaloGroup.Status",
        "ReportStatusEnum": "reports.models.Status",
        "BulletinStatusEnum": "bulletins.models.Status",
        "PostingStatusEnum": "bulletins.models.Posting.Status",
    },
}

# --- Mail ---------------------------------------------------------------------------------
# EMAIL_URL such as smtp+tls://user:password@host:587 (django-environ's documented form).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Bình Yên <no-reply@localhost>")
# The portal's public address, for links in e-mails (a worker has no request to read it from).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Web Push ---------------------------------------------------------------------------
# The portal's VAPID key pair (P-256, base64url: the public key as the browser's
# applicationServerKey, the private key as its raw 32 bytes or DER), made once with
# `manage.py vapid_keys`, and the contact address push services may write to (mailto:).
# Without both keys push is off: the notifications are in the app and by e-mail only.
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="mailto:admin@localhost")

# --- Map ------------------------------------------------------------------------------------
# The map of reports (/map/) draws its background from this tile server ({z}/{x}/{y}, and {s}
# for a server's subdomains); empty: no background, the hamlets and markers on a blank map (how
# the tests run). The Content-Security-Policy below lets images come from its origin.
# OpenStreetMap's own servers are for light use (https://operations.osmfoundation.org/policies/
# tiles/): a commune with many users should point this at a tile service of its own.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
)


def tile_origin(url: str) -> list[str]:
    """The CSP source of the tile server ("https://*.tile.example" for a {s} subdomain)."""
    if not url:
        return []
    parts = urlsplit(url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured("MAP_TILE_URL must be an http(s) URL with {z}, {x} and {y}.")
    return [f"{parts.scheme}://{parts.netloc}"]


# --- Security (production) ----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp 4): everything from our own origin, no inline script or
# style anywhere (templates are checked by binhyen/tests/test_security_headers.py); a
# third-party page that needs inline code gets a per-response nonce ({{ request.csp_nonce }}).
# img-src allows data: for Bootstrap's inline SVG icons in its CSS; blob: for photo previews.
# It also allows the map's tile server (MAP_TILE_URL).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *tile_origin(MAP_TILE_URL)],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Features the portal never uses, refused to any script (binhyen.middleware).
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The container health check calls /healthz over plain HTTP from inside the host.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if env.bool("BEHIND_HTTPS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each step of every PDF at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}
