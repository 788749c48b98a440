#!/usr/bin/env bash
# `make run`: migrate, load demo data once, then the ASGI server with a Celery worker and beat.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-escape_ai.settings.base}
# Development: DEBUG is off unless set (settings/base.py); `make run` is the place that turns it on.
export DEBUG=${DEBUG:-true}
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput >/dev/null
$PY manage.py load_demo_data
# Web processes serve the champions from PostgreSQL, never from MLflow: publish a registry trained before that.
$PY manage.py ml_publish
$PY manage.py ensure_demo_staff
$PY manage.py demo_parties

mkdir -p var/log
# Prometheus multiprocess files belong to one run: stale ones would add dead processes' counts.
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-${VAR_DIR:-var}/prometheus}
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
.venv/bin/celery -A escape_ai worker --loglevel=INFO --concurrency=2 >var/log/celery-worker.log 2>&1 &
worker=$!
# Analytics events have their own worker and quorum queue (see analytics/queues.py).
ANALYTICS_EVENTS_WORKER=true .venv/bin/celery -A escape_ai worker --loglevel=INFO --concurrency=1 -n events@%h \
  >var/log/celery-events-worker.log 2>&1 &
events_worker=$!
.venv/bin/celery -A escape_ai beat --loglevel=INFO --schedule var/celerybeat-schedule >var/log/celery-beat.log 2>&1 &
beat=$!
trap 'kill $worker $events_worker $beat 2>/dev/null || true' EXIT INT TERM

# One web process per core (WEB_CONCURRENCY overrides); each has its own database pool (DB_POOL_MAX_SIZE).
WEB_CONCURRENCY=${WEB_CONCURRENCY:-$(nproc)}
export WEB_CONCURRENCY
cat <<MSG

  방탈출 AI is running:
    web chat   http://$HOST:$PORT/
    admin      http://$HOST:$PORT/admin/
    API docs   http://$HOST:$PORT/api/docs/
    health     http://$HOST:$PORT/healthz
    metrics    http://$HOST:$PORT/metrics
  $WEB_CONCURRENCY web processes (WEB_CONCURRENCY). Celery worker and beat log to var/log/. Ctrl+C stops.

MSG
# A worker loading the Korean analyser holds the GIL for seconds: the supervisor's ping must wait for it.
# --ws-max-size: no frame past 64 KiB is even buffered (the chat consumer refuses any past 8 KiB itself).
.venv/bin/uvicorn escape_ai.asgi:application --host "$HOST" --port "$PORT" --workers "$WEB_CONCURRENCY" \
  --timeout-worker-healthcheck 60 --ws-max-size 65536
