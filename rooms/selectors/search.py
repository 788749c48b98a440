"""The one hybrid room search: a morpheme keyword leg and an embedding leg, fused.

Filters apply inside both legs (not after fusion), so a filtered query still fills its limit:
the keyword leg filters in its WHERE clause, the semantic leg walks the HNSW index with
`hnsw.iterative_scan` until enough rows pass the filters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from rooms.models import Room
from rooms.text import query_analyze

logger = logging.getLogger(__name__)

METHODS = ("rrf", "weighted_sum", "keyword", "semantic")
# Search results never need these (a 512-float vector and the tsvector): not fetched with the hits.
_HEAVY_FIELDS = ("embedding", "search_vector")


@dataclass(frozen=True)
class RoomSearchFilters:
    region: str | None = None
    genres: tuple[str, ...] = ()  # any-of
    exclude_genres: tuple[str, ...] = ()
    players: int | None = None  # min_players <= players <= max_players
    difficulty_min: int | None = None
    difficulty_max: int | None = None
    max_price: int | None = None
    max_fear: int | None = None


@dataclass(frozen=True)
class RoomSearchHit:
    room: Room
    score: float
    keyword_rank: int | None
    semantic_rank: int | None


@dataclass
class _Leg:
    ids: list[int] = field(default_factory=list)
    scores: dict[int, float] = field(default_factory=dict)

    def ranks(self) -> dict[int, int]:
        return {room_id: rank for rank, room_id in enumerate(self.ids, start=1)}


def filters_sql(filters: RoomSearchFilters) -> tuple[str, list]:
    """WHERE conditions (always active rooms only) and their parameters, shared by every leg."""
    conditions = ["r.is_active"]
    params: list = []
    if filters.region:
        conditions.append("r.region = %s")
        params.append(filters.region)
    if filters.genres:
        conditions.append("r.genres && %s::varchar[]")
        params.append(list(filters.genres))
    if filters.exclude_genres:
        conditions.append("NOT (r.genres && %s::varchar[])")
        params.append(list(filters.exclude_genres))
    if filters.players is not None:
        conditions.append("r.min_players <= %s AND r.max_players >= %s")
        params += [filters.players, filters.players]
    if filters.difficulty_min is not None:
        conditions.append("r.difficulty >= %s")
        params.append(filters.difficulty_min)
    if filters.difficulty_max is not None:
        conditions.append("r.difficulty <= %s")
        params.append(filters.difficulty_max)
    if filters.max_price is not None:
        conditions.append("r.price <= %s")
        params.append(filters.max_price)
    if filters.max_fear is not None:
        conditions.append("r.fear <= %s")
        params.append(filters.max_fear)
    return " AND ".join(conditions), params


def tsquery_text(terms: tuple[str, ...] | list[str], weights: str = "") -> str:
    """An OR tsquery over analysed terms; each is quoted as a lexeme, so no operator gets through.

    weights ("A", "AB"): match the lexeme only where it carries one of those weights (name; genres, region, store).
    """
    suffix = f":{weights}" if weights else ""
    lexemes = []
    for term in terms:
        cleaned = term.replace("'", "").replace("\\", "").strip()
        if cleaned:
            lexemes.append("'" + cleaned + "'" + suffix)
    return " | ".join(lexemes)


MAX_QUERY_GROUPS = 8


def keyword_leg(*, groups: tuple[tuple[str, ...], ...], filters: RoomSearchFilters, limit: int) -> _Leg:
    """Rooms matching any query word, ranked by how many of the words they match, then `ts_rank_cd`.

    Counting matched words first (Lucene's coordination factor) keeps a room that says "강남" and
    "공포" above one that says "강남" five times. Rooms matching every word are looked up first
    (a small, cheap set); only when they do not fill the limit are rooms matching any word ranked,
    which gives the same order, since matching every word is the top tier.
    """
    leg = _Leg()
    texts = [(tsquery_text(group), group) for group in groups]
    texts = [(text, group) for text, group in texts if text][:MAX_QUERY_GROUPS]
    if not texts:
        return leg
    group_queries = [text for text, _ in texts]
    where, params = filters_sql(filters)
    # Every tsquery is a function in FROM, parsed once per query (in the SELECT list it would be per row).
    group_tables = ", ".join(f"to_tsquery('simple', %s) g{index}" for index in range(len(group_queries)))
    matched = " + ".join(f"(r.search_vector @@ g{index})::int" for index in range(len(group_queries)))
    # A broad word matches ~15% of a big catalogue, and ts_rank_cd (cover density over every position)
    # is the costly part: only the best ROOMS_KEYWORD_RANK_MAX_ROWS by a cheap pre-ranking get it.
    # The pre-ranking follows what ts_rank_cd rewards: words matched, then a match in the name
    # (weight A), then in genres/region/store (B), then shorter documents (normalisation 1).
    # With fewer matches than the cap (the demo catalogue) every match is ranked, as before.
    name_query = " | ".join(tsquery_text(group, "A") for _, group in texts)
    facts_query = " | ".join(tsquery_text(group, "AB") for _, group in texts)
    # ts_rank_cd normalisation 1 divides by 1 + log(document length): long descriptions do not win by volume.
    sql = f"""
        SELECT id, matched, rank FROM (
            SELECT c.id, c.rating, c.matched, ts_rank_cd(c.search_vector, q, 1) AS rank
            FROM (
                SELECT r.id, r.rating, r.search_vector, {matched} AS matched
                FROM rooms_room r, to_tsquery('simple', %s) q, {group_tables},
                    to_tsquery('simple', %s) name_q, to_tsquery('simple', %s) facts_q
                WHERE r.search_vector @@ q AND {where}
                ORDER BY matched DESC, (r.search_vector @@ name_q) DESC, (r.search_vector @@ facts_q) DESC,
                    length(r.search_vector), r.id
                LIMIT %s
            ) c, to_tsquery('simple', %s) q
        ) ranked
        ORDER BY matched DESC, rank DESC, rating DESC, id
        LIMIT %s
    """  # noqa: S608 - the conditions are fixed strings; every value is a parameter
    every = " & ".join(f"({text})" for text in group_queries)
    any_ = " | ".join(f"({text})" for text in group_queries)
    attempts = [every, any_] if len(group_queries) > 1 else [any_]
    cap = max(limit, settings.ROOMS_KEYWORD_RANK_MAX_ROWS)
    with connection.cursor() as cursor:
        for tsquery in attempts:
            cursor.execute(
                sql,
                [tsquery, *group_queries, name_query, facts_query, *params, cap, tsquery, limit],
            )
            rows = cursor.fetchall()
            if len(rows) >= limit:
                break
    # The score orders as the query did: words matched, then ts_rank_cd squashed into [0, 1). (Written
    # as one SQL expression, the planner would inline `rank` twice and run ts_rank_cd twice a row.)
    for room_id, matched, rank in rows:
        leg.ids.append(room_id)
        leg.scores[room_id] = matched + rank / (1 + rank)
    return leg


def semantic_leg(
    *,
    vector: list[float],
    filters: RoomSearchFilters,
    limit: int,
    exact: bool = False,
    ef_search: int | None = None,
    explain: bool = False,
):
    """Nearest rooms by cosine distance. `exact=True` scans without the index (the bench's ground truth)."""
    leg = _Leg()
    where, params = filters_sql(filters)
    vector_text = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
    # relaxed_order lets the index keep scanning past filtered-out rows; the outer ORDER BY
    # restores exact distance order among what it found.
    sql = f"""
        WITH candidates AS MATERIALIZED (
            SELECT r.id, r.embedding <=> %s::vector AS distance
            FROM rooms_room r
            WHERE r.embedding IS NOT NULL AND {where}
            ORDER BY r.embedding <=> %s::vector
            LIMIT %s
        )
        SELECT id, distance FROM candidates ORDER BY distance, id
    """  # noqa: S608 - the conditions are fixed strings; every value is a parameter
    with transaction.atomic(), connection.cursor() as cursor:
        # A region has a graph of its own (`rooms_room_hnsw_<region>`): the walk stays in the region
        # and the iterative scan fills the limit past the other filters. Without a region, a selective
        # filter leaves few rooms: comparing them all is exact and as quick as walking the big graph
        # past thousands of rooms the filter rejects (a bounded count decides).
        if not exact and not filters.region and where != "r.is_active" and settings.ROOMS_EXACT_SCAN_MAX_ROWS > 0:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM rooms_room r WHERE r.embedding IS NOT NULL AND {where} "  # noqa: S608
                "LIMIT %s) s",
                [*params, settings.ROOMS_EXACT_SCAN_MAX_ROWS + 1],
            )
            exact = cursor.fetchone()[0] <= settings.ROOMS_EXACT_SCAN_MAX_ROWS
        if exact:
            cursor.execute("SET LOCAL enable_indexscan = off")
        else:
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            cursor.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search or settings.ROOMS_HNSW_EF_SEARCH)}")
        if explain:  # the plan, for tests that check the index is used
            cursor.execute("EXPLAIN " + sql, [vector_text, *params, vector_text, limit])
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(sql, [vector_text, *params, vector_text, limit])
        for room_id, distance in cursor.fetchall():
            leg.ids.append(room_id)
            leg.scores[room_id] = 1.0 - float(distance)
    return leg


