"""200 concurrent WebSocket chats against a real server on loopback.

    .venv/bin/python bench/ws_load.py [--clients 200] [--messages 2]

Starts uvicorn itself (the project's ASGI app, offline `local` provider) on a free 127.0.0.1 port with a bench
database of its own, signs in one user per client (JWT in the `token` query parameter), opens every socket,
then all clients send their messages at once. Prints time to first token frame p50/p95, whole-reply time, and
lost frames: for every reply, token frames expected (the stored reply cut into words, exactly as the server
streams it) minus token frames received, plus replies that never finished. Stops the server at the end.
Every loop is bounded in count and time; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "escape_ai_bench"
os.environ["EMBEDDED_DB_NAME"] = BENCH_DB
os.environ["LLM_PROVIDER"] = "local"

from rooms_setup import django_setup, percentile, table  # noqa: E402

MESSAGES = [
    "강남에서 3명이 할 만한 안 무서운 테마",
    "홍대 추리 추천",
    "고인물 넷 고난도 스릴러",
    "방린이 둘이 갈 만한 곳",
    "horror room in Gangnam for 4",
    "건대 코믹 셋이서",
    "대학로 감성 테마 2만5천원 이하",
    "방탈출 초보인데 팁 있어?",
]
REPLY_TIMEOUT_S = 120
RUN_TIMEOUT_S = 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"uvicorn exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"uvicorn did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


async def chat(url: str, texts: list[str], start: asyncio.Event, origin: str, connected: list[int]) -> list[dict]:
    import websockets

    results = []
    async with websockets.connect(url, origin=origin, max_size=2**22, open_timeout=60) as ws:
        connected[0] += 1
        await start.wait()
        session_id = None
        for text in texts:
            payload = {"message": text, **({"session_id": session_id} if session_id else {})}
            sent = time.perf_counter()
            await ws.send(json.dumps(payload, ensure_ascii=False))
            first = None
            tokens = 0
            outcome = {"done": False, "message_id": None, "error": None}
            async with asyncio.timeout(REPLY_TIMEOUT_S):
                while True:
                    frame = json.loads(await ws.recv())
                    if frame["type"] == "token":
                        tokens += 1
                        first = first or time.perf_counter()
                    elif frame["type"] == "done":
                        outcome.update(done=True, message_id=frame["message_id"])
                        session_id = frame["session_id"]
                        break
                    elif frame["type"] == "error":
                        outcome["error"] = frame["message"]
                        break
            finished = time.perf_counter()
            results.append(
                {
                    **outcome,
                    "tokens": tokens,
                    "ttft_ms": (first - sent) * 1000 if first else None,
                    "total_ms": (finished - sent) * 1000,
                }
            )
    return results


async def load(port: int, tokens: list[str], messages: int) -> tuple[list[dict], int, float]:
    start = asyncio.Event()
    connected = [0]
    origin = f"http://127.0.0.1:{port}"
    tasks = [
        asyncio.create_task(
            chat(
                f"ws://127.0.0.1:{port}/ws/chat/?token={token}",
                [MESSAGES[(index + turn) % len(MESSAGES)] for turn in range(messages)],
                start,
                origin,
                connected,
            )
        )
        for index, token in enumerate(tokens)
    ]
    # Every socket finishes its handshake before anyone speaks, so the burst is truly concurrent.
    deadline = time.monotonic() + 60
    while connected[0] + sum(task.done() for task in tasks) < len(tasks) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    started = time.perf_counter()
    start.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - started
    results = [item for outcome in outcomes if isinstance(outcome, list) for item in outcome]
    failed_clients = sum(1 for outcome in outcomes if not isinstance(outcome, list))
    return results, failed_clients, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=2, help="messages per client, sent one after another")
    args = parser.parse_args()

    django_setup(BENCH_DB)
    from django.core.management import call_command

    from accounts.models import User
    from accounts.tokens import tokens_issue
    from chat.models import ChatMessage
    from chat.replies import reply_words
    from rooms.services import rooms_embed_dirty

    call_command("seed_catalog", verbosity=0)
    while rooms_embed_dirty(batch_size=128):
        pass
    users = []
    for index in range(args.clients):
        user, _ = User.objects.get_or_create(
            username=f"bench_ws_{index}", defaults={"email": f"bench_ws_{index}@example.com"}
        )
        users.append(user)
    tokens = [tokens_issue(user=user)["access"] for user in users]

    port = free_port()
    log_path = ROOT / "var" / "log" / "ws_load_server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "escape_ai.settings.base",
        "EMBEDDED_DB_NAME": BENCH_DB,
        "LLM_PROVIDER": "local",
        "LOG_LEVEL": "WARNING",
        "METRICS_JSONL_ENABLED": "false",
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
        [
            sys.executable,
            "-m",
            "uvicorn",
            "escape_ai.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--ws-max-size",
            "4194304",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port, server, timeout=120)
        # Warm-up: the server loads Kiwi and the sentence encoder on its first message.
        asyncio.run(load(port, tokens[:1], 1))
        # Baseline in the same run: one client alone, the same messages one after another.
        alone, _, _ = asyncio.run(load(port, tokens[:1], len(MESSAGES)))
        results, failed_clients, elapsed = asyncio.run(
            asyncio.wait_for(load(port, tokens, args.messages), RUN_TIMEOUT_S)
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()

    expected_replies = args.clients * args.messages
    done = [result for result in results if result["done"]]
    errors = [result for result in results if result["error"]]
    stored = dict(
        ChatMessage.objects.filter(id__in=[result["message_id"] for result in done]).values_list("id", "text")
    )
    lost_tokens = sum(max(0, len(reply_words(stored.get(r["message_id"], ""))) - r["tokens"]) for r in done)
    extra_tokens = sum(max(0, r["tokens"] - len(reply_words(stored.get(r["message_id"], "")))) for r in done)
    unfinished = expected_replies - len(done)
    ttft = [result["ttft_ms"] for result in done if result["ttft_ms"] is not None]
    total = [result["total_ms"] for result in done]
    print(
        f"{args.clients} concurrent WebSocket clients × {args.messages} messages on 127.0.0.1:{port} "
        f"(one uvicorn process, local provider), {elapsed:.1f}s wall"
    )
    print(
        table(
            ["figure", "p50 ms", "p95 ms", "max ms"],
            [
                [
                    "time to first token frame",
                    f"{percentile(ttft, 0.5):.0f}",
                    f"{percentile(ttft, 0.95):.0f}",
                    f"{max(ttft, default=float('nan')):.0f}",
                ],
                [
                    "whole reply (to done frame)",
                    f"{percentile(total, 0.5):.0f}",
                    f"{percentile(total, 0.95):.0f}",
                    f"{max(total, default=float('nan')):.0f}",
                ],
            ],
        )
    )
    alone_ttft = [result["ttft_ms"] for result in alone if result["ttft_ms"] is not None]
    print(
        f"baseline, one client alone: time to first token p50 {percentile(alone_ttft, 0.5):.0f} ms; "
        f"under {args.clients} concurrent clients p50 is {percentile(ttft, 0.5) / percentile(alone_ttft, 0.5):.0f}x, "
        f"throughput {len(done) / elapsed:.1f} replies/s"
    )
    frames = sum(result["tokens"] for result in done) + 2 * len(done)
    print(f"replies: {len(done)}/{expected_replies} done, {len(errors)} error frames, {failed_clients} clients failed")
    print(
        f"frames received: {frames} ({frames / elapsed:.0f}/s); lost token frames: {lost_tokens}; "
        f"unexpected extra: {extra_tokens}; unfinished replies: {unfinished}"
    )
    print(
        f"target 0 lost frames: {'met' if lost_tokens == 0 and unfinished == 0 and not failed_clients else 'NOT met'}"
    )
    if errors:
        print("first error:", errors[0]["error"])
    User.objects.filter(username__startswith="bench_ws_").delete()


if __name__ == "__main__":
    main()
