"""Every setting comes from the environment, with defaults that work on one machine.

Importing settings only reads: the environment, and files that setup wrote (the development secret
key, where the embedded PostgreSQL listens). It creates no file and starts no process.
"""

import os
import secrets
from datetime import timedelta

import environ

from escape_ai import embedded_db
from escape_ai.settings.paths import BASE_DIR, EMBEDDED_DB_NAME, PGDATA_DIR, SECRET_KEY_FILE, VAR_DIR

env = environ.Env()


def _development_secret_key() -> str:
    """The key `scripts/setup.sh` generated once under var/ (never committed). Before setup ran, a key
    for this process only: sessions and tokens it signs do not outlive it."""
    try:
        return SECRET_KEY_FILE.read_text().strip()
    except FileNotFoundError:
        return secrets.token_urlsafe(50)


# Off unless asked for: `make run` (scripts/run.sh) sets DEBUG=true for development.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.admin_config.AccountsAdminConfig",  # django.contrib.admin with the guarded login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "django_prometheus",
    "escape_ai",
    "accounts",
    "plays",
    "rooms",
    "chat",
    "analytics",
    "ml",
    "web",
    "demo",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "escape_ai.middleware.RequestIdMiddleware",
    "escape_ai.middleware.DatabaseBusyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "escape_ai.urls"
WSGI_APPLICATION = "escape_ai.wsgi.application"
ASGI_APPLICATION = "escape_ai.asgi.application"

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
            ],
        },
    },
]

# --- Database: DATABASE_URL, or the embedded PostgreSQL with pgvector under var/pgdata ---
# Thread pools that use the database, per web process. Each thread holds at most one connection while it
# works, and gives it back to the pool when its task ends.
CHAT_WORKER_THREADS = env.int("CHAT_WORKER_THREADS", default=6)  # WebSocket turns in flight
# Worker threads that run the semantic leg beside the keyword leg (0: in turn).
ROOMS_SEARCH_LEG_THREADS = env.int("ROOMS_SEARCH_LEG_THREADS", default=2)
# Connections a process may hold: the chat and search threads above plus requests in flight (Django runs
# each HTTP request's database work on a thread of its own). A request that finds the pool empty waits
# DB_POOL_TIMEOUT seconds, then gets 503 with Retry-After; PostgreSQL's max_connections must cover
# WEB_CONCURRENCY x DB_POOL_MAX_SIZE plus the Celery workers (embedded_db sizes it so).
DB_POOL_REQUEST_CONNECTIONS = env.int("DB_POOL_REQUEST_CONNECTIONS", default=8)
DB_POOL_MAX_SIZE = env.int(
    "DB_POOL_MAX_SIZE", default=CHAT_WORKER_THREADS + ROOMS_SEARCH_LEG_THREADS + DB_POOL_REQUEST_CONNECTIONS
)
DB_POOL_MIN_SIZE = env.int("DB_POOL_MIN_SIZE", default=2)
DB_POOL_TIMEOUT = env.float("DB_POOL_TIMEOUT", default=3.0)
DB_POOL_RETRY_AFTER_SECONDS = env.int("DB_POOL_RETRY_AFTER_SECONDS", default=2)
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    DATABASES = {"default": embedded_db.connection_settings(PGDATA_DIR, EMBEDDED_DB_NAME)}
DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
# Django's psycopg pool: connections are reused without one per thread for minutes (CONN_MAX_AGE must be 0).
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].pop("CONN_HEALTH_CHECKS", None)  # the pool checks a connection before handing it out
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": min(DB_POOL_MIN_SIZE, DB_POOL_MAX_SIZE),
    "max_size": DB_POOL_MAX_SIZE,
    "timeout": DB_POOL_TIMEOUT,
}
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=f"test_{DATABASES['default']['NAME']}")}
# Insights (the staff dashboards' long reads) from a streaming replica when given; tests mirror the primary.
if env.str("DATABASE_INSIGHTS_URL", default=""):
    DATABASES["insights"] = {
        **env.db_url("DATABASE_INSIGHTS_URL"),
        "ENGINE": "django_prometheus.db.backends.postgresql",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, sessions (cached_db), channel layer, token revocation, login counters ---
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="escape_ai"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # redis-py 8 defaults: a 5 s socket timeout (exactly channels_redis' 5 s BZPOPMIN wait, so every idle
        # consumer died with TimeoutError) and 100 connections per pool (too few for hundreds of open sockets).
        "CONFIG": {
            "hosts": [
                {"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5, "max_connections": 2000}
            ],
            "prefix": env.str("CHANNEL_LAYER_PREFIX", default="escape_ai"),
        },
    }
}

