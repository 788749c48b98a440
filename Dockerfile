FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=escape_ai.settings.production
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs no database or secret, but production settings refuse to start without them:
# throwaway values for this one build step only (the running container gets the real ones).
RUN DATABASE_URL=postgres://build@localhost/build SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 --home-dir /app app && mkdir -p /app/var /app/data && chown -R app /app/var /app/data
USER app
EXPOSE 8000
# One web process per core of the container unless WEB_CONCURRENCY says otherwise; a worker loading the Korean
# analyser holds the GIL for seconds, so the supervisor's ping waits up to 60 s. Behind the proxy (compose's
# `proxy`, or yours): uvicorn takes the client address and scheme from the X-Forwarded-* headers of the addresses
# in FORWARDED_ALLOW_IPS only. Frames past 64 KiB are refused.
CMD ["sh", "-c", "exec uvicorn escape_ai.asgi:application --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-$(nproc)} --timeout-worker-healthcheck 60 --proxy-headers --forwarded-allow-ips \"${FORWARDED_ALLOW_IPS:-127.0.0.1}\" --ws-max-size 65536"]
