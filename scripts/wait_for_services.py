"""Wait until Redis answers PING and RabbitMQ completes an AMQP handshake; start the embedded DB."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
TIMEOUT = float(os.environ.get("SERVICES_TIMEOUT", "90"))


def _redis_ready() -> bool:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    return True


def _broker_ready() -> bool:
    from kombu import Connection

    with Connection(BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=0)
    return True


def wait(name: str, check) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            check()
            print(f"[setup] {name} ready")
            return
        except Exception as exc:  # noqa: BLE001 - keep trying until the deadline
            if time.monotonic() > deadline:
                sys.exit(f"[setup] error: {name} not reachable after {TIMEOUT:.0f}s ({type(exc).__name__}: {exc})")
            time.sleep(0.5)


def main() -> None:
    wait("Redis", _redis_ready)
    wait("RabbitMQ", _broker_ready)
    if not os.environ.get("DATABASE_URL"):
        from escape_ai import embedded_db

        embedded_db.main(["embedded_db", "start"])


if __name__ == "__main__":
    main()
