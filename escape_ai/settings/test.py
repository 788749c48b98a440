"""Tests use the real PostgreSQL, Redis and RabbitMQ; only what is not under test is relaxed."""

from escape_ai.settings.base import *  # noqa: F403
from escape_ai.settings.base import CACHES, CHANNEL_LAYERS, REST_FRAMEWORK, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A separate key space so a test run never touches development data in the same Redis.
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="escape_ai_test")
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = env.str("CHANNEL_LAYER_PREFIX", default="escape_ai_test")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "anon": "10000/min",
    "user": "10000/min",
}
