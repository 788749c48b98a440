"""The benches' web server: uvicorn on a free 127.0.0.1 port, as `make run` serves (one process per core unless
told otherwise), against the bench database; its processes' memory; stopped at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(process: subprocess.Popen, log_path: Path, workers: int, timeout: float) -> None:
    """Until every worker has started serving (each loads its models first, so none warms up during a run)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"uvicorn exited early with code {process.returncode}; see {log_path}")
        if log_path.read_bytes().count(b"Application startup complete") >= workers:
            return
        time.sleep(0.3)
    raise SystemExit(f"uvicorn's {workers} workers did not all start within {timeout:.0f}s; see {log_path}")


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    workers: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The processes that serve (uvicorn's children; the process itself when there is one worker)."""
        if self.workers == 1:
            return [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        pids = []
        for pid in map(int, children):
            with contextlib.suppress(OSError):
                if b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(pid)
        return pids

    def memory(self) -> list[dict]:
        """RSS (every page the process maps), PSS (shared pages split between sharers) and USS (its own), in MB."""
        rows = []
        for pid in self.worker_pids():
            fields = {}
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
                name, value = line.split(":", 1)
                fields[name] = int(value.split()[0]) / 1024
            uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
            rows.append({"pid": pid, "rss": fields["Rss"], "pss": fields["Pss"], "uss": uss})
        return rows


@contextlib.contextmanager
def serving(*, database: str, workers: int | None = None, env: dict[str, str] | None = None) -> Iterator[Server]:
    workers = workers or os.cpu_count() or 1
    port = free_port()
    log_path = ROOT / "var" / "log" / f"bench_server_{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_dir = ROOT / "var" / f"prometheus-bench-{port}"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    server_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "escape_ai.settings.base",
        "DEBUG": "false",
        "EMBEDDED_DB_NAME": database,
        "LLM_PROVIDER": "local",
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "WEB_CONCURRENCY": str(workers),
        **(env or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
            [sys.executable, "-m", "uvicorn", "escape_ai.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers), "--timeout-worker-healthcheck", "60",
             "--log-level", "info", "--no-access-log", "--ws-max-size", "4194304"],
            cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_serving(process, log_path, workers, timeout=240)
            yield Server(port=port, process=process, workers=workers)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            for path in metrics_dir.glob("*.db"):
                path.unlink()
            metrics_dir.rmdir()
