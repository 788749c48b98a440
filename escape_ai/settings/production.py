"""Production: secrets and the database are required, nothing is guessed, HTTPS is assumed.

Start-up fails with ImproperlyConfigured when `DATABASE_URL`, `SECRET_KEY` or `ALLOWED_HOSTS` is
unset or empty: a production process never falls back to the embedded PostgreSQL or a generated key.
`manage.py check --deploy --fail-level WARNING` is clean with these settings (a test runs it).
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

# --- HTTPS ---
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers and Prometheus probe these over plain HTTP inside the private network: no redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# Only behind a proxy that sets X-Forwarded-Proto itself (and strips the client's): anywhere else a
# client could claim HTTPS with that header.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS: one year, subdomains included, preload on. Turning preload (or subdomains) off is a deliberate
# choice, so the deploy check's reminder about it is silenced then.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
]
