"""Production: secrets are required, nothing is guessed."""

from escape_ai.settings.base import *  # noqa: F403
from escape_ai.settings.base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")  # no default: start-up fails without it
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY)}  # noqa: F405
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
