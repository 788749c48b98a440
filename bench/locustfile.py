"""What a signed-in user does, for locust (run by bench/load.py, which prepares the users and the server).

Each simulated user takes one prepared account (JWT for the API and the WebSocket, a session cookie for the
pages) and loops, with 1-3 s of thinking between actions: room search, a room page, `POST /chat/`, and now and
then a chat over the WebSocket. One more user asks `/healthz` once a second: the floor of the same run.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path

import websocket
from locust import HttpUser, between, constant, events, task

PREPARED = json.loads(Path(os.environ["LOAD_BENCH_USERS"]).read_text())
ACCOUNTS = itertools.cycle(PREPARED["accounts"])
ROOM_IDS = PREPARED["room_ids"]
QUERIES = [
    "강남 공포",
    "홍대 추리",
    "안 무서운 감성 테마",
    "SF 모험",
    "건대 코믹",
    "잠실 4명",
    "고인물 고난도",
    "대학로 감성",
]
CHATS = [
    "강남에서 3명이 할 만한 안 무서운 테마",
    "홍대 추리 추천",
    "고인물 넷 고난도 스릴러",
    "방린이 둘이 갈 만한 곳",
    "건대 코믹 셋이서",
    "대학로 감성 테마 2만5천원 이하",
]
STATUS_COUNTS: dict[str, int] = {}


@events.request.add_listener
def _count_status(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    status = getattr(response, "status_code", None) if response is not None else None
    key = f"{request_type} {name} {status if status is not None else ('error' if exception else 'ok')}"
    STATUS_COUNTS[key] = STATUS_COUNTS.get(key, 0) + 1


@events.quitting.add_listener
def _write_status_counts(environment, **kwargs):
    Path(os.environ["LOAD_BENCH_STATUS"]).write_text(json.dumps(STATUS_COUNTS, ensure_ascii=False))


class PlayerUser(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        account = next(ACCOUNTS)
        self.token = account["token"]
        self.client.cookies.set("sessionid", account["session"])
        self.headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    @task(4)
    def search(self):
        self.client.get("/rooms/search", params={"q": random.choice(QUERIES)}, headers=self.headers, name="search")

    @task(3)
    def room_page(self):
        room_id = random.choice(ROOM_IDS)
        self.client.get(f"/rooms/{room_id}/", headers={"Accept": "text/html"}, name="room page")

    @task(2)
    def chat_rest(self):
        self.client.post("/chat/", json={"message": random.choice(CHATS)}, headers=self.headers, name="POST /chat/")

    @task(1)
    def chat_socket(self):
        """One message over /ws/chat/: time to the first token frame and to the done frame."""
        url = self.host.replace("http://", "ws://") + f"/ws/chat/?token={self.token}"
        started = time.perf_counter()
        first = None
        try:
            ws = websocket.create_connection(url, timeout=30, origin=self.host)
            try:
                sent = time.perf_counter()
                ws.send(json.dumps({"message": random.choice(CHATS)}, ensure_ascii=False))
                while True:
                    frame = json.loads(ws.recv())
                    if frame["type"] == "token" and first is None:
                        first = time.perf_counter()
                    if frame["type"] in ("done", "error"):
                        break
            finally:
                ws.close()
        except Exception as exc:  # noqa: BLE001 - reported to locust as a failed request
            events.request.fire(
                request_type="WS",
                name="chat reply",
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=exc,
            )
            return
        error = RuntimeError(frame.get("message")) if frame["type"] == "error" else None
        if first is not None:
            events.request.fire(
                request_type="WS", name="chat first token", response_time=(first - sent) * 1000, response_length=0
            )
        events.request.fire(
            request_type="WS",
            name="chat reply",
            response_time=(time.perf_counter() - sent) * 1000,
            response_length=0,
            exception=error,
        )


class HealthUser(HttpUser):
    """The floor: what the server answers with no database work beyond a ping, in the same run."""

    fixed_count = 1
    wait_time = constant(1)

    @task
    def health(self):
        self.client.get("/healthz", name="/healthz (floor)")