# --- Celery on RabbitMQ ---
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="amqp://guest:guest@127.0.0.1:5672//")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="escape_ai")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
CELERY_TIMEZONE = "Asia/Seoul"
CELERY_BEAT_SCHEDULE: dict = {}

# --- Auth ---
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)
LOGIN_FAILURE_IP_FACTOR = env.int("LOGIN_FAILURE_IP_FACTOR", default=4)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "escape_ai.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "escape_ai.pagination.PagePagination",
    # Every view is throttled (scoped views add their scope); THROTTLE_* set the rates.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "escape_ai.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("THROTTLE_AUTH", default="20/min"),
        "chat": env.str("THROTTLE_CHAT", default="30/min"),
        # every frame a user's WebSockets send (messages, state.get, state.remove), on top of `chat` for messages
        "chat_frames": env.str("THROTTLE_CHAT_FRAMES", default="120/min"),
        "ws_ticket": env.str("THROTTLE_WS_TICKET", default="30/min"),
        "plays_import": env.str("THROTTLE_PLAYS_IMPORT", default="10/min"),
        "party_join": env.str("THROTTLE_PARTY_JOIN", default="20/min"),
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
    },
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # An empty (or blank) JWT_SIGNING_KEY never signs: tokens are signed with SECRET_KEY instead.
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="").strip() or SECRET_KEY,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "방탈출 AI API",
    "DESCRIPTION": "대화로 방탈출 테마를 추천하는 서비스의 API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Region and genre choices appear in several serializers: one enum component each.
    "ENUM_NAME_OVERRIDES": {
        "RegionEnum": "rooms.vocabulary.REGION_CHOICES",
        "GenreEnum": "rooms.vocabulary.GENRE_CHOICES",
        "FeedbackKindEnum": "chat.apis.FEEDBACK_KINDS",
        "TrendKindEnum": "ml.apis.TREND_KINDS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "escape_ai.openapi.schema_info_ascii",
    ],
    # Swagger UI from our own static files (drf-spectacular-sidecar), never a CDN: the CSP allows 'self' only.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- i18n: Korean first ---
LANGUAGE_CODE = "ko-kr"
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"  # made by collectstatic (make run)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# /healthz keeps the broker's status this long per process (no AMQP connection per call).
HEALTH_BROKER_CACHE_SECONDS = env.float("HEALTH_BROKER_CACHE_SECONDS", default=5.0)

# --- Logs: one JSON object a line, with the request id ---

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "escape_ai.logging.ContextFilter"}},
    "formatters": {"json": {"()": "escape_ai.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
    },
}

# --- Browser security headers (every environment, so development sees what production sends) ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our own origin only. The pages carry no inline script or style
# (templates/ and static/ keep them in files; `json_script` data blocks are not scripts). WebSockets go to
# the same host: CSP 3 lets 'self' match ws:/wss: of this origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

DEMO_STAFF_USERNAME = env.str("DEMO_STAFF_USERNAME", default="staff")
DEMO_STAFF_PASSWORD = env.str("DEMO_STAFF_PASSWORD", default="")

