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
    "funding",
    "notifications",
    "knowledge",
    "reviews",
    "reports",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
            "builtins": ["smartcity5.templatetags.ui"],
            # smartcity5 is not an installed app, so its other tag libraries are named here.
            "libraries": {"maps": "smartcity5.templatetags.maps"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, rate limits, Celery ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is required in production (cache, rate limits, tasks).")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="sc5")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
# Countdowns and ETAs must stay below this, or Redis hands the message to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "Europe/Berlin"
CELERY_BEAT_SCHEDULE = {
    "purge-audit-entries": {
        "task": "municipalities.tasks.audit_entries_purge",
        "schedule": 24 * 3600,
    },
    # Uploaded files that no row refers to (left by a rolled-back transaction), at night (smartcity5.orphans).
    "purge-orphan-files": {
        "task": "municipalities.tasks.orphan_files_purge",
        "schedule": crontab(hour=3, minute=30),
    },
    # Deadline reminders (milestones, proofs of use) every morning; each reminder goes out once.
    "funding-reminders": {
        "task": "funding.tasks.funding_reminders_dispatch",
        "schedule": crontab(hour=7, minute=0),
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
    # Open data files (api.opendata_files): changes a build has not covered yet every 5 minutes, all files at night.
    "opendata-refresh": {
        "task": "api.tasks.opendata_refresh",
        "schedule": 300,
    },
    "opendata-nightly": {
        "task": "api.tasks.opendata_refresh",
        "schedule": crontab(hour=2, minute=45),
        "kwargs": {"force": True},
    },
}

# --- Auth and accounts ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
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
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[smartcity5] "
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
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="smartcity5 <noreply@5fuer-suedwestfalen.example>")
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
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {
        "BACKEND": env.str("MEDIA_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploaded files are never served from MEDIA_URL: views check who may see them (projects.views).
UPLOAD_MAX_IMAGE_BYTES = env.int("UPLOAD_MAX_IMAGE_BYTES", default=5 * 1024 * 1024)
UPLOAD_MAX_DOCUMENT_BYTES = env.int("UPLOAD_MAX_DOCUMENT_BYTES", default=20 * 1024 * 1024)
# Files no row refers to are deleted once they are this old (smartcity5.orphans; a younger one may belong to a
# row that is still being written).
UPLOAD_ORPHAN_GRACE_HOURS = env.int("UPLOAD_ORPHAN_GRACE_HOURS", default=24)

# --- Security -------------------------------------------------------------------------------------
# Sessions in the database (accounts.Session: Django's table plus the signed-in person's id, so that one person's
# sessions can be ended without reading everyone's); `manage.py clearsessions` removes expired ones.
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- REST API (issue: REST API) -------------------------------------------------------------------
# The API (api/): session auth only so far, read-only JSON, page pagination, throttling per anonymous IP and per
# user in the default cache (Redis in production and CI).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.PersonalTokenAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle",
                                 "rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env.str("API_THROTTLE_ANON", default="300/minute"),
                               "user": env.str("API_THROTTLE_USER", default="1200/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "smartcity5 API", "VERSION": "1", "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"ProjectStatusEnum": "projects.models.Project.Status",
                            "IdeaStatusEnum": "participation.models.IdeaStatus"},
    # What Django's path converters accept, so that no documented address falls outside the URL patterns.
    "PATH_CONVERTER_OVERRIDES": {"slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
                                 "int": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}},
}

# --- Portal ---------------------------------------------------------------------------------------
# How long audit entries of cross-town reads are kept (days).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# Project map (templates/components/map.html): a Leaflet tile URL template such as
# https://tile.openstreetmap.org/{z}/{x}/{y}.png and the attribution the tile provider requires.
# Empty MAP_TILE_URL = no map, only the list of places. Tiles from a third-party server are requested only
# after the visitor clicks "Show map" (DSGVO/TDDDG: no request to a third party without consent, since it
# transmits the visitor's IP address); Leaflet itself is vendored and served from our own host.
# Leaflet shows MAP_TILE_ATTRIBUTION as HTML (so it may hold a link to the provider's copyright page).
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")

# Rate limits for what people post (smartcity5/ratelimit.py): (how many, per seconds, per "user" or "ip").
RATE_LIMITS = {
    "idea": [(5, 3600, "user"), (20, 3600, "ip")],
    "comment": [(20, 600, "user"), (60, 600, "ip")],
    "support": [(60, 600, "user"), (200, 600, "ip")],
    "report": [(10, 3600, "user"), (30, 3600, "ip")],
    "vote": [(30, 600, "user"), (100, 600, "ip")],
    "data_export": [(5, 24 * 3600, "user")],
    "report_request": [(30, 3600, "user")],  # generating town, funding and region reports (PDF/XLSX) is costly
    "account_delete": [(5, 900, "user"), (20, 900, "ip")],  # password attempts on the deletion page
}

# Citizens' rights (DSGVO): how long a data export can be downloaded (hours), and whether an account's
# published contributions stay, shown as by a deleted account (True), or are deleted with it (False).
DATA_EXPORT_LIFETIME_HOURS = env.int("DATA_EXPORT_LIFETIME_HOURS", default=72)
ACCOUNT_DELETION_KEEPS_CONTRIBUTIONS = env.bool("ACCOUNT_DELETION_KEEPS_CONTRIBUTIONS", default=True)

# Reports (reports.ReportRequest): how many days a generated report can be downloaded before its file is deleted.
REPORT_LIFETIME_DAYS = env.int("REPORT_LIFETIME_DAYS", default=14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint (PDF reports) and fontTools log every step of every document at INFO.
    "loggers": {"django.db.backends": {"level": "INFO"}, "weasyprint": {"level": "WARNING"},
                "fontTools": {"level": "WARNING"}},
}

# Host name used in links inside e-mails sent by tasks (no request to take it from).
SITE_HOST = env.str("SITE_HOST", default=ALLOWED_HOSTS[0] if ALLOWED_HOSTS else "127.0.0.1:8000")
if not PRODUCTION and SITE_HOST == "127.0.0.1":
    SITE_HOST = "127.0.0.1:8000"
