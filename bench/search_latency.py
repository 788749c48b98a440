"""Search latency and HNSW recall at 1k, 10k and 100k rooms.

    .venv/bin/python bench/search_latency.py                 # 1000 10000 100000
    .venv/bin/python bench/search_latency.py 1000 10000      # fewer scales

Runs in its own database (EMBEDDED_DB_NAME, default `escape_ai_bench_scale`), which it empties
and fills with `seed_catalog --scale N` for each scale (`--reuse` keeps a catalogue of the right
size from the previous run). Embeddings: the local model embeds 15-170 rooms a second on this
shared 2-core machine (printed below), so 100k rooms would take 10 minutes to 2 hours. The bench
embeds 1,000 real room texts once; the 1k catalogue uses those vectors as they are, and the
10k/100k catalogues get vectors mixed from two real ones plus a little noise
(0.7·a + 0.3·b + N(0, 0.05²), normalised): the same dimensionality and a similar spread of
neighbours. Query vectors are always real embeddings of Korean questions.

"hybrid" is `room_search_hybrid` as a request runs it: the semantic leg on a worker thread's
connection while the keyword leg runs (ROOMS_SEARCH_LEG_THREADS); "legs in turn" is the same with
both legs on one connection, one after the other (inside a transaction, or with every worker busy).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rooms_setup import django_setup, percentile, table

SCALES = (1000, 10000, 100000)
QUERIES = (
    "강남에서 무서운 테마",
    "홍대 추리 추천",
    "혜화 감성 테마",
    "서면 호러 방탈출",
    "우주 배경 SF 테마",
    "탐정이 되어 범인을 찾는 테마",
    "유령이 나오는 곳",
    "커플 데이트 로맨스 테마",
    "방린이 추천 쉬운 테마",
    "고인물 고난도 테마",
    "스파이 침투 작전",
    "조선 시대 사극 테마",
    "웃긴 테마 추천",
    "보물 찾는 어드벤처",
    "폐병원 테마",
    "외계인과 로봇이 나오는 테마",
    "눈물 나는 이야기",
    "인질 구출 작전",
    "마법 학교 테마",
    "회사 단체로 갈 만한 테마",
)
REPEATS = 3


def _filters_for(index: int):
    from rooms.selectors.search import RoomSearchFilters
    from rooms.vocabulary import GENRE_NAMES, REGION_NAMES

    # Typical chat filters: a region and a party size, sometimes a genre or a fear ceiling.
    region = REGION_NAMES[index % len(REGION_NAMES)]
    if index % 3 == 0:
        return RoomSearchFilters(region=region, players=4)
    if index % 3 == 1:
        return RoomSearchFilters(region=region, players=2, genres=(GENRE_NAMES[index % len(GENRE_NAMES)],))
    return RoomSearchFilters(region=region, players=3, max_fear=1, difficulty_max=3)


def _reset_catalogue() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE rooms_review, rooms_room, rooms_store RESTART IDENTITY CASCADE")


def _store_vectors(ids: list[int], vectors: list[list[float]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        # Every HNSW index (the whole catalogue's and each region's) is dropped and built again after
        # the vectors are in, as a migration on a full table would build them.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'rooms_room' AND indexdef LIKE '%%USING hnsw%%'"
        )
        hnsw_indexes = cursor.fetchall()
        for name, _ in hnsw_indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for start in range(0, len(ids), 5000):
            chunk_ids = ids[start : start + 5000]
            texts = ["[" + ",".join(f"{x:.6f}" for x in vector) + "]" for vector in vectors[start : start + 5000]]
            cursor.execute(
                "UPDATE rooms_room r SET embedding = d.e::vector, embedding_dirty = false "
                "FROM unnest(%s::bigint[], %s::text[]) AS d(id, e) WHERE r.id = d.id",
                [chunk_ids, texts],
            )
        for _, definition in hnsw_indexes:
            cursor.execute(definition)
        # What autovacuum does within a minute or so of the load: the UPDATE above left a dead version
        # of every row, which every scan skips over until vacuumed (seen: keyword leg 2x slower).
        cursor.execute("VACUUM ANALYZE rooms_room")


def _synthetic_vectors(base: list[list[float]], count: int, seed: int) -> list[list[float]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    base_array = np.asarray(base, dtype=np.float32)
    first = rng.integers(0, len(base_array), size=count)
    second = rng.integers(0, len(base_array), size=count)
    mixed = 0.7 * base_array[first] + 0.3 * base_array[second]
    mixed += rng.normal(0, 0.05, size=mixed.shape).astype(np.float32)
    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
    return mixed.tolist()


def _in_turn(query: str, filters) -> None:
    """Hybrid search with both legs on this connection, one after the other (what a search inside a
    transaction, or one finding every worker busy, does)."""
    from django.test import override_settings

    from rooms.selectors.search import room_search_hybrid

    with override_settings(ROOMS_SEARCH_LEG_THREADS=0):
        room_search_hybrid(query=query, filters=filters)


def _timed(function, repeats: int = REPEATS) -> list[float]:
    samples = []
    for _ in range(repeats):
        begin = time.perf_counter()
        function()
        samples.append((time.perf_counter() - begin) * 1000)
    return samples


def main(scales: tuple[int, ...], reuse: bool = False) -> int:
    django_setup("escape_ai_bench_scale")
    from django.conf import settings
    from django.core.management import call_command

    from demo.catalog import catalogue_build
    from rooms.embeddings import embed_query, embed_texts
    from rooms.models import Room, Store
    from rooms.selectors.search import RoomSearchFilters, keyword_leg, room_search_hybrid, semantic_leg
    from rooms.services import room_embedding_text
    from rooms.text import query_analyze

    # --- real embeddings of 1,000 rooms (built in memory from the catalogue), and the model's throughput ---
    base = catalogue_build(room_count=1000)
    base_stores = {spec.key: Store(name=spec.name, region=spec.region) for spec in base.stores}
    texts = [
        room_embedding_text(
            room=Room(
                name=spec.name,
                store=base_stores[spec.store_key],
                region=spec.region,
                genres=list(spec.genres),
                description=spec.description,
            )
        )
        for spec in base.rooms
    ]
    embed_texts(texts[:8])  # load the model before timing
    begin = time.perf_counter()
    base_vectors = embed_texts(texts)
    embed_seconds = time.perf_counter() - begin
    throughput = len(texts) / embed_seconds
    print(
        f"embedding throughput (local USE, {settings.ROOMS_EMBEDDING_THREADS} threads): {throughput:.0f} rooms/s "
        f"-> 100k rooms would take {100_000 / throughput / 60:.0f} min"
    )
    query_embed_ms = []
    for query in QUERIES:
        begin = time.perf_counter()
        embed_texts([query])
        query_embed_ms.append((time.perf_counter() - begin) * 1000)
    print(
        f"query embedding (uncached): p50 {percentile(query_embed_ms, 0.5):.1f} ms, "
        f"p95 {percentile(query_embed_ms, 0.95):.1f} ms (repeated questions come from an in-process cache)\n"
    )
    query_vectors = {query: embed_query(" ".join([query, *query_analyze(query).canonical_terms])) for query in QUERIES}

    latency_rows, recall_rows = [], []
    for scale in scales:
        started = time.monotonic()
        if reuse and Room.objects.count() == scale and not Room.objects.filter(embedding__isnull=True).exists():
            print(f"{scale:>6} rooms: reusing the catalogue and vectors already in the database")
        else:
            _reset_catalogue()
            call_command("seed_catalog", scale=scale, embed="none")
            seeded = time.monotonic() - started
            ids = list(Room.objects.order_by("id").values_list("id", flat=True))
            vectors = base_vectors if scale == 1000 else _synthetic_vectors(base_vectors, len(ids), seed=scale)
            begin = time.monotonic()
            _store_vectors(ids, vectors)
            indexed = time.monotonic() - begin
            print(f"{scale:>6} rooms: seeded in {seeded:.0f}s, vectors stored and HNSW built in {indexed:.0f}s")

        unfiltered = RoomSearchFilters()
        legs: dict[str, list[float]] = {
            "keyword leg": [],
            "semantic leg": [],
            "hybrid (no filters)": [],
            "hybrid (filters)": [],
            "hybrid, legs in turn (no filters)": [],
            "hybrid, legs in turn (filters)": [],
            "keyword leg (filters)": [],
            "semantic leg (filters)": [],
        }
        candidates = settings.ROOMS_SEARCH_CANDIDATES
        for index, query in enumerate(QUERIES):
            filters = _filters_for(index)
            groups = query_analyze(query).groups
            vector = query_vectors[query]
            room_search_hybrid(query=query, filters=filters)  # warm the analyser's and embedder's caches
            calls = {
                "keyword leg": lambda g=groups, f=unfiltered, n=candidates: keyword_leg(groups=g, filters=f, limit=n),
                "keyword leg (filters)": lambda g=groups, f=filters, n=candidates: keyword_leg(
                    groups=g, filters=f, limit=n
                ),
                "semantic leg": lambda v=vector, f=unfiltered, n=candidates: semantic_leg(vector=v, filters=f, limit=n),
                "semantic leg (filters)": lambda v=vector, f=filters, n=candidates: semantic_leg(
                    vector=v, filters=f, limit=n
                ),
                "hybrid (no filters)": lambda q=query, f=unfiltered: room_search_hybrid(query=q, filters=f),
                "hybrid (filters)": lambda q=query, f=filters: room_search_hybrid(query=q, filters=f),
                "hybrid, legs in turn (no filters)": lambda q=query, f=unfiltered: _in_turn(q, f),
                "hybrid, legs in turn (filters)": lambda q=query, f=filters: _in_turn(q, f),
            }
            for label, call in calls.items():
                legs[label] += _timed(call)
        for label, samples in legs.items():
            latency_rows.append(
                [
                    f"{scale:,}",
                    label,
                    f"{percentile(samples, 0.5):.1f}",
                    f"{percentile(samples, 0.95):.1f}",
                ]
            )

        recalls = {"no filters": [], "filters": []}
        short = 0
        for index, query in enumerate(QUERIES):
            vector = query_vectors[query]
            for kind, filters in (("no filters", unfiltered), ("filters", _filters_for(index))):
                approximate = semantic_leg(vector=vector, filters=filters, limit=10).ids
                exact = semantic_leg(vector=vector, filters=filters, limit=10, exact=True).ids
                if exact:
                    recalls[kind].append(len(set(approximate) & set(exact)) / len(exact))
                if len(approximate) < len(exact):
                    short += 1
        first_vector = query_vectors[QUERIES[0]]
        exact_ms = _timed(lambda v=first_vector, f=unfiltered: semantic_leg(vector=v, filters=f, limit=10, exact=True))
        recall_rows.append(
            [
                f"{scale:,}",
                f"{statistics.mean(recalls['no filters']):.3f}",
                f"{statistics.mean(recalls['filters']):.3f}",
                str(short),
                f"{statistics.median(exact_ms):.1f}",
            ]
        )

    print(
        f"\nlatency in ms, {len(QUERIES)} queries x {REPEATS} runs, {settings.ROOMS_SEARCH_CANDIDATES} candidates "
        "per leg (query vectors cached: their cost is the line above)"
    )
    print(table(["rooms", "what", "p50 ms", "p95 ms"], latency_rows))
    print(f"\nHNSW (m=16, ef_construction=64, ef_search={settings.ROOMS_HNSW_EF_SEARCH}, iterative scan) vs exact scan")
    print(
        table(
            ["rooms", "recall@10 no filters", "recall@10 filters", "short result lists", "exact scan p50 ms"],
            recall_rows,
        )
    )
    return 0


if __name__ == "__main__":
    # --reuse: keep a catalogue of the right size left by the previous run (seeding 100k takes minutes).
    requested = tuple(int(arg) for arg in sys.argv[1:] if arg != "--reuse") or SCALES
    random.seed(0)
    sys.exit(main(requested, reuse="--reuse" in sys.argv))
