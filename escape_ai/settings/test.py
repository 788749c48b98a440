"""Tests use the real PostgreSQL, Redis and RabbitMQ; only what is not under test is relaxed."""

from escape_ai.settings.base import *  # noqa: F403
from escape_ai.settings.base import CACHES, CHANNEL_LAYERS, REST_FRAMEWORK, env
from escape_ai.settings.paths import CHECKOUT_ID

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A separate key space and queue per checkout, so a test run never touches development data or
# another checkout's tests on the same Redis and RabbitMQ.
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default=f"escape_ai_test_{CHECKOUT_ID}")
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = env.str("CHANNEL_LAYER_PREFIX", default=f"escape_ai_test_{CHECKOUT_ID}")
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default=f"escape_ai_test_{CHECKOUT_ID}")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "anon": "10000/min",
    "user": "10000/min",
}
