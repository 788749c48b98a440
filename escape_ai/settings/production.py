"""Production: secrets and the database are required, nothing is guessed.

Start-up fails with ImproperlyConfigured when `DATABASE_URL`, `SECRET_KEY` or `ALLOWED_HOSTS` is
unset or empty: a production process never falls back to the embedded PostgreSQL or a generated key.
"""

from django.core.exceptions import ImproperlyConfigured

from escape_ai.settings.base import *  # noqa: F403
from escape_ai.settings.base import env


def _required(name: str) -> str:
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set (and not empty) with production settings")
    return value


_required("DATABASE_URL")  # base.py already built DATABASES from it; here it may not be missing
DEBUG = False
SECRET_KEY = _required("SECRET_KEY")
# An empty JWT_SIGNING_KEY= must not sign with an empty key: it falls back to SECRET_KEY.
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default="").strip() or SECRET_KEY}  # noqa: F405
ALLOWED_HOSTS = [host.strip() for host in _required("ALLOWED_HOSTS").split(",") if host.strip()]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