def _fuse_rrf(legs: list[tuple[_Leg, float]], k: int) -> dict[int, float]:
    scores: dict[int, float] = {}
    for leg, weight in legs:
        for rank, room_id in enumerate(leg.ids, start=1):
            scores[room_id] = scores.get(room_id, 0.0) + weight / (k + rank)
    return scores


def _fuse_weighted_sum(legs: list[tuple[_Leg, float]]) -> dict[int, float]:
    """Min-max normalise each leg's scores to [0, 1], then add them with their weights."""
    scores: dict[int, float] = {}
    for leg, weight in legs:
        if not leg.scores:
            continue
        low, high = min(leg.scores.values()), max(leg.scores.values())
        span = high - low
        for room_id, value in leg.scores.items():
            normalised = (value - low) / span if span > 0 else 1.0
            scores[room_id] = scores.get(room_id, 0.0) + weight * normalised
    return scores


def _filters_only(*, filters: RoomSearchFilters, limit: int) -> list[RoomSearchHit]:
    where, params = filters_sql(filters)
    sql = f"SELECT r.id FROM rooms_room r WHERE {where} ORDER BY r.rating DESC, r.review_count DESC, r.id LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        ids = [row[0] for row in cursor.fetchall()]
    rooms = Room.objects.select_related("store").defer(*_HEAVY_FIELDS).in_bulk(ids)
    return [
        RoomSearchHit(room=rooms[room_id], score=float(rooms[room_id].rating), keyword_rank=None, semantic_rank=None)
        for room_id in ids
    ]