# --- ml ---
# MLflow: a local sqlite tracking store + model registry under var/ unless MLFLOW_TRACKING_URI says otherwise.
ML_MLFLOW_TRACKING_URI = env.str("MLFLOW_TRACKING_URI", default=f"sqlite:///{VAR_DIR / 'mlflow' / 'mlflow.db'}")
ML_MLFLOW_ARTIFACT_ROOT = env.str("MLFLOW_ARTIFACT_ROOT", default=str(VAR_DIR / "mlflow" / "artifacts"))
# Torch threads per process when serving (1: small forward passes; see ml/training/runtime.py) and training.
ML_TORCH_THREADS = env.int("ML_TORCH_THREADS", default=1)
ML_TORCH_TRAIN_THREADS = env.int("ML_TORCH_TRAIN_THREADS", default=2)
# How often a serving process asks the registry whether the `champion` alias moved.
ML_CHAMPION_CHECK_SECONDS = env.float("ML_CHAMPION_CHECK_SECONDS", default=60.0)
# Weight of the personal recommender score when chat reranks search results (0 = search order only).
ML_RECOMMENDER_BLEND_WEIGHT = env.float("ML_RECOMMENDER_BLEND_WEIGHT", default=0.3)
# Party recommendations: group score = w x least misery + (1 - w) x average of the members' ranks (ml/group.py);
# the default is what bench/group_quality.py measured best on the demo data (docs/benchmarks.md).
ML_GROUP_MISERY_WEIGHT = env.float("ML_GROUP_MISERY_WEIGHT", default=0.25)
ML_RETRAIN_ENABLED = env.bool("ML_RETRAIN_ENABLED", default=True)
ML_RETRAIN_DAY_OF_WEEK = env.str("ML_RETRAIN_DAY_OF_WEEK", default="mon")
ML_RETRAIN_HOUR = env.int("ML_RETRAIN_HOUR", default=4)
ML_TRENDS_CACHE_SECONDS = env.int("ML_TRENDS_CACHE_SECONDS", default=600)
if ML_RETRAIN_ENABLED:
    from celery.schedules import crontab

    CELERY_BEAT_SCHEDULE["ml-retrain-weekly"] = {
        "task": "ml.tasks.ml_retrain_all",
        "schedule": crontab(minute=0, hour=ML_RETRAIN_HOUR, day_of_week=ML_RETRAIN_DAY_OF_WEEK),
    }

# --- rooms ---
# Embeddings: "use" (local multilingual USE, default) or "openai" (needs OPENAI_API_KEY; 512 dimensions).
ROOMS_EMBEDDING_BACKEND = env.str("ROOMS_EMBEDDING_BACKEND", default="use")
ROOMS_EMBEDDING_THREADS = env.int("ROOMS_EMBEDDING_THREADS", default=2)
ROOMS_EMBEDDING_BATCH_SIZE = env.int("ROOMS_EMBEDDING_BATCH_SIZE", default=64)
ROOMS_EMBEDDING_BEAT_SECONDS = env.int("ROOMS_EMBEDDING_BEAT_SECONDS", default=60)
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")  # empty: the public API
ROOMS_OPENAI_EMBEDDING_MODEL = env.str("ROOMS_OPENAI_EMBEDDING_MODEL", default="text-embedding-3-small")
ROOMS_OPENAI_TIMEOUT_SECONDS = env.float("ROOMS_OPENAI_TIMEOUT_SECONDS", default=10.0)
# Hybrid search: fusion method "rrf" (weight / (k + rank)) or "weighted_sum" (min-max normalised scores).
ROOMS_SEARCH_METHOD = env.str("ROOMS_SEARCH_METHOD", default="rrf")
ROOMS_SEARCH_KEYWORD_WEIGHT = env.float("ROOMS_SEARCH_KEYWORD_WEIGHT", default=0.7)
ROOMS_SEARCH_SEMANTIC_WEIGHT = env.float("ROOMS_SEARCH_SEMANTIC_WEIGHT", default=0.3)
ROOMS_SEARCH_RRF_K = env.int("ROOMS_SEARCH_RRF_K", default=60)
ROOMS_SEARCH_CANDIDATES = env.int("ROOMS_SEARCH_CANDIDATES", default=50)
ROOMS_HNSW_EF_SEARCH = env.int("ROOMS_HNSW_EF_SEARCH", default=100)
# A filtered semantic query compares every room exactly when the filters leave at most this many (0: never).
ROOMS_EXACT_SCAN_MAX_ROWS = env.int("ROOMS_EXACT_SCAN_MAX_ROWS", default=3000)
# The keyword leg runs ts_rank_cd on at most this many matches a tier (name, facts, anywhere), the best-rated.
ROOMS_KEYWORD_RANK_MAX_ROWS = env.int("ROOMS_KEYWORD_RANK_MAX_ROWS", default=150)
# A catalogue of at most this many rooms is searched the simple way: every match read, every room compared
# exactly, one statement a leg (0: never). Above it, the sampled tiers and the HNSW graphs pay.
ROOMS_SMALL_CATALOGUE_ROWS = env.int("ROOMS_SMALL_CATALOGUE_ROWS", default=2000)
# Time slots (docs/slots.md): the furthest ahead a window may reach (API, search, chat), in days.
ROOMS_SLOT_WINDOW_MAX_DAYS = env.int("ROOMS_SLOT_WINDOW_MAX_DAYS", default=60)
# Directories of store slot feeds (*.csv, *.json; docs/slots.md) that beat re-imports every interval.
ROOMS_SLOT_FEED_DIRS = env.list("ROOMS_SLOT_FEED_DIRS", default=[])
ROOMS_SLOT_FEED_INTERVAL_SECONDS = env.int("ROOMS_SLOT_FEED_INTERVAL_SECONDS", default=900)
# How often beat archives slots that have started.
ROOMS_SLOT_ARCHIVE_INTERVAL_SECONDS = env.int("ROOMS_SLOT_ARCHIVE_INTERVAL_SECONDS", default=600)
CELERY_BEAT_SCHEDULE["rooms-slot-feeds-import"] = {
    "task": "rooms.tasks.slot_feeds_import_task",
    "schedule": ROOMS_SLOT_FEED_INTERVAL_SECONDS,
    "options": {"expires": ROOMS_SLOT_FEED_INTERVAL_SECONDS},
}
# Demo slots (demo.slots) regenerated daily at this hour (Asia/Seoul) for the next 14 days (no demo stores: no-op).
DEMO_SLOTS_DAILY = env.bool("DEMO_SLOTS_DAILY", default=True)
DEMO_SLOTS_HOUR = env.int("DEMO_SLOTS_HOUR", default=5)
if DEMO_SLOTS_DAILY:
    from celery.schedules import crontab

    CELERY_BEAT_SCHEDULE["demo-slots-daily"] = {
        "task": "demo.tasks.demo_slots_regenerate_task",
        "schedule": crontab(minute=10, hour=DEMO_SLOTS_HOUR),
    }
