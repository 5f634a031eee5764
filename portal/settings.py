"""Settings, read from the environment; embedded defaults need no server (README: Configuration)."""

from pathlib import Path

import dj_database_url

from portal.csp import DEFAULT_POLICY as _DEFAULT_CSP
from portal.env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HUB_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
# Production is any deployment that brings its own SECRET_KEY with DEBUG off: then the secure
# settings below are on, and `manage.py check --deploy` is clean.
PRODUCTION = bool(SECRET_KEY) and not DEBUG
if not SECRET_KEY:
    SECRET_KEY = "insecure-embedded-default-for-local-use-only-" + "x" * 20
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "portal",
    "portal.accounts",
    "pipelines_app",
    "runs_app",
    "webkit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.request_limits.RequestBodyLimitMiddleware",
    "portal.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
# Embedded mode serves static files straight from the source folders: no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- security: strict when DEBUG is off (manage.py check --deploy is clean in production)
# A session ends this long after sign-in (Django's default is two weeks).
SESSION_COOKIE_AGE = env_int("HUB_SESSION_AGE_SECONDS", 8 * 3600)
# Empty turns the header off; see portal/csp.py for the default.
HUB_CONTENT_SECURITY_POLICY = env_str("HUB_CONTENT_SECURITY_POLICY", _DEFAULT_CSP)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- request size: a definition may be 5 MB, and a form or JSON body escapes its markup
HUB_MAX_REQUEST_BYTES = env_int("HUB_MAX_REQUEST_BYTES", 12 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = HUB_MAX_REQUEST_BYTES

# --- sign-in and API tokens (docs/operators/deployment.md: Security)
HUB_API_TOKEN_DAYS = env_int("HUB_API_TOKEN_DAYS", 90)
HUB_SIGNIN_MAX_FAILURES = env_int("HUB_SIGNIN_MAX_FAILURES", 5)  # per user name
HUB_SIGNIN_MAX_FAILURES_PER_ADDRESS = env_int("HUB_SIGNIN_MAX_FAILURES_PER_ADDRESS", 20)
HUB_SIGNIN_LOCKOUT_SECONDS = env_int("HUB_SIGNIN_LOCKOUT_SECONDS", 15 * 60)
# Behind a reverse proxy that appends the client's address to X-Forwarded-For.
HUB_TRUST_X_FORWARDED_FOR = env_bool("HUB_TRUST_X_FORWARDED_FOR", False)

# --- Data Hub
HUB_CONFIG_REPO = Path(env_str("HUB_CONFIG_REPO", str(VAR_DIR / "config-repo")))
HUB_CONFIG_REMOTE = env_str("HUB_CONFIG_REMOTE", "")
HUB_DATA_ROOT = Path(env_str("HUB_DATA_ROOT", str(BASE_DIR / "data")))
HUB_SECRETS_FILE = env_str("HUB_SECRETS_FILE", "")
SPARK_MASTER = env_str("SPARK_MASTER", "local[*]")
HUB_SPARK_WAREHOUSE = env_str("HUB_SPARK_WAREHOUSE", str(VAR_DIR / "spark-warehouse"))
HUB_METASTORE_URL = env_str("HUB_METASTORE_URL", "")
# Column-name patterns that mark personal data for the governance checks (empty: built-in list).
HUB_PII_PATTERNS = env_list("HUB_PII_PATTERNS", [])
# The Spark engine's own settings; pipelines_app.engine_settings() hands them to spark_runner.
HUB_SPARK_APP_NAME = env_str("HUB_SPARK_APP_NAME", "datahub-engine")
HUB_SPARK_SHUFFLE_PARTITIONS = env_int("HUB_SPARK_SHUFFLE_PARTITIONS", 0)  # 0: Spark's choice
HUB_SPARK_UI = env_bool("HUB_SPARK_UI", False)
# More options of the Spark driver's JVM (heap, GC, JIT), e.g. "-Xmx8g".
HUB_SPARK_JAVA_OPTIONS = env_str("HUB_SPARK_JAVA_OPTIONS", "")
# Connections each Spark driver keeps to a PostgreSQL metastore, per pool (DataNucleus has two).
HUB_METASTORE_POOL_SIZE = env_int("HUB_METASTORE_POOL_SIZE", 3)
# How many targets of one run are staged at once (1: one after another).
HUB_PARALLEL_TARGETS = env_int("HUB_PARALLEL_TARGETS", 4)
# Staging nobody touched for this long is taken as left by a dead run and removed.
HUB_STAGING_MAX_AGE_SECONDS = env_float("HUB_STAGING_MAX_AGE_SECONDS", 3600.0)
HUB_METASTORE_DERBY_DIR = VAR_DIR / "metastore"  # embedded Derby, without HUB_METASTORE_URL

# --- orchestration (docs/operators/settings.md). Read through django.conf.settings at call time,
# so tests change them with pytest-django's ``settings``.
# What runs a pipeline: dotted path of a runner factory (tests inject a fake); "" = Spark.
HUB_RUNNER = env_str("HUB_RUNNER", "")
# Seconds between heartbeats of a running run; a run silent for 1.5 intervals is reaped.
HUB_HEARTBEAT_SECONDS = env_float("HUB_HEARTBEAT_SECONDS", 10.0)
# Seconds between checks of a running run's cancel flag (the watcher thread).
HUB_CANCEL_POLL_SECONDS = env_float("HUB_CANCEL_POLL_SECONDS", 1.0)
# Slots missed while the scheduler was down: latest | all | none.
HUB_MISSED_SLOTS = env_choice("HUB_MISSED_SLOTS", "latest", ("latest", "all", "none"))
# With HUB_MISSED_SLOTS=all, at most this many missed slots per schedule and tick.
HUB_MISSED_SLOTS_LIMIT = env_int("HUB_MISSED_SLOTS_LIMIT", 100)
# A slot this recent is never "missed" (covers the time between two ticks).
HUB_SCHEDULE_GRACE_SECONDS = env_float("HUB_SCHEDULE_GRACE_SECONDS", 90.0)
HUB_SCHEDULE_TICK_SECONDS = env_float("HUB_SCHEDULE_TICK_SECONDS", 20.0)
HUB_SLA_CHECK_SECONDS = env_float("HUB_SLA_CHECK_SECONDS", 30.0)
# A run the reaper finds dead (worker_lost) is retried this many times (pipeline outside a job).
HUB_LOST_RUN_RETRIES = env_int("HUB_LOST_RUN_RETRIES", 1)
# A queued run whose message is this old is sent again when the broker's queue is empty
# (a message lost with a broker that restarted without persistence); the claim dedupes.
HUB_REQUEUE_AFTER_SECONDS = env_float("HUB_REQUEUE_AFTER_SECONDS", 600.0)
# onFailure="retry": maxRetries default and the first backoff (doubled each attempt).
HUB_RETRY_DEFAULT = env_int("HUB_RETRY_DEFAULT", 3)
HUB_RETRY_BACKOFF_SECONDS = env_float("HUB_RETRY_BACKOFF_SECONDS", 30.0)
HUB_WEBHOOK_TIMEOUT_SECONDS = env_float("HUB_WEBHOOK_TIMEOUT_SECONDS", 5.0)
HUB_WEBHOOK_ATTEMPTS = env_int("HUB_WEBHOOK_ATTEMPTS", 4)
HUB_WEBHOOK_BACKOFF_SECONDS = env_float("HUB_WEBHOOK_BACKOFF_SECONDS", 10.0)
# Webhook hosts (names or addresses) allowed although they resolve to a loopback, private,
# link-local or metadata address; comma-separated.
HUB_WEBHOOK_ALLOWED_HOSTS = [h.lower() for h in env_list("HUB_WEBHOOK_ALLOWED_HOSTS", [])]
# A Spark worker creates and warms its SparkSession when it starts, then checks every this
# many seconds that its JVM lives (and starts a new one when it died); 0 = on the first run.
HUB_SPARK_WARMUP_SECONDS = env_float("HUB_SPARK_WARMUP_SECONDS", 5.0)
# Runs of the warm-up pipeline in a new session (0: the session alone, no pipeline run).
HUB_SPARK_WARMUP_RUNS = env_int("HUB_SPARK_WARMUP_RUNS", 3)
# Queue of runs and their retries ("" = Celery's default queue, ``celery``).
HUB_TASK_QUEUE = env_str("HUB_TASK_QUEUE", "")
# Queue of the control tasks (schedule tick, reaper and lost-message re-send, SLA check,
# notifications, webhook deliveries): a consumer of its own, never behind a run.
HUB_CONTROL_QUEUE = env_str("HUB_CONTROL_QUEUE", "control")
# A worker whose job node ended starts the next ready node itself (no broker round trip)
# when nothing else waits, up to this many times in a row; 0 turns it off.
HUB_HANDOFF_LIMIT = env_int("HUB_HANDOFF_LIMIT", 100)
# Bearer token of the Prometheus scraper ("" = /metrics only for a staff session).
HUB_METRICS_TOKEN = env_str("HUB_METRICS_TOKEN", "")
# The portal's address in notifications (links to a run).
HUB_PORTAL_URL = env_str("HUB_PORTAL_URL", "http://localhost:8000")
# Previews and dry runs (docs/operators/preview.md): their queue, the rows read per source, the
# seconds one preview may take, and whether a proposed or updated change is dry-run.
HUB_PREVIEW_QUEUE = env_str("HUB_PREVIEW_QUEUE", "preview")
HUB_PREVIEW_ROWS = env_int("HUB_PREVIEW_ROWS", 1000)
HUB_PREVIEW_SECONDS = env_int("HUB_PREVIEW_SECONDS", 20)
HUB_DRY_RUNS = env_bool("HUB_DRY_RUNS", True)

# --- Celery
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "out"),
        "data_folder_out": str(_BROKER_DIR / "out"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Above the longest run, so a long run is not redelivered while it is still going.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 6 * 3600)
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
# The queue setting each task follows; any other task (runs, retries, job nodes) follows
# HUB_TASK_QUEUE. Celery routes every message by it (portal/task_routes.py), so the apps send by
# task name alone.
HUB_QUEUE_ROUTES = {
    # periodic work, the re-send of lost messages (inside the reaper), notifications, webhooks
    "runs_app.tasks.schedule_tick": "HUB_CONTROL_QUEUE",
    "runs_app.tasks.reap_lost_runs": "HUB_CONTROL_QUEUE",
    "runs_app.tasks.sla_check": "HUB_CONTROL_QUEUE",
    "runs_app.tasks.send_notifications": "HUB_CONTROL_QUEUE",
    "runs_app.tasks.deliver_webhook": "HUB_CONTROL_QUEUE",
    # previews and dry runs on sample data
    "pipelines_app.tasks.step_preview": "HUB_PREVIEW_QUEUE",
    "pipelines_app.tasks.dry_run": "HUB_PREVIEW_QUEUE",
}
CELERY_TASK_ROUTES = ("portal.task_routes.route",)
# Periodic control work. ``expires`` only drops the backlog a stopped control worker would find
# when it comes back (every tick does the whole work). It is ten periods, not one: a message
# waits milliseconds on its own queue, and a period's worth of clock skew between beat and the
# worker must not discard it. The reaper runs every quarter heartbeat interval: a run stale after
# 1.5 intervals is reaped within 1.75, which leaves a quarter interval for beat's drift and the
# reaper's own work inside the promised two intervals.
_EXPIRES_PERIODS = 10
_REAP_SECONDS = HUB_HEARTBEAT_SECONDS * 0.25
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": every, "options": {"expires": every * _EXPIRES_PERIODS}}
    for name, task, every in (
        ("runs-schedule-tick", "runs_app.tasks.schedule_tick", HUB_SCHEDULE_TICK_SECONDS),
        ("runs-reap-lost-runs", "runs_app.tasks.reap_lost_runs", _REAP_SECONDS),
        ("runs-sla-check", "runs_app.tasks.sla_check", HUB_SLA_CHECK_SECONDS),
    )
}
# Logs stay JSON lines (LOGGING below; portal/celery.py): Celery keeps its hands off the root.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- email
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "datahub@localhost")

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "portal.accounts.tokens.HashedTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Data Hub Portal API",
    "DESCRIPTION": "Pipelines, change requests, reviews and runs of the data lake.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc served from the installed sidecar package: works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- logging: structured JSON lines (run id, application and pipeline when known)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "runs_app.log_context.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "py4j": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}
