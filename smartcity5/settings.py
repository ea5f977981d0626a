"""Settings for smartcity5, read from the environment.

Two modes, chosen by ``SMARTCITY5_ENV``:

* ``development`` (default): SQLite in ``db.sqlite3`` unless ``DATABASE_URL`` is set, in-process
  (eager) tasks unless ``REDIS_URL`` is set, mails printed to the console unless ``EMAIL_URL`` is set.
* ``production``: every secret must come from the environment and ``manage.py check --deploy``
  passes without warnings.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor  # type: ignore[import-untyped]  # ships no types

from smartcity5.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SMARTCITY5_ENV = env.str("SMARTCITY5_ENV", default="development")
if SMARTCITY5_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("SMARTCITY5_ENV must be 'development' or 'production'.")
PRODUCTION = SMARTCITY5_ENV == "production"

DEBUG = env.bool("DEBUG", default=False) and not PRODUCTION

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-key-not-for-production-use-8f3a1c")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "smartcity5.apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "municipalities",
    "accounts",
    "projects",
    "participation",
    "surveys",
    "funding",
    "notifications",
    "knowledge",
    "reviews",
    "reports",
    "agentur",
    "outbox",
    "api",
    "sampledata",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (smartcity5.logs), even those of the other middleware.
    "smartcity5.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Compresses what every middleware below has written (Django's docs: before any middleware that reads or
    # writes the body); text only, static files come precompressed from WhiteNoise.
    "smartcity5.middleware.TextGZipMiddleware",
    # Early, so that every answer gets the CSP and Permissions-Policy, and no-store for signed-in people.
    "smartcity5.headers.SecurityHeadersMiddleware",
    # Before anything reads the body: a body over its limit is answered with 413 (with the security headers).
    "smartcity5.request_limits.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "smartcity5.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: resolves /<town>/ and runs the view inside that town's scope.
    "municipalities.middleware.MunicipalityScopeMiddleware",
]

ROOT_URLCONF = "smartcity5.urls"
WSGI_APPLICATION = "smartcity5.wsgi.application"

FORM_RENDERER = "smartcity5.forms.KernFormRenderer"

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
                "municipalities.context_processors.municipality",
                "notifications.context_processors.unread_notifications",
            ],
            "builtins": [
                "smartcity5.templatetags.ui",
                "smartcity5.templatetags.formats",
                "smartcity5.templatetags.badges",
            ],
            # smartcity5 is not an installed app, so its other tag libraries are named here.
            "libraries": {
                "maps": "smartcity5.templatetags.maps",
                "page_cache": "smartcity5.templatetags.page_cache",
            },
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# A persistent connection that PostgreSQL dropped (restart, outage) is noticed and replaced at the start of the
# next request, so the portal recovers without a restart (smartcity5.errors answers 503 meanwhile).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if "postgresql" in DATABASES["default"]["ENGINE"]:
    # No JIT compilation: the portal's queries are short, and PostgreSQL judges a query with many correlated
    # counts (the Agentur's dashboard) expensive enough to compile it, which took 30 s of a 31 s request
    # (bench/README.md, "The tenant filter"). Options given in DATABASE_URL are kept.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate limits, Celery ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is required in production (cache, rate limits, tasks).")
if REDIS_URL:
    # Redis down or frozen: each process falls back to its own memory (smartcity5/cache.py), tries Redis again
    # every CACHE_REDIS_RETRY_SECONDS and never waits longer than the socket timeouts for it.
    CACHES = {
        "default": {
            "BACKEND": "smartcity5.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="sc5"),
            "RETRY_SECONDS": env.float("CACHE_REDIS_RETRY_SECONDS", default=5),
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_REDIS_TIMEOUT", default=0.5),
                "socket_timeout": env.float("CACHE_REDIS_TIMEOUT", default=0.5),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The anonymous page cache (smartcity5/page_cache.py): public participation pages as anonymous visitors see them,
# per town, language and stored version; 0 turns it off. Also the longest a change no version covers (a town's
# name or colours, new templates) takes to show.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
# Redis hands a message that no worker acknowledged within this many seconds to another worker. With acks_late
# a message is acknowledged when its task ends, so a task's longest retry countdown plus its hard time limit must
# stay below it (the longest now: orphan_files_purge, 300 s + 1900 s), or a task still running (or waiting for its
# retry) is run twice (tests/tasks/test_limits.py checks every task). It is also how long a message of a killed
# worker waits before it runs again; reports and data exports do not wait for it (JOB_HEARTBEAT_TIMEOUT).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2400}
# The transactional outbox (outbox/): every task hand-over is a row committed with the data that caused it, handed
# to the broker after commit over a connection with short timeouts (a broker that is down or frozen holds a request
# for about a second at most, then this process leaves it alone for OUTBOX_BROKER_PAUSE_SECONDS), and handed again
# by the relay (beat, every OUTBOX_RELAY_SECONDS) until a worker reports it finished.
OUTBOX_PUBLISH_TIMEOUT = 1
OUTBOX_PUBLISH_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1, "max_retries": 0}
OUTBOX_BROKER_PAUSE_SECONDS = env.int("OUTBOX_BROKER_PAUSE_SECONDS", default=5)
OUTBOX_RELAY_SECONDS = env.int("OUTBOX_RELAY_SECONDS", default=30)
OUTBOX_RELAY_BATCH = 500
# A hand-over not older than this is left to its own after-commit hand-over.
OUTBOX_FIRST_HAND_GRACE_SECONDS = 10
# A handed-over task that no worker has reported on for this long is handed again: longer than the visibility
# timeout, so that a message the broker still holds (a killed worker's) is redelivered by the broker first, and the
# relay only hands again what the broker lost ...
OUTBOX_REHAND_AFTER = env.int("OUTBOX_REHAND_AFTER", default=2700)
# ... at most this often, then it is given up and logged as an error.
OUTBOX_MAX_HAND_OVERS = env.int("OUTBOX_MAX_HAND_OVERS", default=10)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=7)
# A mail task claims its message (committed) before the mail server is asked; a claim older than this was left by a
# worker that died and the message is sent again (longer than a mail task's time limit of 90 s).
MAIL_CLAIM_SECONDS = env.int("MAIL_CLAIM_SECONDS", default=300)
CELERY_TIMEZONE = "Europe/Berlin"
CELERY_BEAT_SCHEDULE = {
    # Task hand-overs that did not reach the broker (it was away) or no worker finished (outbox/).
    "outbox-relay": {
        "task": "outbox.tasks.outbox_relay",
        "schedule": OUTBOX_RELAY_SECONDS,
    },
    "outbox-purge": {
        "task": "outbox.tasks.outbox_purge",
        "schedule": crontab(hour=4, minute=15),
    },
    "purge-audit-entries": {
        "task": "municipalities.tasks.audit_entries_purge",
        "schedule": 24 * 3600,
    },
    # Invitations to a team that nobody accepted, after STAFF_INVITATION_RETENTION_DAYS (accounts.tasks).
    "purge-staff-invitations": {
        "task": "accounts.tasks.staff_invitations_purge",
        "schedule": crontab(hour=4, minute=45),
    },
    # Uploaded files that no row refers to (left by a rolled-back transaction), at night (smartcity5.orphans).
    "purge-orphan-files": {
        "task": "municipalities.tasks.orphan_files_purge",
        "schedule": crontab(hour=3, minute=30),
    },
    # The winners of a participatory budget whose vote has just ended: their authors and supporters are told once.
    "participation-budget-winners": {
        "task": "participation.tasks.budget_winners_dispatch",
        "schedule": crontab(hour=7, minute=15),
    },
    # Deadline reminders (milestones, proofs of use) every morning; each reminder goes out once.
    "funding-reminders": {
        "task": "funding.tasks.funding_reminders_dispatch",
        "schedule": crontab(hour=7, minute=0),
    },
    # Surveys that opened or whose results were published: those who took part in the process are told
    # (surveys.tasks), before the morning's digests.
    "survey-notifications": {
        "task": "surveys.tasks.survey_notifications_dispatch",
        "schedule": crontab(hour=6, minute=15),
    },
    # Notification digests for people who chose a daily or weekly summary (notifications.kinds.Delivery).
    "notification-digest-daily": {
        "task": "notifications.tasks.notification_digest_dispatch",
        "schedule": crontab(hour=6, minute=30),
        "kwargs": {"plan": "daily"},
    },
    "notification-digest-weekly": {
        "task": "notifications.tasks.notification_digest_dispatch",
        "schedule": crontab(hour=6, minute=30, day_of_week="mon"),
        "kwargs": {"plan": "weekly"},
    },
    # Letters of voting codes (participation.VotingCodeBatch): the files once VOTING_CODE_LETTERS_LIFETIME_DAYS are
    # over; the batches and the codes' hashes stay.
    "voting-code-letters-purge": {
        "task": "participation.tasks.voting_code_letters_purge",
        "schedule": 3600,
    },
    # Data exports (accounts.DataExport) are deleted with their files once DATA_EXPORT_LIFETIME_HOURS are over.
    "data-exports-purge": {
        "task": "accounts.tasks.data_exports_purge",
        "schedule": 3600,
    },
    # Reports: the region report of the month just ended for the Agentur (1st of the month), and the files of
    # expired reports deleted hourly (REPORT_LIFETIME_DAYS).
    "region-report-monthly": {
        "task": "reports.tasks.region_report_monthly",
        "schedule": crontab(day_of_month=1, hour=5, minute=0),
    },
    "reports-purge": {
        "task": "reports.tasks.reports_purge",
        "schedule": 3600,
    },
    # Reports and data exports whose worker stopped beating: handed over again, or failed with a reason.
    "stuck-jobs-sweep": {
        "task": "municipalities.tasks.stuck_jobs_sweep",
        "schedule": 60,
    },
    # The worker heartbeat /readyz reports (smartcity5.health); a copy queued while no worker runs expires.
    "worker-heartbeat": {
        "task": "smartcity5.tasks.worker_heartbeat",
        "schedule": 60,
        "options": {"expires": 50},
    },
    # Open data files (api.opendata.files): changes a build has not covered yet every 5 minutes, all files at night.
    "opendata-refresh": {
        "task": "api.tasks.opendata_refresh",
        "schedule": 300,
    },
    "opendata-nightly": {
        "task": "api.tasks.opendata_refresh",
        "schedule": crontab(hour=2, minute=45),
        "kwargs": {"force": True},
    },
    # The change rows behind the towns' figure versions: only each town's latest is needed
    # (the figures' channel of municipalities.freshness).
    "figures-changes-prune": {
        "task": "municipalities.tasks.figures_changes_prune",
        "schedule": crontab(hour=4, minute=30),
    },
}
# A running report or data export whose heartbeat is older than this (seconds) counts as stuck: its worker died.
# The heartbeat is written at least four times within it.
JOB_HEARTBEAT_TIMEOUT = env.int("JOB_HEARTBEAT_TIMEOUT", default=120)
# How often a report or data export is started before an interrupted one is marked failed.
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
# The first retry of a report or data export that met a transient error (database, broker) waits up to this many
# seconds, each further one twice as long (Celery's backoff with jitter, at most 5 and 10 minutes).
JOB_RETRY_BACKOFF = env.int("JOB_RETRY_BACKOFF", default=15)

# --- Auth and accounts ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Sessions live in the database, never only in the cache: a Redis outage signs nobody out. accounts.Session is
# Django's table plus the signed-in person's id, so that one person's sessions can be ended without reading
# everyone's; `manage.py clearsessions` removes expired ones.
SESSION_ENGINE = "accounts.sessions"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:overview"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD = "homepage"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    # At most 5 failed logins per e-mail address in 5 minutes, and 10 per minute per IP address.
    "login_failed": "10/m/ip,5/300s/key",
}
# Not used: accounts.adapter builds allauth's mails with smartcity5.mail, the portal's name leading the subject.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "smartcity5"
if DEBUG and env.str("MFA_TOTP_INSECURE_BYPASS_CODE", default=""):
    # Only for `make run` demos: allauth itself refuses this setting unless DEBUG is on.
    MFA_TOTP_INSECURE_BYPASS_CODE = env.str("MFA_TOTP_INSECURE_BYPASS_CODE")

# --- E-mail ---------------------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif PRODUCTION:
    raise ImproperlyConfigured("EMAIL_URL is required in production.")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Smart City Südwestfalen <noreply@5fuer-suedwestfalen.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
# Our strings, then our formal (Sie-form) German for allauth, which ships an informal one.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_allauth"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic leaves out the packages' files that no page loads (smartcity5/staticfiles.py).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "smartcity5.staticfiles.AppDirectoriesFinder",
]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {
        "BACKEND": env.str("MEDIA_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
    },
    "staticfiles": {
        "BACKEND": (
            "smartcity5.staticfiles.CompressedManifestStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
# Whitenoise stores a gzip and a Brotli copy of every static file (both the hashed and the plain name) when
# collectstatic runs (the image's build, tests/test_deploy.py), computing each once for both names where their
# contents are the same (smartcity5/staticfiles.py). Source maps are left uncompressed: only a browser's
# developer tools fetch them, and the vendored API viewers' maps (7 MB) were half of collectstatic's CPU time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
# Uploaded files are never served from MEDIA_URL: views check who may see them (projects.views).
UPLOAD_MAX_IMAGE_BYTES = env.int("UPLOAD_MAX_IMAGE_BYTES", default=5 * 1024 * 1024)
UPLOAD_MAX_DOCUMENT_BYTES = env.int("UPLOAD_MAX_DOCUMENT_BYTES", default=20 * 1024 * 1024)
# Memory for decoding one uploaded image (projects.uploads): its pixels once plus one working copy must fit, so
# the pixel limit follows from the image's mode (RGB: 4 bytes a pixel, 100 MiB = 13.1 megapixels; grey: 1 byte).
UPLOAD_IMAGE_DECODE_BUDGET_BYTES = env.int("UPLOAD_IMAGE_DECODE_BUDGET_BYTES", default=100 * 1024 * 1024)
# Request bodies (smartcity5.request_limits, 413 before the body is read): an upload (multipart) may carry the
# largest allowed file plus REQUEST_UPLOAD_OVERHEAD_BYTES of form fields; any other request REQUEST_MAX_BODY_BYTES.
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=1024 * 1024)
REQUEST_UPLOAD_OVERHEAD_BYTES = env.int("REQUEST_UPLOAD_OVERHEAD_BYTES", default=1024 * 1024)
# Django's own limits behind it: form fields held in memory (the non-file part of a body), how many fields and
# files a request may have, and the file size above which an upload goes to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=300)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=5)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2621440)
# Files no row refers to are deleted once they are this old (smartcity5.orphans; a younger one may belong to a
# row that is still being written).
UPLOAD_ORPHAN_GRACE_HOURS = env.int("UPLOAD_ORPHAN_GRACE_HOURS", default=24)

# --- Security -------------------------------------------------------------------------------------
# Reverse proxies in front of the app that append the client's address to X-Forwarded-For (smartcity5.clientip):
# 0 = none, the header is ignored; 1 = one proxy (the README's nginx/Caddy). Used by the rate limits, allauth's
# login limits and DRF's throttles; above 0 a sane X-Request-ID of the proxy is kept for the logs.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Every cookie is SameSite=Lax, HttpOnly, and Secure in production: session (also used by the messages cookie and
# allauth's), CSRF and language.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy of every answer (smartcity5.headers): our own scripts, styles, fonts and images only; no
# inline script, no inline style attribute. "'nonce'" is this request's nonce where a template printed
# {{ request.csp_nonce }} (the towns' brand colours in base.html) and is dropped elsewhere. The map tile server of
# MAP_TILE_URL is added to img-src.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'nonce'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
# Browser features no page uses (the idea map does not ask for the visitor's position): feature -> allowed
# origins ("self" or an origin), empty for none.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "serial",
        "usb",
    )
}

# --- REST API (issue: REST API) -------------------------------------------------------------------
# The API (api/): session auth only so far, read-only JSON, page pagination, throttling per anonymous IP and per
# user in the default cache (Redis in production and CI).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # DRF's throttles reading the client address from smartcity5.clientip (TRUSTED_PROXY_COUNT).
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonRateThrottle", "api.throttling.UserRateThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # for DRF's own get_ident, should anything still call it
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="300/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "smartcity5 API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "projects.models.Project.Status",
        "IdeaStatusEnum": "participation.models.IdeaStatus",
        "QuestionKindEnum": "surveys.models.QuestionKind",
    },
    # What Django's path converters accept, so that no documented address falls outside the URL patterns.
    "PATH_CONVERTER_OVERRIDES": {
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        "int": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    },
}

# --- Portal ---------------------------------------------------------------------------------------
# How long audit entries of cross-town reads are kept (days).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# Maps (templates/components/map.html, place_picker.html): a Leaflet tile URL template and the attribution the
# tile provider requires. The default is basemap.de Web Raster, the official base map of the federal and state
# surveying authorities, served by the BKG (Bundesamt für Kartographie und Geodäsie) under CC BY 4.0, whose
# terms ask for the source note "© GeoBasis-DE / BKG (year)" with the licence; "{year}" in the attribution is
# filled in with the current year when a page is rendered. Another provider: set both. MAP_TILE_URL set to an
# empty value = no map: lists of places only, and forms ask for a description of the place (coordinates as an
# optional detail). Tiles from a third-party server are requested only after the visitor clicks "Show map"
# (DSGVO/TDDDG: no request to a third party without consent, since it transmits the visitor's IP address);
# Leaflet itself is vendored and served from our own host. The tile server's origin is added to the CSP's
# img-src only while a tile URL is set (smartcity5.headers). Leaflet shows MAP_TILE_ATTRIBUTION as HTML (so it
# may hold links to the provider and the licence).
BASEMAP_DE_TILE_URL = (
    "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_farbe/"
    "default/GLOBAL_WEBMERCATOR/{z}/{y}/{x}.png"
)
BASEMAP_DE_ATTRIBUTION = (
    '© GeoBasis-DE / <a href="https://www.bkg.bund.de">BKG</a> ({year}) '
    '<a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>'
)
MAP_TILE_URL = env.str("MAP_TILE_URL", default=BASEMAP_DE_TILE_URL)
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION", default=BASEMAP_DE_ATTRIBUTION if MAP_TILE_URL == BASEMAP_DE_TILE_URL else ""
)

# Rate limits for what people post (smartcity5/ratelimit.py): (how many, per seconds, per "user" or "ip").
RATE_LIMITS = {
    "idea": [(5, 3600, "user"), (20, 3600, "ip")],
    "comment": [(20, 600, "user"), (60, 600, "ip")],
    "support": [(60, 600, "user"), (200, 600, "ip")],
    "report": [(10, 3600, "user"), (30, 3600, "ip")],
    "vote": [(30, 600, "user"), (100, 600, "ip")],
    "survey": [(10, 600, "user"), (60, 600, "ip")],
    # Entering a voting code (survey or vote): a household shares an address, a guesser is stopped.
    "voting_code": [(30, 600, "ip")],
    "data_export": [(5, 24 * 3600, "user")],
    "report_request": [
        (30, 3600, "user")
    ],  # generating town, funding and region reports (PDF/XLSX) is costly
    "account_delete": [(5, 900, "user"), (20, 900, "ip")],  # password attempts on the deletion page
    "staff_invite": [
        (30, 3600, "user")
    ],  # invitations to a town's team, sent and sent again (each is a mail)
    "invitation_accept": [(10, 600, "ip")],  # accounts made and roles taken through invitation links
    # Every request that carries a file, counted before the file is examined: refused files count too.
    "upload": [(30, 3600, "user"), (100, 3600, "ip")],
}

# Citizens' rights (DSGVO): how long a data export can be downloaded (hours), and whether an account's
# published contributions stay, shown as by a deleted account (True), or are deleted with it (False).
DATA_EXPORT_LIFETIME_HOURS = env.int("DATA_EXPORT_LIFETIME_HOURS", default=72)
ACCOUNT_DELETION_KEEPS_CONTRIBUTIONS = env.bool("ACCOUNT_DELETION_KEEPS_CONTRIBUTIONS", default=True)
# How long an invitation to a team that nobody accepted (withdrawn, or expired) is kept with its address (days).
STAFF_INVITATION_RETENTION_DAYS = env.int("STAFF_INVITATION_RETENTION_DAYS", default=90)

# Voting codes (participation.VotingCodeBatch): how many days the letters (the only copy of the plain codes) can
# be downloaded before the file is deleted; the codes' hashes stay.
VOTING_CODE_LETTERS_LIFETIME_DAYS = env.int("VOTING_CODE_LETTERS_LIFETIME_DAYS", default=14)

# Reports (reports.ReportRequest): how many days a generated report can be downloaded before its file is deleted.
REPORT_LIFETIME_DAYS = env.int("REPORT_LIFETIME_DAYS", default=14)

# Health endpoints (smartcity5.health, docs/OPERATIONS.md): /readyz gives each check this many seconds; Redis and
# the broker are asked with this socket timeout; the worker heartbeat (every minute) and the oldest unsent
# "immediate" notification are reported as failing (not critical) once older than these (seconds).
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=3.0)
HEALTH_REDIS_TIMEOUT = env.float("HEALTH_REDIS_TIMEOUT", default=1.0)
HEALTH_WORKER_HEARTBEAT_MAX_AGE = env.int("HEALTH_WORKER_HEARTBEAT_MAX_AGE", default=180)
HEALTH_NOTIFICATION_MAX_AGE = env.int("HEALTH_NOTIFICATION_MAX_AGE", default=900)
# ... and a task hand-over that waits in the outbox (broker or worker away) once older than this.
HEALTH_OUTBOX_MAX_AGE = env.int("HEALTH_OUTBOX_MAX_AGE", default=300)

# Logs (smartcity5/logs.py): one JSON object per line in production (LOG_FORMAT=json), readable text in
# development; each line carries the request id (X-Request-ID) or the Celery task id.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'text'.")
LOGGING = logging_config(json_lines=LOG_FORMAT == "json", level=env.str("LOG_LEVEL", default="INFO"))

# Host name used in links inside e-mails sent by tasks (no request to take it from).
SITE_HOST = env.str("SITE_HOST", default=ALLOWED_HOSTS[0] if ALLOWED_HOSTS else "127.0.0.1:8000")
if not PRODUCTION and SITE_HOST == "127.0.0.1":
    SITE_HOST = "127.0.0.1:8000"

# The open data catalogue (api/opendata/dcat.py): dcatde:contributorID names the system that delivers the
# metadata to GovData, from the DCAT-AP.de list http://dcat-ap.de/def/contributors/. The towns are in
# North Rhine-Westphalia, whose portal Open.NRW harvests municipal catalogues and hands them to GovData.
OPENDATA_CONTRIBUTOR_ID = env.str(
    "OPENDATA_CONTRIBUTOR_ID", default="http://dcat-ap.de/def/contributors/openNRW"
)
