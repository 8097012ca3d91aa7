"""Django settings, read from the environment (12-factor); README lists every variable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF

from core.config import ConfigError, env_bool, env_int, env_list, env_required, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PAITIENT_VAR_DIR") or BASE_DIR / "var").resolve()

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        SECRET_KEY = env_required("SECRET_KEY", "when DEBUG is off")
    # Only a developer's DEBUG run gets a throwaway key; sessions die with the process.
    SECRET_KEY = "debug-only-" + __import__("secrets").token_urlsafe(40)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies whose X-Forwarded-For is believed (CIDRs); without them the header is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        __import__("ipaddress").ip_network(_proxy, strict=False)
    except ValueError:
        raise ConfigError(f"TRUSTED_PROXIES: {_proxy!r} is not an address or CIDR") from None

INSTALLED_APPS = [
    "portal.admin_site.SecureAdminConfig",  # Django admin, locked down (portal/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # passkeys: the credential model, a django-otp device (passkeys/ has the views)
    "axes",
    "django_prometheus",
    "portal",
    "core",
    "accessctl",
    "passkeys",
    "audit",
    "encryption",
    "deployments",
    "scans",
    "disclosures",
    "compliance",
    "incidents",
    "emergency",
    "reports",
    "sso",
    "scim",
    "reviews",
    "siem",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # request latency by view (route name), never path
    "django.middleware.security.SecurityMiddleware",
    "portal.admin_site.AdminGateMiddleware",  # /admin/ is 404 unless the operator turned it on for their network
    # Outside everything that may answer early (access policy, CSRF, lockout), so every response gets them.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.InputGuardMiddleware",  # 413 over a size limit, NUL bytes refused: before any view runs
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accessctl.middleware.AccessPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "core.middleware.SafeguardPageMiddleware",  # innermost: a view's failed-closed safeguard becomes a 503 page
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while a user name + address is locked out
    "accessctl.lockout.AccountLockoutBackend",  # refuses sign-in while the account is locked (from any address)
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.network.client_ip"
# ALICE, Alice and alice are one account to the failure count (accessctl/lockout.py).
AXES_USERNAME_CALLABLE = "accessctl.lockout.lockout_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Per account, from every address together (accessctl/lockout.py): this many failed sign-ins within the window
# lock the user name until they age out of it or an administrator unlocks it. Axes alone counts per user
# name + address, which many addresses get around.
ACCOUNT_LOCKOUT_FAILURES = env_int("ACCOUNT_LOCKOUT_FAILURES", 10)
ACCOUNT_LOCKOUT_WINDOW_MINUTES = env_int("ACCOUNT_LOCKOUT_WINDOW_MINUTES", 15)
if ACCOUNT_LOCKOUT_FAILURES < 1 or ACCOUNT_LOCKOUT_WINDOW_MINUTES < 1:
    raise ConfigError("ACCOUNT_LOCKOUT_FAILURES and ACCOUNT_LOCKOUT_WINDOW_MINUTES must be at least 1")
OTP_TOTP_ISSUER = "PaiTIENT"
OTP_TOTP_THROTTLE_FACTOR = 1
# Passkeys (WebAuthn) as a second factor, never instead of the password. The RP ID is the host the console is
# opened on, or PASSKEY_RP_ID when set (then only that domain and those under it); the origin checked is the
# page's own (passkeys/relying_party.py), so no static origin list is configured (check E030).
PASSKEY_RP_ID = (env_str("PASSKEY_RP_ID") or "").strip().lower()
OTP_WEBAUTHN_RP_NAME = "PaiTIENT"
OTP_WEBAUTHN_RP_ID_CALLABLE = "passkeys.relying_party.rp_id"
OTP_WEBAUTHN_HELPER_CLASS = "passkeys.relying_party.PasskeyHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""  # refusals are audited with their reason (passkeys/services.py)
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "accessctl.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "portal.context_processors.navigation",
                "portal.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_default_db_url = f"sqlite:///{VAR_DIR / 'paitient.sqlite3'}"
try:
    _db: dict[str, Any] = dict(environ.Env.db_url_config(env_str("DATABASE_URL") or _default_db_url))
except Exception as exc:  # django-environ raises several types for a malformed URL
    raise ConfigError(f"DATABASE_URL is not a valid database URL ({type(exc).__name__})") from None
if _db.get("ENGINE") not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
    raise ConfigError("DATABASE_URL must be a postgres:// or sqlite:/// URL")
_db["ATOMIC_REQUESTS"] = False
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # A file (not :memory:) so a Celery worker process can share the test database.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    _db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Password-reset links (accessctl/views_account.py) work once and for an hour.
PASSWORD_RESET_TIMEOUT = 3600

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": VAR_DIR / "media"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Security -------------------------------------------------------------------------------
_secure_default = not DEBUG
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _secure_default)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _secure_default)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("TRUST_PROXY_TLS_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Request limits (core/uploads.py; over a limit is a 413) ------------------------------
PAITIENT_MAX_REQUEST_BYTES = env_int("PAITIENT_MAX_REQUEST_BYTES", 1024 * 1024)
PAITIENT_MAX_UPLOAD_BYTES = env_int("PAITIENT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
PAITIENT_MAX_SCAN_BYTES = env_int("PAITIENT_MAX_SCAN_BYTES", 5 * 1024 * 1024)
PAITIENT_MAX_PROMPT_CHARS = env_int("PAITIENT_MAX_PROMPT_CHARS", 32_000)
for _limit in ("PAITIENT_MAX_REQUEST_BYTES", "PAITIENT_MAX_UPLOAD_BYTES", "PAITIENT_MAX_SCAN_BYTES",
               "PAITIENT_MAX_PROMPT_CHARS"):  # fmt: skip
    if globals()[_limit] < 1:
        raise ConfigError(f"{_limit} must be a positive number")
DATA_UPLOAD_MAX_MEMORY_SIZE = PAITIENT_MAX_REQUEST_BYTES
# An accepted upload stays in memory: Django would otherwise spool files over 2.5 MB to a plaintext temp file.
FILE_UPLOAD_MAX_MEMORY_SIZE = PAITIENT_MAX_UPLOAD_BYTES

# --- Prometheus (/metrics, portal/metrics.py) -------------------------------------------------
# Off (404) without a token; Prometheus sends it as a bearer credential. Under gunicorn and Celery set
# PROMETHEUS_MULTIPROC_DIR (an empty folder per host or container, wiped at start); EXTRA_DIRS adds other
# containers' folders on a shared volume (the worker's task failures) to what the web process reports.
PAITIENT_METRICS_TOKEN = env_str("PAITIENT_METRICS_TOKEN") or ""
PAITIENT_METRICS_EXTRA_DIRS = env_list("PAITIENT_METRICS_EXTRA_DIRS", [])
PROMETHEUS_METRIC_NAMESPACE = "paitient"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accessctl.api_keys.ApiKeyAuthentication",
        "core.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accessctl.permissions.IsOrganizationMember"],  # views set others only to open up
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CursorPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PaiTIENT Secure Model Service API",
    "DESCRIPTION": "REST API of the PaiTIENT control plane. Errors are RFC 9457 problem documents.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_problems",  # 400/401/403/404/413/415/503 as problem documents
    ],
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_FS_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
# Shared counters (failures aggregated per address, accessctl/flood.py) need one cache for every web process:
# Redis when CACHE_URL is set (compose sets it), else each process keeps its own in memory.
_CACHE_URL = env_str("CACHE_URL") or ""
if _CACHE_URL and not _CACHE_URL.startswith(("redis://", "rediss://")):
    raise ConfigError("CACHE_URL must be a redis:// or rediss:// URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or (
    f"file://{CELERY_FS_DIR / 'results'}" if CELERY_BROKER_URL.startswith("filesystem") else CELERY_BROKER_URL
)
# A prefork worker whose pool process died waits this long for a result the process may have sent before it hands
# the message back (acks late); with one pool process nothing else runs meanwhile. Tests lower it.
CELERY_WORKER_LOST_WAIT = env_int("CELERY_WORKER_LOST_WAIT", 10)
_visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (
    {
        "data_folder_in": str(CELERY_FS_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_DIR / "queue"),
        "processed_folder": str(CELERY_FS_DIR / "processed"),
        "control_folder": str(CELERY_FS_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        # Redis hands a message a killed worker held (tasks are acked late) to another worker once it has been
        # unacknowledged this long, so it must outlast the longest task; tests lower it to see a crash recovered.
        "visibility_timeout": _visibility_timeout,
        "unacked_restore_interval": max(1, min(10, _visibility_timeout // 10)),
        "unacked_restore_throttle": 1 if _visibility_timeout < 600 else 10,
    }
)
CELERY_BEAT_SCHEDULE_FILE = str(VAR_DIR / "celerybeat-schedule")
# Recovery of jobs a dead worker held (core/recovery.py): a worker running a job beats every
# JOB_HEARTBEAT_SECONDS; a lease not renewed for JOB_LEASE_SECONDS (or whose process is gone) is lost, and the
# sweep, every JOB_RECOVERY_SWEEP_SECONDS and at worker start, queues the job again, up to JOB_MAX_ATTEMPTS runs.
JOB_HEARTBEAT_SECONDS = env_int("PAITIENT_JOB_HEARTBEAT_SECONDS", 15)
JOB_LEASE_SECONDS = env_int("PAITIENT_JOB_LEASE_SECONDS", 4 * JOB_HEARTBEAT_SECONDS)
JOB_RECOVERY_SWEEP_SECONDS = env_int("PAITIENT_JOB_RECOVERY_SWEEP_SECONDS", 60)
JOB_MAX_ATTEMPTS = env_int("PAITIENT_JOB_MAX_ATTEMPTS", 3)
JOB_SWEEP_AT_WORKER_START = env_bool("PAITIENT_JOB_SWEEP_AT_WORKER_START", True)

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO") or "INFO"
LOG_FORMAT = env_str("LOG_FORMAT", "console" if DEBUG else "json") or "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# External deployments may reach loopback and private networks (local development only; off: public addresses only).
PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = env_bool("PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS", default=False)
# PaiTIENT hosts the local runtime (its machines, not the organisation's): PaiTIENT is then the business associate.
PAITIENT_HOSTED_RUNTIME = env_bool("PAITIENT_HOSTED_RUNTIME", default=False)

# Django admin: off by default; when on, only from these networks, and only for staff who passed MFA.
PAITIENT_ADMIN_ENABLED = env_bool("PAITIENT_ADMIN_ENABLED", default=False)
PAITIENT_ADMIN_NETWORKS = env_list("PAITIENT_ADMIN_NETWORKS", ["127.0.0.1/32", "::1/128"])
for _network in PAITIENT_ADMIN_NETWORKS:
    try:
        __import__("ipaddress").ip_network(_network, strict=False)
    except ValueError:
        raise ConfigError(f"PAITIENT_ADMIN_NETWORKS: {_network!r} is not an address or CIDR") from None

PAITIENT_CONSOLE_URL = (env_str("PAITIENT_CONSOLE_URL") or "https://127.0.0.1:8443").rstrip("/")
# Notifications (break-glass approvals...): SMTP when EMAIL_HOST is set, otherwise files under var/mail.
EMAIL_HOST = env_str("EMAIL_HOST") or ""
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "paitient@localhost"

PAITIENT_DEMO_ORGANIZATION = env_str("PAITIENT_DEMO_ORGANIZATION", "Demo Health") or "Demo Health"
