FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SETTINGS_MODULE=escape_ai.settings.base DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput
EXPOSE 8000
# One web process per core of the container unless WEB_CONCURRENCY says otherwise.
CMD ["sh", "-c", "exec uvicorn escape_ai.asgi:application --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-$(nproc)} --timeout-worker-healthcheck 60"]
