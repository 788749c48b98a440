"""Two web processes, as `make run` serves on two cores: metrics, the channel layer and the JSONL files work
across them. Which process holds a connection is read from the kernel (psutil), so each check is made with
traffic known to have reached both."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest
import websocket
from django.conf import settings

from accounts.tokens import tokens_issue
from testing.factories import ChatSessionFactory, UserFactory, small_catalogue_build
from testing.live_server import free_port, server_env

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 2


@pytest.fixture(scope="module")
def two_processes(django_db_setup, django_db_blocker, tmp_path_factory):
    """uvicorn with two worker processes on the test database; its own metrics and JSONL directories."""
    from django.db import connection

    port = free_port()
    folder = tmp_path_factory.mktemp("two-processes")
    env = {
        **server_env(connection.settings_dict["NAME"]),
        # Its own metrics directory: the sums below are this server's alone, not the test process's too.
        "TEST_PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
        "METRICS_JSONL_DIR": str(folder / "jsonl"),
    }
    (folder / "prometheus").mkdir()
    log_path = folder / "uvicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "escape_ai.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(WORKERS), "--timeout-worker-healthcheck", "60"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while log_path.read_text().count("Application startup complete") < WORKERS:
            assert process.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "the two workers did not start in time"
            time.sleep(0.3)
        yield {"port": port, "pid": process.pid, "folder": folder}
    finally:
        process.terminate()
        process.wait(timeout=30)


def _workers(server) -> set[int]:
    return {child.pid for child in psutil.Process(server["pid"]).children() if "spawn" in " ".join(child.cmdline())}


def _serving_pid(server, local_port: int) -> int:
    """The worker whose socket is connected to this client port."""
    for pid in _workers(server):
        for conn in psutil.Process(pid).net_connections(kind="tcp"):
            if conn.raddr and conn.raddr.port == local_port and conn.status == psutil.CONN_ESTABLISHED:
                return pid
    raise AssertionError(f"no worker holds the connection from port {local_port}")


def _request_on_each_worker(server, method: str, path: str, body: dict | None = None, headers=None) -> dict[int, list]:
    """Send requests on new connections until every worker has answered at least one: {pid: [responses]}."""
    answered: dict[int, list] = {}
    for _ in range(200):
        conn = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=60)
        conn.connect()
        pid = _serving_pid(server, conn.sock.getsockname()[1])
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        answered.setdefault(pid, []).append((response.status, response.read()))
        conn.close()
        if len(answered) == WORKERS:
            return answered
    raise AssertionError(f"only workers {sorted(answered)} answered 200 connections")


def test_both_processes_serve_and_metrics_sum_over_them(two_processes):
    answered = _request_on_each_worker(two_processes, "GET", "/healthz")
    served = sum(len(responses) for responses in answered.values())

    conn = http.client.HTTPConnection("127.0.0.1", two_processes["port"], timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()

    assert all(status == 200 for responses in answered.values() for status, _ in responses)
    assert len(answered) == WORKERS
    samples = [
        line
        for line in text.splitlines()
        if line.startswith("django_http_responses_total_by_status_view_method_total{")
        and 'view="healthz"' in line
        and 'status="200"' in line
    ]
    # Whichever process answered /metrics, it reports the requests both processes served.
    assert sum(float(line.rsplit(" ", 1)[1]) for line in samples) == served
    files = {path.name.rsplit("_", 1)[-1] for path in (two_processes["folder"] / "prometheus").glob("counter_*.db")}
    assert {f"{pid}.db" for pid in answered} <= files


def test_a_reply_made_on_one_process_reaches_a_socket_on_the_other(two_processes):
    user = UserFactory()
    small_catalogue_build()
    session = ChatSessionFactory(user=user, title="강남 공포")
    token = tokens_issue(user=user)["access"]
    url = f"ws://127.0.0.1:{two_processes['port']}/ws/chat/?token={token}"
    origin = f"http://127.0.0.1:{two_processes['port']}"

    sockets: dict[int, websocket.WebSocket] = {}
    for _ in range(200):
        ws = websocket.create_connection(f"{url}&session_id={session.id}", timeout=60, origin=origin)
        pid = _serving_pid(two_processes, ws.sock.getsockname()[1])
        if pid in sockets:
            ws.close()
        else:
            sockets[pid] = ws
        if len(sockets) == WORKERS:
            break
    assert len(sockets) == WORKERS, "could not open a socket on each process"
    sender, follower = sockets.values()
    try:
        sender.send(json.dumps({"message": "강남 공포 테마 추천해줘", "session_id": session.id}, ensure_ascii=False))
        sent = []
        while True:
            frame = json.loads(sender.recv())
            sent.append(frame)
            if frame["type"] in ("done", "error"):
                break
        followed = []
        while True:
            frame = json.loads(follower.recv())
            followed.append(frame)
            if frame["type"] in ("done", "error"):
                break
    finally:
        for ws in sockets.values():
            ws.close()

    assert sent[-1]["type"] == "done" and sent[-1]["session_id"] == session.id
    # The other process's socket gets the whole reply through the Redis channel layer.
    assert "".join(f["text"] for f in followed if f["type"] == "token") == "".join(
        f["text"] for f in sent if f["type"] == "token"
    )
    assert followed[-1] == sent[-1]
    assert [f["type"] for f in followed if f["type"] != "token"] == ["recommendations", "done"]


def test_both_processes_append_whole_lines_to_one_jsonl_file(two_processes):
    user = UserFactory()
    small_catalogue_build()
    headers = {"Authorization": f"Bearer {tokens_issue(user=user)['access']}"}

    def chat_lines() -> list[dict]:
        path = Path(two_processes["folder"]) / "jsonl" / f"{datetime.now(UTC).date().isoformat()}.jsonl"
        lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return [line for line in lines if line.get("metric") == "chat.message"]

    before = len(chat_lines())
    answered = _request_on_each_worker(two_processes, "POST", "/chat/", {"message": "홍대 추리 추천"}, headers)
    written = chat_lines()[before:]

    assert all(status == 200 for responses in answered.values() for status, _ in responses)
    # One whole, parseable line per reply, from each of the two processes, in the one file of the day.
    assert len(written) == sum(len(responses) for responses in answered.values())
    assert {line["pid"] for line in written} == set(answered)
