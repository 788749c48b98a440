"""Search relevance on the demo catalogue: NDCG@10 and Recall@10 per method.

    .venv/bin/python bench/search_quality.py            # seeds/embeds its own database first
    EMBEDDED_DB_NAME=other .venv/bin/python bench/search_quality.py

Methods: keyword leg only (kiwipiepy morphemes + vocabulary), semantic leg only (embeddings),
hybrid RRF and hybrid weighted sum (the settings' weights), and a baseline of plain
`to_tsvector('simple', raw text)` against the raw query (no morphemes, no vocabulary).
Relevant rooms come from catalogue facts (bench/search_queries.py); the derived names are kept
in bench/search_quality_labels.json and the run says when the catalogue no longer matches them.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rooms_setup import django_setup, table
from search_queries import QUERIES, SECTIONS

LABELS_PATH = Path(__file__).resolve().parent / "search_quality_labels.json"
K = 10


def relevant(spec, facts: dict) -> bool:
    genres = set(spec.genres)
    checks = [
        ("region", lambda v: spec.region == v),
        ("genres_any", lambda v: bool(genres & set(v))),
        ("genres_none", lambda v: not (genres & set(v))),
        ("settings", lambda v: spec.setting in v),
        ("difficulty_min", lambda v: spec.difficulty >= v),
        ("difficulty_max", lambda v: spec.difficulty <= v),
        ("fear_min", lambda v: spec.fear >= v),
        ("fear_max", lambda v: spec.fear <= v),
        ("players", lambda v: spec.min_players <= v <= spec.max_players),
    ]
    return all(check(facts[key]) for key, check in checks if key in facts)


def ndcg(ranked: list[int], relevant_ids: set[int]) -> float:
    dcg = sum(1 / math.log2(index + 2) for index, room_id in enumerate(ranked[:K]) if room_id in relevant_ids)
    ideal = sum(1 / math.log2(index + 2) for index in range(min(K, len(relevant_ids))))
    return dcg / ideal if ideal else 0.0


def recall(ranked: list[int], relevant_ids: set[int]) -> float:
    # Capped at K: a query with 40 relevant rooms scores 1.0 when all ten results are relevant.
    if not relevant_ids:
        return 0.0
    return len(set(ranked[:K]) & relevant_ids) / min(K, len(relevant_ids))


def baseline_search(query: str) -> list[int]:
    from django.db import connection

    document = (
        "to_tsvector('simple', r.name || ' ' || s.name || ' ' || r.region || ' ' "
        "|| array_to_string(r.genres, ' ') || ' ' || r.description)"
    )
    sql = f"""
        SELECT r.id FROM rooms_room r JOIN rooms_store s ON s.id = r.store_id,
             CAST(replace(plainto_tsquery('simple', %s)::text, ' & ', ' | ') AS tsquery) AS q
        WHERE r.is_active AND q::text <> '' AND {document} @@ q
        ORDER BY ts_rank_cd({document}, q) DESC, r.id
        LIMIT %s
    """  # noqa: S608 - fixed SQL; the query is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, K])
        return [row[0] for row in cursor.fetchall()]


def main() -> int:
    django_setup("escape_ai_bench")
    from django.core.management import call_command

    from demo.catalog import catalogue_build
    from rooms.models import Room
    from rooms.selectors.search import RoomSearchFilters, room_search_hybrid

    started = time.monotonic()
    call_command("seed_catalog", embed="sync")
    catalogue = catalogue_build()
    stores = {store.key: store.name for store in catalogue.stores}
    ids = {
        (store_name, name): room_id
        for room_id, store_name, name in Room.objects.values_list("id", "store__name", "name")
    }
    labels: dict[str, list[str]] = {}
    relevant_ids: dict[str, set[int]] = {}
    for query, facts in QUERIES:
        specs = [spec for spec in catalogue.rooms if relevant(spec, facts)]
        labels[query] = sorted(f"{stores[spec.store_key]} / {spec.name}" for spec in specs)
        relevant_ids[query] = {ids[(stores[spec.store_key], spec.name)] for spec in specs}
    if LABELS_PATH.exists() and json.loads(LABELS_PATH.read_text()) != labels:
        print("note: the catalogue's facts no longer give the stored labels; rewriting", LABELS_PATH.name)
    LABELS_PATH.write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n")
    empty = [query for query, rel in relevant_ids.items() if not rel]
    if empty:
        print("queries without relevant rooms (fix the facts):", empty)
        return 1

    methods = {
        "baseline: to_tsvector('simple', raw)": lambda q: baseline_search(q),
        **{
            label: (
                lambda q, m=method: [
                    hit.room.id for hit in room_search_hybrid(query=q, filters=RoomSearchFilters(), limit=K, method=m)
                ]
            )
            for label, method in (
                ("keyword only (morphemes)", "keyword"),
                ("semantic only (embeddings)", "semantic"),
                ("hybrid RRF", "rrf"),
                ("hybrid weighted sum", "weighted_sum"),
            )
        },
    }
    rows = []
    section_rows = []
    for label, search in methods.items():
        ndcgs, recalls = [], []
        for query, _ in QUERIES:
            ranked = search(query)
            ndcgs.append(ndcg(ranked, relevant_ids[query]))
            recalls.append(recall(ranked, relevant_ids[query]))
        rows.append([label, f"{sum(ndcgs) / len(ndcgs):.3f}", f"{sum(recalls) / len(recalls):.3f}"])
        cells, start = [label], 0
        for _, size in SECTIONS:
            cells.append(f"{sum(ndcgs[start : start + size]) / size:.3f}")
            start += size
        section_rows.append(cells)
    from django.conf import settings

    print(
        f"\n{len(QUERIES)} labelled queries, {len(ids)} rooms; "
        f"weights keyword {settings.ROOMS_SEARCH_KEYWORD_WEIGHT} / "
        f"semantic {settings.ROOMS_SEARCH_SEMANTIC_WEIGHT}, RRF k={settings.ROOMS_SEARCH_RRF_K}, "
        f"candidates per leg {settings.ROOMS_SEARCH_CANDIDATES}\n"
    )
    print(table(["method", "NDCG@10", "Recall@10"], rows))
    print("\nNDCG@10 by kind of query")
    print(table(["method", *(f"{name} ({size})" for name, size in SECTIONS)], section_rows))
    print(f"\n(total {time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
