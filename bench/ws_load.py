"""WebSocket chat under load against a real server on loopback: a burst, and a steady rate.

    .venv/bin/python bench/ws_load.py [--clients 200] [--messages 2] [--workers N]
    .venv/bin/python bench/ws_load.py --steady [--clients 200] [--rates 25,50,75,100,125,150] [--seconds 20]

Serves the project as `make run` does (uvicorn, one process per core unless --workers, offline `local`
provider) on a free 127.0.0.1 port with a bench database of its own, and signs in one user per client (JWT in
the `token` query parameter); the chat rate limit is raised for the bench (it measures capacity, not the
limit). Every loop is bounded in count and time; traffic goes to 127.0.0.1 only.

Burst (default): every socket opens, then all clients send their messages at once. Prints time to first token
frame p50/p95, whole-reply time, frames per reply, and lost frames: for every reply, token frames expected (the
stored reply cut exactly as the server streams it) minus token frames received, plus replies that never finished.

Steady: the sockets stay open and messages arrive as a Poisson process at each rate in turn, each on an idle
socket. Prints, per rate, first-token p50/p95 and the rate achieved, and the highest rate whose first-token
p95 stays within 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "escape_ai_bench"
os.environ["EMBEDDED_DB_NAME"] = BENCH_DB
os.environ["LLM_PROVIDER"] = "local"

from rooms_setup import django_setup, percentile, table  # noqa: E402
from serve import serving  # noqa: E402

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
FIRST_TOKEN_TARGET_MS = 250
SERVER_ENV = {"THROTTLE_CHAT": "100000/min", "METRICS_JSONL_ENABLED": "false"}


async def ask(ws, payload: dict) -> dict:
    """Send one message and read its frames to the end: first-token and whole-reply times, token frames."""
    sent = time.perf_counter()
    await ws.send(json.dumps(payload, ensure_ascii=False))
    first = None
    tokens = 0
    outcome = {"done": False, "message_id": None, "session_id": None, "error": None}
    async with asyncio.timeout(REPLY_TIMEOUT_S):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "token":
                tokens += 1
                first = first or time.perf_counter()
            elif frame["type"] == "done":
                outcome.update(done=True, message_id=frame["message_id"], session_id=frame["session_id"])
                break
            elif frame["type"] == "error":
                outcome["error"] = frame["message"]
                break
    finished = time.perf_counter()
    return {
        **outcome,
        "tokens": tokens,
        "ttft_ms": (first - sent) * 1000 if first else None,
        "total_ms": (finished - sent) * 1000,
    }


async def chat(url: str, texts: list[str], start: asyncio.Event, origin: str, connected: list[int]) -> list[dict]:
    import websockets

    results = []
    async with websockets.connect(url, origin=origin, max_size=2**22, open_timeout=60) as ws:
        connected[0] += 1
        await start.wait()
        session_id = None
        for text in texts:
            result = await ask(ws, {"message": text, **({"session_id": session_id} if session_id else {})})
            session_id = result["session_id"] or session_id
            results.append(result)
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


async def steady(port: int, tokens: list[str], rates: list[float], seconds: float, seed: int) -> list[dict]:
    """Open sockets; at each rate, Poisson arrivals for `seconds`, each message on an idle socket."""
    import websockets

    origin = f"http://127.0.0.1:{port}"
    sockets = [
        await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/chat/?token={token}", origin=origin, max_size=2**22, open_timeout=60
        )
        for token in tokens
    ]
    rng = random.Random(seed)
    rows = []
    try:
        for rate in rates:
            idle = list(range(len(sockets)))
            rng.shuffle(idle)
            pending: set[asyncio.Task] = set()
            results: list[dict] = []
            skipped = 0

            async def one(index: int, text: str, results=results, idle=idle) -> None:
                try:
                    results.append(await ask(sockets[index], {"message": text}))
                finally:
                    idle.append(index)

            started = time.perf_counter()
            next_at = started
            sent = 0
            while True:
                next_at += rng.expovariate(rate)
                if next_at - started > seconds:
                    break
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                if not idle:
                    skipped += 1  # every socket busy: the server is behind
                    continue
                task = asyncio.create_task(one(idle.pop(), rng.choice(MESSAGES)))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            if pending:
                await asyncio.wait(pending, timeout=REPLY_TIMEOUT_S)
            elapsed = time.perf_counter() - started
            done = [r for r in results if r["done"]]
            ttft = [r["ttft_ms"] for r in done if r["ttft_ms"] is not None]
            rows.append(
                {
                    "rate": rate,
                    "sent": sent,
                    "done": len(done),
                    "errors": sum(1 for r in results if r["error"]),
                    "error_kinds": Counter(r["error"] for r in results if r["error"]),
                    "skipped": skipped,
                    "achieved": len(done) / elapsed,
                    "p50": percentile(ttft, 0.5),
                    "p95": percentile(ttft, 0.95),
                    "reply_p95": percentile([r["total_ms"] for r in done], 0.95),
                }
            )
            await asyncio.sleep(2)  # let the server drain between rates
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return rows


def users_with_tokens(count: int) -> list[str]:
    from accounts.models import User
    from accounts.tokens import tokens_issue

    tokens = []
    for index in range(count):
        user, _ = User.objects.get_or_create(
            username=f"bench_ws_{index}", defaults={"email": f"bench_ws_{index}@example.com"}
        )
        tokens.append(tokens_issue(user=user)["access"])
    return tokens


def burst_report(args, results, failed_clients, elapsed, alone, port, workers) -> None:
    from chat.models import ChatMessage
    from chat.replies import reply_chunks

    expected_replies = args.clients * args.messages
    done = [result for result in results if result["done"]]
    errors = [result for result in results if result["error"]]
    stored = dict(
        ChatMessage.objects.filter(id__in=[result["message_id"] for result in done]).values_list("id", "text")
    )
    expected = {r["message_id"]: len(reply_chunks(stored.get(r["message_id"], ""))) for r in done}
    lost_tokens = sum(max(0, expected[r["message_id"]] - r["tokens"]) for r in done)
    extra_tokens = sum(max(0, r["tokens"] - expected[r["message_id"]]) for r in done)
    unfinished = expected_replies - len(done)
    ttft = [result["ttft_ms"] for result in done if result["ttft_ms"] is not None]
    total = [result["total_ms"] for result in done]
    print(
        f"{args.clients} concurrent WebSocket clients × {args.messages} messages on 127.0.0.1:{port} "
        f"({workers} uvicorn workers, local provider), {elapsed:.1f}s wall"
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
        f"frames received: {frames} ({frames / elapsed:.0f}/s, {frames / max(1, len(done)):.1f} per reply); "
        f"lost token frames: {lost_tokens}; unexpected extra: {extra_tokens}; unfinished replies: {unfinished}"
    )
    print(
        f"target 0 lost frames: {'met' if lost_tokens == 0 and unfinished == 0 and not failed_clients else 'NOT met'}"
    )
    if errors:
        print("first error:", errors[0]["error"])


def steady_report(rows: list[dict], clients: int, seconds: float, workers: int) -> None:
    print(
        f"steady WebSocket chat: {clients} open sockets, Poisson arrivals, {seconds:.0f}s per rate, "
        f"{workers} uvicorn workers, local provider"
    )
    print(
        table(
            [
                "rate msg/s",
                "sent",
                "done",
                "errors",
                "no idle socket",
                "achieved/s",
                "first token p50",
                "p95",
                "reply p95",
            ],
            [
                [
                    f"{r['rate']:g}",
                    r["sent"],
                    r["done"],
                    r["errors"],
                    r["skipped"],
                    f"{r['achieved']:.1f}",
                    f"{r['p50']:.0f}",
                    f"{r['p95']:.0f}",
                    f"{r['reply_p95']:.0f}",
                ]
                for r in rows
            ],
        )
    )
    for r in rows:
        for message, count in r["error_kinds"].most_common():
            print(f"error frames at {r['rate']:g} msg/s: {count} × {message}")
    within = [r for r in rows if r["p95"] <= FIRST_TOKEN_TARGET_MS and not r["errors"] and not r["skipped"]]
    best = max((r["rate"] for r in within), default=None)
    print(
        f"highest rate with first-token p95 ≤ {FIRST_TOKEN_TARGET_MS} ms: "
        + (f"{best:g} msg/s" if best is not None else "none of the rates tried")
        + f"; target ≥ 100 msg/s: {'met' if best is not None and best >= 100 else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=2, help="burst: messages per client, one after another")
    parser.add_argument("--workers", type=int, default=None, help="web processes (default: the number of cores)")
    parser.add_argument("--steady", action="store_true", help="steady Poisson arrivals instead of a burst")
    parser.add_argument("--rates", default="25,50,75,100,125,150", help="steady: messages per second, in turn")
    parser.add_argument("--seconds", type=float, default=20.0, help="steady: seconds per rate")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rates = [float(part) for part in args.rates.split(",") if part.strip()]
    if not 1 <= args.clients <= 1000 or not 1 <= args.messages <= 20 or any(not 0 < r <= 1000 for r in rates):
        raise SystemExit("clients 1-1000, messages 1-20, rates 0-1000 per second")

    django_setup(BENCH_DB)
    from django.core.management import call_command

    from accounts.models import User
    from rooms.services import rooms_embed_dirty

    call_command("seed_catalog", verbosity=0)
    while rooms_embed_dirty(batch_size=128):
        pass
    tokens = users_with_tokens(args.clients)
    try:
        with serving(database=BENCH_DB, workers=args.workers, env=SERVER_ENV) as server:
            if args.steady:
                rows = asyncio.run(steady(server.port, tokens, rates, args.seconds, args.seed))
                steady_report(rows, args.clients, args.seconds, server.workers)
                return
            # Baseline in the same run: one client alone, the same messages one after another.
            alone, _, _ = asyncio.run(load(server.port, tokens[:1], len(MESSAGES)))
            results, failed_clients, elapsed = asyncio.run(
                asyncio.wait_for(load(server.port, tokens, args.messages), RUN_TIMEOUT_S)
            )
        burst_report(args, results, failed_clients, elapsed, alone, server.port, server.workers)
    finally:
        User.objects.filter(username__startswith="bench_ws_").delete()


if __name__ == "__main__":
    main()
