"""One chat message end to end with the offline `local` provider, on the demo catalogue; and LLM streaming.

    .venv/bin/python bench/chat_pipeline.py [--messages 300] [--stream-runs 40] [--profile]

Seeds the catalogue (`seed_catalog`, deterministic, idempotent) and embeds it in a bench database of its own,
then sends messages through `conversation_reply` (NLU → dialogue state → hybrid search → template reply →
stored messages and buffered events: everything but HTTP) and prints p50/p95 against the target (p95 ≤ 15 ms),
the same figures for the search step alone (the baseline measured in the same run; target p95 ≤ 5 ms), and NLU
messages per second. `--profile` adds the top of a cProfile of the turns (where a turn's CPU goes).

Streaming: replies from a LangChain fake streaming model (a piece every 2 ms) through `conversation_stream`; prints
the time from the moment the model finished its first sentence to the first token frame (target p95 ≤ 20 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["LLM_PROVIDER"] = "local"  # the figure is the offline pipeline's, whatever the shell says

from rooms_setup import django_setup, percentile, table

TARGET_P95_MS = 15.0
SEARCH_TARGET_P95_MS = 5.0
STREAM_TARGET_P95_MS = 20.0
# Turns as people type them; each conversation runs `TURNS_PER_SESSION` of them in one session.
MESSAGES = [
    "강남에서 3명이 할 만한 안 무서운 테마",
    "홍대 추리 추천",
    "방린이 둘이 갈 만한 곳",
    "고인물 넷 고난도 스릴러",
    "홍대에서 둘이 할 만한 추리 테마",
    "공포로 4명",
    "공포 말고",
    "건대 코믹 셋이서",
    "horror room in Gangnam for 4",
    "대학로 감성 테마 2만5천원 이하",
    "잠실에서 다섯 명 모험",
    "부산 서면 공포 넷이",
    "신촌 커플 로맨스",
    "성수 미스터리 추천해줘",
    "무서운 건 싫어 강남 4인",
    "방탈출 초보인데 팁 있어?",
    "폐병원 지하 3층 몇 분짜리야?",
    "수원 SF 테마 4명",
    "인천 추리 고난도",
    "대전 둘이 감성",
]
TURNS_PER_SESSION = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--nlu-seconds", type=float, default=3.0)
    parser.add_argument("--stream-runs", type=int, default=40)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the turns")
    args = parser.parse_args()

    django_setup()
    from django.core.management import call_command

    from accounts.models import User
    from chat.nlu.local import local_analyze
    from chat.services import conversation_reply
    from rooms.models import Room
    from rooms.selectors.search import room_search_hybrid
    from rooms.services import rooms_embed_dirty

    call_command("seed_catalog", verbosity=0)
    while rooms_embed_dirty(batch_size=128):
        pass
    rooms = Room.objects.filter(is_active=True).count()
    embedded = Room.objects.filter(is_active=True, embedding__isnull=False).count()
    user, _ = User.objects.get_or_create(username="bench_chat", defaults={"email": "bench_chat@example.com"})

    def run(count: int) -> tuple[list[float], dict[str, int]]:
        latencies: list[float] = []
        intents: dict[str, int] = {}
        session_id = None
        for index in range(count):
            if index % TURNS_PER_SESSION == 0:
                session_id = None
            started = time.perf_counter()
            result = conversation_reply(user=user, session_id=session_id, text=MESSAGES[index % len(MESSAGES)])
            latencies.append((time.perf_counter() - started) * 1000)
            session_id = result.session.id
            intents[result.intent] = intents.get(result.intent, 0) + 1
        return latencies, intents

    run(len(MESSAGES))  # warm-up: Kiwi, the sentence encoder, connections
    latencies, intents = run(args.messages)
    profile_text = ""
    if args.profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        run(args.messages)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        profile_text = out.getvalue()
    stream_gaps = stream_first_sentence_gaps(user=user, runs=args.stream_runs)

    # Baseline: the hybrid search alone on the same kind of query (keyword + semantic legs, fusion).
    from chat.dialogue import state_empty, state_filters, state_update

    search_ms: list[float] = []
    for index in range(args.messages):
        text = MESSAGES[index % len(MESSAGES)]
        state = state_update(state=state_empty(), analysis=local_analyze(text), text=text).state
        started = time.perf_counter()
        room_search_hybrid(query=text, filters=state_filters(state), limit=3)
        search_ms.append((time.perf_counter() - started) * 1000)

    analysed = 0
    started = time.perf_counter()
    while time.perf_counter() - started < args.nlu_seconds:
        local_analyze(MESSAGES[analysed % len(MESSAGES)])
        analysed += 1
    nlu_rate = analysed / (time.perf_counter() - started)

    p50, p95 = percentile(latencies, 0.50), percentile(latencies, 0.95)
    s50, s95 = percentile(search_ms, 0.50), percentile(search_ms, 0.95)
    print(f"catalogue: {rooms} active rooms ({embedded} embedded); {args.messages} messages; intents {intents}")
    print(
        table(
            ["step", "p50 ms", "p95 ms", "mean ms", "max ms"],
            [
                [
                    "message end to end (local)",
                    f"{p50:.1f}",
                    f"{p95:.1f}",
                    f"{statistics.fmean(latencies):.1f}",
                    f"{max(latencies):.1f}",
                ],
                [
                    "hybrid search alone (baseline)",
                    f"{s50:.1f}",
                    f"{s95:.1f}",
                    f"{statistics.fmean(search_ms):.1f}",
                    f"{max(search_ms):.1f}",
                ],
            ],
        )
    )
    print(f"end to end / search alone at p95: {p95 / s95:.2f}x")
    print(f"NLU (local): {nlu_rate:.0f} messages/s")
    met = "met" if p95 <= TARGET_P95_MS else "NOT met"
    print(f"target end to end p95 <= {TARGET_P95_MS:.0f} ms: {met} ({p95:.1f} ms)")
    print(
        f"target search alone p95 <= {SEARCH_TARGET_P95_MS:.0f} ms: "
        f"{'met' if s95 <= SEARCH_TARGET_P95_MS else 'NOT met'} ({s95:.1f} ms)"
    )
    g50, g95 = percentile(stream_gaps, 0.50), percentile(stream_gaps, 0.95)
    print(
        f"LLM streaming, model's first finished sentence → first token frame ({len(stream_gaps)} replies): "
        f"p50 {g50:.1f} ms, p95 {g95:.1f} ms; target p95 <= {STREAM_TARGET_P95_MS:.0f} ms: "
        f"{'met' if g95 <= STREAM_TARGET_P95_MS else 'NOT met'}"
    )
    if profile_text:
        print("\ncProfile of the turns, top 15 by own time:")
        print(profile_text)
    user.delete()  # its sessions and messages go with it


def stream_first_sentence_gaps(*, user, runs: int) -> list[float]:
    """Per reply: ms from the fake model yielding the end of its first sentence to the first token frame."""
    import asyncio
    import re

    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk

    from chat.llm.providers import chat_model_override
    from chat.services import conversation_stream
    from rooms.models import Room

    marks: dict[str, float] = {}

    class StreamingModel(GenericFakeChatModel):
        """Answers the NLU with a recorded tool call and streams the reply a piece every 2 ms, noting when the
        first sentence's last character went out."""

        def bind_tools(self, tools, *, tool_choice=None, **kwargs):
            return self

        async def _astream(self, messages, stop=None, run_manager=None, **kwargs):
            message = self._generate(messages, stop=stop, **kwargs).generations[0].message
            for piece in re.split(r"(\s)", message.content):
                if piece:
                    await asyncio.sleep(0.002)
                    if "first" not in marks and re.search(r"[.!?]$", piece):
                        marks["first"] = time.perf_counter()
                    yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    room = Room.objects.filter(is_active=True, region="홍대", genres__contains=["추리"]).first()
    nlu = AIMessage(
        content="",
        tool_calls=[
            {
                "name": "MessageAnalysis",
                "args": {"intent": "room_recommendation", "entities": {"region": "홍대", "genres": ["추리"]}},
                "id": "call_1",
            }
        ],
    )
    reply = f"홍대라면 [room:{room.id}]가 잘 맞아요. 추리 장치가 많고 평점도 높아요. 둘이서도 충분히 풀 수 있어요."

    async def one() -> float:
        marks.clear()
        model = StreamingModel(messages=iter([nlu, AIMessage(content=reply)]))
        with chat_model_override(model, provider="openai", model_name="gpt-4o-mini"):
            async for frame in conversation_stream(user=user, session_id=None, text="홍대 추리"):
                if frame["type"] == "token":
                    return (time.perf_counter() - marks["first"]) * 1000
        raise RuntimeError("no token frame")

    gaps = []
    for _ in range(runs):
        gaps.append(asyncio.run(one()))
    return gaps


if __name__ == "__main__":
    main()
