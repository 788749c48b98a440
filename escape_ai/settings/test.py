"""Tests use the real PostgreSQL, Redis and RabbitMQ; only what is not under test is relaxed."""

import os

from escape_ai.settings.base import *  # noqa: F403
from escape_ai.settings.base import CACHES, CHANNEL_LAYERS, DATABASES, REST_FRAMEWORK, env
from escape_ai.settings.paths import CHECKOUT_ID, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# One test run, one set of names: a key space, a channel-layer prefix, queues, a test database and a
# metrics directory of its own. A run never touches development data, another checkout's tests, or
# another run in the same checkout on the same Redis, RabbitMQ and PostgreSQL. The run's Celery
# worker and web server subprocesses inherit the run id through the environment.
TEST_RUN = os.environ.setdefault("ESCAPE_AI_TEST_RUN", f"{CHECKOUT_ID}_{os.getpid()}")
_PREFIX = f"escape_ai_test_{TEST_RUN}"
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default=_PREFIX)
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = env.str("CHANNEL_LAYER_PREFIX", default=_PREFIX)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default=_PREFIX)
DATABASES["default"]["TEST"]["NAME"] = env.str(
    "TEST_DATABASE_NAME", default=f"test_{DATABASES['default']['NAME']}_{TEST_RUN}"
)
PROMETHEUS_MULTIPROC_DIR = env.str("TEST_PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "prometheus-test" / TEST_RUN))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR  # read by prometheus_client at import
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "anon": "10000/min",
    "user": "10000/min",
}