CELERY_BEAT_SCHEDULE["rooms-slots-archive"] = {
    "task": "rooms.tasks.slots_archive_task",
    "schedule": ROOMS_SLOT_ARCHIVE_INTERVAL_SECONDS,
    "options": {"expires": ROOMS_SLOT_ARCHIVE_INTERVAL_SECONDS},
}
CELERY_BEAT_SCHEDULE["rooms-embed-dirty"] = {
    "task": "rooms.tasks.rooms_embed_dirty_task",
    "schedule": ROOMS_EMBEDDING_BEAT_SECONDS,
}

# --- chat ---
LLM_PROVIDER = env.str("LLM_PROVIDER", default="local")  # local, openai, anthropic, google, ollama
LLM_MODEL = env.str("LLM_MODEL", default="")  # empty: the provider's default model
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=15.0)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=1)
LLM_CIRCUIT_FAILURES = env.int("LLM_CIRCUIT_FAILURES", default=3)
LLM_CIRCUIT_RESET_SECONDS = env.float("LLM_CIRCUIT_RESET_SECONDS", default=60.0)
# OPENAI_API_KEY and OPENAI_BASE_URL are read in the rooms block (shared with its embedding backend).
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="")
GOOGLE_API_KEY = env.str("GOOGLE_API_KEY", default="")
OLLAMA_BASE_URL = env.str("OLLAMA_BASE_URL", default="http://127.0.0.1:11434")
# USD per million tokens, by model; LLM_PRICES_JSON='{"model": {"input": 1.0, "output": 2.0}}' adds or overrides.
LLM_PRICES_USD_PER_MTOK = {
    "gpt-4o-mini": {"input": 0.15, "output": 0.60},
    "gpt-4o": {"input": 2.50, "output": 10.00},
    "claude-3-5-haiku-latest": {"input": 0.80, "output": 4.00},
    "claude-3-5-sonnet-latest": {"input": 3.00, "output": 15.00},
    "gemini-2.0-flash": {"input": 0.10, "output": 0.40},
    "llama3.1:8b": {"input": 0.0, "output": 0.0},
    **env.json("LLM_PRICES_JSON", default={}),
}
CHAT_DAILY_TOKEN_BUDGET = env.int("CHAT_DAILY_TOKEN_BUDGET", default=200_000)  # per user; 0 = unlimited
CHAT_MAX_MESSAGE_CHARS = env.int("CHAT_MAX_MESSAGE_CHARS", default=1000)
# The longest reply an LLM may give: `max_tokens` on every provider call, and a cap on the reply's text.
LLM_MAX_TOKENS = env.int("LLM_MAX_TOKENS", default=400)
CHAT_REPLY_MAX_CHARS = env.int("CHAT_REPLY_MAX_CHARS", default=600)
# WebSocket: the largest frame a client may send, and how long a one-time ticket (POST /chat/ws-ticket) lives.
CHAT_WS_MAX_FRAME_BYTES = env.int("CHAT_WS_MAX_FRAME_BYTES", default=8192)
CHAT_WS_TICKET_SECONDS = env.int("CHAT_WS_TICKET_SECONDS", default=30)
CHAT_RECOMMENDATION_LIMIT = env.int("CHAT_RECOMMENDATION_LIMIT", default=3)
# Search hits the personal rerank (ml) chooses the shown ones from.
CHAT_RERANK_CANDIDATES = env.int("CHAT_RERANK_CANDIDATES", default=10)

