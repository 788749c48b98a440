"""Filesystem locations shared by settings and the scripts that run before Django starts."""

import hashlib
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
PGDATA_DIR = VAR_DIR / "pgdata"
SECRET_KEY_FILE = VAR_DIR / "secret_key"  # written once by scripts/setup.sh
EMBEDDED_DB_NAME = os.environ.get("EMBEDDED_DB_NAME", "escape_ai")

# Distinguishes checkouts sharing one Redis and RabbitMQ (a developer's tree and CI's clone), so
# their test key spaces and queues never mix.
CHECKOUT_ID = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]
