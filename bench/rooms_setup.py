"""Django set-up for the rooms benches: a database of their own, so dev data stays untouched.

The embedded PostgreSQL gets a database named by EMBEDDED_DB_NAME (default `escape_ai_bench`);
with DATABASE_URL set, that database is used as it is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup(default_db: str = "escape_ai_bench") -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("EMBEDDED_DB_NAME", default_db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL"):
        from escape_ai import embedded_db
        from escape_ai.settings.paths import EMBEDDED_DB_NAME, PGDATA_DIR

        embedded_db.ensure_database(embedded_db.ensure_server(PGDATA_DIR), EMBEDDED_DB_NAME)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table, so the printed figures paste into the README as they are."""
    cells = [[str(cell) for cell in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)