# --- analytics ---
# Prometheus multiprocess mode: every process writes its samples under this directory and
# /metrics sums them. Must be in the environment before prometheus_client is imported.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "prometheus"))
# The only write: this process's environment, which prometheus_client reads when first imported. The
# directory itself is made by analytics.metrics before it defines the first metric.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
# /metrics: open to these addresses/networks (loopback by default), or to anyone with the basic-auth pair.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_BASIC_AUTH = env.str("METRICS_BASIC_AUTH", default="")  # "user:password"; empty = off
METRICS_JSONL_ENABLED = env.bool("METRICS_JSONL_ENABLED", default=True)
METRICS_JSONL_DIR = env.str("METRICS_JSONL_DIR", default=str(BASE_DIR / "data" / "metrics"))
# The Redis that buffers ordinary events until the flush: it needs appendonly yes + noeviction (docs/operations.md).
ANALYTICS_BUFFER_REDIS_URL = env.str("ANALYTICS_BUFFER_REDIS_URL", default=REDIS_URL)
ANALYTICS_FLUSH_INTERVAL_SECONDS = env.int("ANALYTICS_FLUSH_INTERVAL_SECONDS", default=300)
ANALYTICS_FLUSH_BATCH_SIZE = env.int("ANALYTICS_FLUSH_BATCH_SIZE", default=5000)
ANALYTICS_FLUSH_LOCK_SECONDS = env.int("ANALYTICS_FLUSH_LOCK_SECONDS", default=120)
# Test-only: seconds to sleep after a batch is stored and before it leaves the processing list.
ANALYTICS_FLUSH_PAUSE_SECONDS = env.float("ANALYTICS_FLUSH_PAUSE_SECONDS", default=0.0)
ANALYTICS_MAX_PAYLOAD_BYTES = env.int("ANALYTICS_MAX_PAYLOAD_BYTES", default=16384)
ANALYTICS_EVENTS_QUEUE = env.str("ANALYTICS_EVENTS_QUEUE", default="")  # empty: "<default queue>.events"
ANALYTICS_DELIVERY_LIMIT = env.int("ANALYTICS_DELIVERY_LIMIT", default=3)
# Pause before a failed critical event goes back to the queue (times the number of earlier deliveries).
ANALYTICS_REDELIVERY_DELAY_SECONDS = env.float("ANALYTICS_REDELIVERY_DELAY_SECONDS", default=0.5)
# True only for the Celery worker that consumes the events queue (`make run` and compose start one).
ANALYTICS_EVENTS_WORKER = env.bool("ANALYTICS_EVENTS_WORKER", default=False)
ANALYTICS_INSIGHTS_MAX_DAYS = env.int("ANALYTICS_INSIGHTS_MAX_DAYS", default=366)
CELERY_BEAT_SCHEDULE["analytics-events-flush"] = {
    "task": "analytics.events_flush",
    "schedule": ANALYTICS_FLUSH_INTERVAL_SECONDS,
    "options": {"expires": ANALYTICS_FLUSH_INTERVAL_SECONDS},
}
# A Celery worker serves its metrics on this port when set (0: off; it shares the web's directory instead).
ANALYTICS_WORKER_METRICS_PORT = env.int("ANALYTICS_WORKER_METRICS_PORT", default=0)
ANALYTICS_WORKER_METRICS_ADDRESS = env.str("ANALYTICS_WORKER_METRICS_ADDRESS", default="0.0.0.0")  # noqa: S104 - container network
# Workers log through LOGGING (JSON lines with request/user/chat session ids), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- web ---
# Web processes: uvicorn --workers WEB_CONCURRENCY (scripts/run.sh, Dockerfile; default: the number of cores).
# Each loads the Korean analyser and the sentence encoder before it serves.
WEB_WARMUP = env.bool("WEB_WARMUP", default=True)
# WhiteNoise serves straight from the static folders (no collectstatic) when asked: development with
# DEBUG, and the browser tests' live server.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