def room_search_hybrid(
    *, query: str, filters: RoomSearchFilters, limit: int = 10, method: str | None = None
) -> list[RoomSearchHit]:
    """Active rooms matching `filters`, best first for `query`.

    method: "rrf" (default setting) or "weighted_sum" fuse both legs; "keyword" and "semantic"
    run one leg alone (the bench compares them). Genres the query negates ("안 무서운",
    "공포 빼고") join `exclude_genres`. An empty query ranks the filtered rooms by rating.
    """
    method = method or settings.ROOMS_SEARCH_METHOD
    if method not in METHODS:
        raise ValueError(f"unknown search method {method!r}")
    query = (query or "").strip()
    if not query:
        return _filters_only(filters=filters, limit=limit)

    analysis = query_analyze(query)
    if analysis.negated_genres:
        excluded = tuple(dict.fromkeys((*filters.exclude_genres, *analysis.negated_genres)))
        filters = RoomSearchFilters(**{**filters.__dict__, "exclude_genres": excluded})

    candidates = max(limit, settings.ROOMS_SEARCH_CANDIDATES)
    keyword = _Leg()
    semantic = _Leg()
    if method != "semantic":
        keyword = keyword_leg(groups=analysis.groups, filters=filters, limit=candidates)
    if method != "keyword":
        from rooms.embeddings import embed_query

        # The embedding model reads "혜화" or "호러" less surely than the vocabulary does: the query
        # text it embeds carries the canonical names too, and a single region the query names
        # scopes this leg (it cannot rank places; the keyword leg still sees every region).
        semantic_text = " ".join([query, *(name for name in analysis.canonical_terms if name not in query)])
        semantic_filters = filters
        if filters.region is None and len(analysis.regions) == 1:
            semantic_filters = RoomSearchFilters(**{**filters.__dict__, "region": analysis.regions[0]})
        try:
            vector = embed_query(semantic_text)
        except Exception:  # an embedding API down or slow: answer from the keyword leg alone
            logger.warning("query embedding failed; keyword results only", exc_info=True)
        else:
            semantic = semantic_leg(vector=vector, filters=semantic_filters, limit=candidates)

    keyword_weight = settings.ROOMS_SEARCH_KEYWORD_WEIGHT
    semantic_weight = settings.ROOMS_SEARCH_SEMANTIC_WEIGHT
    if method == "keyword":
        scores = dict(keyword.scores)
    elif method == "semantic":
        scores = dict(semantic.scores)
    elif method == "rrf":
        scores = _fuse_rrf([(keyword, keyword_weight), (semantic, semantic_weight)], settings.ROOMS_SEARCH_RRF_K)
    else:
        scores = _fuse_weighted_sum([(keyword, keyword_weight), (semantic, semantic_weight)])

    keyword_ranks = keyword.ranks()
    semantic_ranks = semantic.ranks()
    ordered = sorted(scores, key=lambda room_id: (-scores[room_id], room_id))[:limit]
    rooms = Room.objects.select_related("store").defer(*_HEAVY_FIELDS).in_bulk(ordered)
    return [
        RoomSearchHit(
            room=rooms[room_id],
            score=round(scores[room_id], 6),
            keyword_rank=keyword_ranks.get(room_id),
            semantic_rank=semantic_ranks.get(room_id),
        )
        for room_id in ordered
        if room_id in rooms
    ]
