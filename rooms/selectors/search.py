"""The one hybrid room search: a morpheme keyword leg and an embedding leg, fused.

Filters apply inside both legs (not after fusion), so a filtered query still fills its limit:
the keyword leg filters in its WHERE clause, the semantic leg walks the HNSW index with
`hnsw.iterative_scan` until enough rows pass the filters.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone

from rooms.models import Room
from rooms.text import QueryAnalysis, query_analyze

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
    min_fear: int | None = None
    min_activity: int | None = None
    max_activity: int | None = None
    exclude_ids: tuple[int, ...] = ()  # rooms already shown ("다른 거"), played by the user or their party
    # A time window (aware datetimes; either may be None, both None = no window): only rooms with an open,
    # live slot starting in [available_from, available_to). A window that began in the past starts now.
    available_from: datetime | None = None
    available_to: datetime | None = None


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
    if filters.min_fear is not None:
        conditions.append("r.fear >= %s")
        params.append(filters.min_fear)
    if filters.min_activity is not None:
        conditions.append("r.activity >= %s")
        params.append(filters.min_activity)
    if filters.max_activity is not None:
        conditions.append("r.activity <= %s")
        params.append(filters.max_activity)
    if filters.exclude_ids:
        conditions.append("NOT (r.id = ANY(%s::bigint[]))")
        params.append(list(filters.exclude_ids))
    window = slot_window_bounds(filters)
    if window is not None:
        # Read per room through the partial index `rooms_slot_open_room_time` (room, starts_at; open, live).
        start, end = window
        slot = "s.room_id = r.id AND s.status = 'open' AND NOT s.archived AND s.starts_at >= %s"
        params.append(start)
        if end is not None:
            slot += " AND s.starts_at < %s"
            params.append(end)
        conditions.append(f"EXISTS (SELECT 1 FROM rooms_timeslot s WHERE {slot})")  # noqa: S608 - fixed strings
    return " AND ".join(conditions), params


def slot_window_bounds(filters: RoomSearchFilters) -> tuple[datetime, datetime | None] | None:
    """The filters' window as searched, or None without one: it never starts before now (a slot that has
    started cannot be booked); no end is no end."""
    if filters.available_from is None and filters.available_to is None:
        return None
    now = timezone.now()
    start = max(filters.available_from, now) if filters.available_from is not None else now
    return start, filters.available_to


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


# The tiers of the keyword leg's candidates: the name's words (weight A), the name's, genres',
# region's and store's words (A and B), every word. Each is a subset of the next. A tier is read one
# of two ways:
# - its GIN index (migration 0003, over a ts_filter expression): every match, then the best-rated;
# - a walk of the rating index, testing the weighted tsquery ('작전':A, cheap) row by row until the
#   tier has its candidates. One walk serves every walked tier.
@dataclass(frozen=True)
class _Tier:
    weights: str  # of its tsquery lexemes: "A" ('작전':A), "AB", "" (any)
    vector: str  # the expression its GIN index is over
    has_facts: bool  # whether that vector holds the weight B words (genres, region, store)


_TIERS = (
    _Tier("A", "ts_filter(r.search_vector, '{a}')", has_facts=False),
    _Tier("AB", "ts_filter(r.search_vector, '{a,b}')", has_facts=True),
    _Tier("", "r.search_vector", has_facts=True),
)


def _filter_words(filters: RoomSearchFilters) -> str:
    """The region and genre filters as words of a room's text (weight B: every room carries its own).

    ANDed into the tsquery a tier's GIN index reads (the tiers with weight B), they narrow what it
    returns to about the filters' rooms: the planner, taking words as independent, expects few
    matches of several words and would not AND the region's index, and then reads thousands of rows
    for "눈물 나는 이야기" in one region. The columns are still checked, so a word met elsewhere
    (a description saying "강남") lets nothing through.
    """
    words = []
    if filters.region:
        words.append(f"({tsquery_text([filters.region])})")
    if filters.genres:
        words.append(f"({tsquery_text([genre.lower() for genre in filters.genres])})")
    return " & ".join(words)


# Among many equal matches the best-rated come first: the order of `rooms_room_rating_order`.
_PRIOR_ORDER = "r.rating DESC, r.review_count DESC, r.id"
# The rooms a block sample reads to tell how many match (about a millisecond at any size).
_SAMPLE_ROOMS = 400


def _sampled_matches(cursor, tier_queries: list[str], where: str, params: list) -> tuple[float, int, list[int]]:
    """The room count, the rooms sampled, and how many of them each tier query matches within the filters.

    Counted on a fixed block sample, not asked of the planner: it takes words as independent, and
    words that come together ("고인물", "난도") match ten times more rooms than it expects, words that
    do not, fewer.
    """
    # Every tier query's matches are among the widest query's (the last): the narrower ones are tested
    # only on its matches, a few percent of the rows.
    counts = ", ".join(
        "count(*) FILTER (WHERE s.m AND s.search_vector @@ to_tsquery('simple', %s))" for _ in tier_queries
    )
    rooms = "(SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'rooms_room'::regclass)"
    cursor.execute(
        f"SELECT {rooms}, count(*), {counts} FROM (SELECT r.search_vector, "  # noqa: S608
        f"({where} AND r.search_vector @@ to_tsquery('simple', %s)) AS m FROM rooms_room r "
        f"TABLESAMPLE SYSTEM ((SELECT least(100, 100.0 * %s / greatest({rooms}, 1)))) REPEATABLE (0)) s",
        [*tier_queries, *params, tier_queries[-1], _SAMPLE_ROOMS],
    )
    rooms, sampled, *found = cursor.fetchone()
    return rooms, sampled, found


def _first_walked_tier(found: list[int], sampled: int, rooms: float, cap: int) -> int:
    """Which tiers to walk (this index onwards; len(found): none), for the fewest rows read.

    `found`: each tier's matches among `sampled` rooms. Reading a tier from its GIN index reads every
    match (share x rooms rows). One walk serves every tier from the one it starts at and reads until
    the narrowest of them has `cap`: cap / share rows, or the whole index when it has fewer matches.
    A row costs about the same either way (measured), but a walk costs more the smaller the share,
    so it is costed at a low estimate of the share (two standard deviations of the sample's count
    below): a walk is taken when it surely pays. "인질 구출 작전" (its words in 3 % of the names and
    13 % of the rooms) reads the name and facts tiers from their indexes and walks the rest.
    """
    if rooms <= cap or not sampled:  # small catalogues read their indexes (a walk would read it all)
        return len(found)

    def walk(count: int) -> float:
        low_share = max(count - 2 * math.sqrt(count), 0.0) / sampled
        return rooms if low_share * rooms <= cap else cap / low_share

    costs = [
        sum(found[:first]) / sampled * rooms + (walk(found[first]) if first < len(found) else 0.0)
        for first in range(len(found) + 1)
    ]
    return costs.index(min(costs))


def _bitmap_read(*, vector: str, where: str, cap: int) -> str:
    """A tier's best-rated `cap` from every match its GIN index finds (ANDed with the filters' indexes).

    OFFSET 0 keeps the ORDER BY out of the reading: otherwise the planner may walk the rating index
    when it expects many matches, and read the whole index when they are few.
    """
    return (
        "(SELECT r.id, r.rating, r.search_vector FROM (SELECT r.id, r.rating, r.review_count, r.search_vector "  # noqa: S608
        f"FROM rooms_room r WHERE {where} AND {vector} @@ to_tsquery('simple', %s) OFFSET 0) r "
        f"ORDER BY {_PRIOR_ORDER} LIMIT {cap:d})"
    )


def _walk_read(*, tiers: int, where: str, cap: int) -> str:
    """The best-rated `cap` of each of the last `tiers` tiers, in one walk of the rating index.

    The walk reads the rows matching the widest tier (every word) in rating order; a running count
    of each narrower tier's matches stops it (PostgreSQL's window run condition) once the narrowest
    has `cap`, which it would have read anyway. `IS TRUE` hides the conditions from every index (the
    GIN ones, and the filters', which the planner would rather read whole when it expects few matches).
    Parameters: the narrower tiers' tsqueries, the filters', the widest tier's tsquery.
    """
    flags = "".join(f", r.search_vector @@ to_tsquery('simple', %s) AS in{index}" for index in range(tiers - 1))
    counts = [f"count(CASE WHEN w.in{index} THEN 1 END) OVER o AS n{index}" for index in range(tiers - 1)]
    counts.append(f"row_number() OVER o AS n{tiers - 1}")
    keep = [f"(w.in{index} AND w.n{index} <= {cap:d})" for index in range(tiers - 1)]
    keep.append(f"w.n{tiers - 1} <= {cap:d}")
    return f"""(SELECT w.id, w.rating, w.search_vector FROM (
            SELECT w.*, {", ".join(counts)} FROM (
                SELECT r.id, r.rating, r.review_count, r.search_vector{flags} FROM rooms_room r
                WHERE ({where} AND r.search_vector @@ to_tsquery('simple', %s)) IS TRUE ORDER BY {_PRIOR_ORDER}
            ) w
            WINDOW o AS (ORDER BY w.rating DESC, w.review_count DESC, w.id ROWS UNBOUNDED PRECEDING)
        ) w WHERE w.n0 <= {cap:d} AND ({" OR ".join(keep)}))"""  # noqa: S608


# How long a process trusts its count of the catalogue (it decides the small-catalogue path below).
_CATALOGUE_COUNT_SECONDS = 60.0
_catalogue_count: tuple[float, int] | None = None


def catalogue_small() -> bool:
    """Whether the catalogue has at most ROOMS_SMALL_CATALOGUE_ROWS rooms. Then reading every match is cheaper
    than choosing how to read: the keyword leg reads its tiers' indexes with no block sample and no planner
    settings, and the semantic leg compares every room exactly; each leg is one statement, outside a
    transaction. Counted at most once a minute per process (catalogue writes forget the count)."""
    global _catalogue_count
    if settings.ROOMS_SMALL_CATALOGUE_ROWS <= 0:
        return False
    now = time.monotonic()
    counted = _catalogue_count
    if counted is None or now - counted[0] > _CATALOGUE_COUNT_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM rooms_room")
            counted = _catalogue_count = (now, cursor.fetchone()[0])
    return counted[1] <= settings.ROOMS_SMALL_CATALOGUE_ROWS


def catalogue_count_forget() -> None:
    """After rooms were added or removed in bulk: the next search counts again."""
    global _catalogue_count
    _catalogue_count = None


def keyword_leg(*, groups: tuple[tuple[str, ...], ...], filters: RoomSearchFilters, limit: int) -> _Leg:
    """Rooms matching any query word, ranked by how many of the words they match, then `ts_rank_cd`.

    Counting matched words first (Lucene's coordination factor) keeps a room that says "강남" and
    "공포" above one that says "강남" five times. Rooms matching every word are looked up first
    (a small, cheap set); only when they do not fill the limit are rooms matching any word ranked
    below them.

    ts_rank_cd (cover density over every position) is the costly part, and a broad word ("코믹")
    matches a tenth of a big catalogue: it ranks at most ROOMS_KEYWORD_RANK_MAX_ROWS candidates per
    tier, where the tiers follow what it rewards: a match in the name, in the genres/region/store,
    anywhere. Within a tier that has more matches than that, the best-rated come first; a tier with
    many matches is walked in that order, so a broad word never reads all its matches. With fewer
    matches than the cap every match is ranked.
    """
    leg = _Leg()
    groups = tuple(group for group in groups if tsquery_text(group))[:MAX_QUERY_GROUPS]
    if not groups:
        return leg
    group_queries = [tsquery_text(group) for group in groups]
    where, params = filters_sql(filters)
    filter_words = _filter_words(filters)
    # Every tsquery is a function in FROM, parsed once per query (in the SELECT list it would be per row).
    group_tables = ", ".join(f"to_tsquery('simple', %s) g{index}" for index in range(len(groups)))
    matched = " + ".join(f"(u.search_vector @@ g{index})::int" for index in range(len(groups)))

    def statement(tiers: str) -> str:
        # ts_rank_cd normalisation 1 divides by 1 + log(document length): long descriptions do not win by volume.
        return f"""
            SELECT id, matched, rank FROM (
                SELECT u.id, u.rating, {matched} AS matched, ts_rank_cd(u.search_vector, q, 1) AS rank
                FROM (SELECT DISTINCT ON (c.id) c.* FROM ({tiers}) c ORDER BY c.id) u,
                    to_tsquery('simple', %s) q, {group_tables}
            ) ranked
            ORDER BY matched DESC, rank DESC, rating DESC, id
            LIMIT %s
        """  # noqa: S608 - the conditions are fixed strings; every value is a parameter

    def attempt_query(operator: str, weights: str = "") -> str:
        return f" {operator} ".join(f"({tsquery_text(group, weights)})" for group in groups)

    cap = max(limit, settings.ROOMS_KEYWORD_RANK_MAX_ROWS)
    operators = ["&", "|"] if len(groups) > 1 else ["|"]
    weighted = {operator: [attempt_query(operator, tier.weights) for tier in _TIERS] for operator in operators}
    rows: list[tuple] = []
    small = catalogue_small()
    with contextlib.ExitStack() as stack:
        cursor = stack.enter_context(connection.cursor())
        if small:  # every tier read whole from its index (or the table): no sample, no planner settings
            found, sampled, rooms = [], 0, 0.0
        else:
            stack.enter_context(transaction.atomic())
            # Every tier has an index to read it by; a sequential scan is never the plan wanted here.
            cursor.execute("SET LOCAL enable_seqscan = off")
            # One sample tells both attempts which tiers to walk.
            rooms, sampled, found = _sampled_matches(
                cursor, [query for queries in weighted.values() for query in queries], where, params
            )
        for index, operator in enumerate(operators):
            tsquery = weighted[operator][-1]  # the widest tier's, unweighted: every word anywhere
            tier_found = found[index * len(_TIERS) : (index + 1) * len(_TIERS)]
            first_walked = len(_TIERS) if small else _first_walked_tier(tier_found, sampled, rooms, cap)
            reads = [_bitmap_read(vector=tier.vector, where=where, cap=cap) for tier in _TIERS[:first_walked]]
            narrowed = f"({tsquery}) & {filter_words}" if filter_words else tsquery
            read_params = [
                value for tier in _TIERS[:first_walked] for value in (*params, narrowed if tier.has_facts else tsquery)
            ]
            if first_walked < len(_TIERS):
                reads.append(_walk_read(tiers=len(_TIERS) - first_walked, where=where, cap=cap))
                read_params += [*weighted[operator][first_walked:-1], *params, tsquery]
            # The rooms already found come back among these; asking for as many more keeps the limit full.
            cursor.execute(
                statement(" UNION ALL ".join(reads)), [*read_params, tsquery, *group_queries, limit + len(rows)]
            )
            seen = {row[0] for row in rows}
            # Rooms matching every word (fewer than the limit, so all of them) stay on top.
            rows += [row for row in cursor.fetchall() if row[0] not in seen][: limit - len(rows)]
            if len(rows) >= limit:
                break
        if not small:
            # SET LOCAL lasts to the end of the transaction, and a caller's transaction outlives this savepoint.
            cursor.execute("SET LOCAL enable_seqscan = DEFAULT")
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
    if not exact and not explain and ef_search is None and catalogue_small():
        # Every room compared: exact, and one statement (OFFSET 0 keeps the graph out of the ORDER BY).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, distance FROM (SELECT r.id, r.embedding <=> %s::vector AS distance FROM rooms_room r "  # noqa: S608
                f"WHERE r.embedding IS NOT NULL AND {where} OFFSET 0) d ORDER BY distance, id LIMIT %s",
                [vector_text, *params, limit],
            )
            for room_id, distance in cursor.fetchall():
                leg.ids.append(room_id)
                leg.scores[room_id] = 1.0 - float(distance)
        return leg
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
        if exact:  # as in keyword_leg: not for the rest of a caller's transaction
            cursor.execute("SET LOCAL enable_indexscan = DEFAULT")
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
    sql = f"SELECT r.id FROM rooms_room r WHERE {where} ORDER BY {_PRIOR_ORDER} LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        ids = [row[0] for row in cursor.fetchall()]
    rooms = Room.objects.select_related("store").defer(*_HEAVY_FIELDS).in_bulk(ids)
    return [
        RoomSearchHit(room=rooms[room_id], score=float(rooms[room_id].rating), keyword_rank=None, semantic_rank=None)
        for room_id in ids
    ]


class _LegThreads:
    """Worker threads that run the semantic leg while the request's thread runs the keyword leg.

    Each worker takes a connection of its own from the pool for a leg and gives it back after. A search
    finding every worker busy runs its legs in turn rather than queue. The threads are made on first use
    in each process, so a forked process never inherits a parent's dead threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._workers = 0
        self._free = threading.Semaphore(0)

    def try_submit(self, function, /, **kwargs) -> Future | None:
        """`function(**kwargs)` on a free worker, or None when there is none."""
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._workers = settings.ROOMS_SEARCH_LEG_THREADS
                self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="search-leg")
                self._free = threading.Semaphore(self._workers)
                self._pid = os.getpid()
            if not self._free.acquire(blocking=False):
                return None
            future = self._pool.submit(_on_own_connection, function, **kwargs)
            free = self._free  # this pool's, even if a later one replaces it
        future.add_done_callback(lambda _: free.release())
        return future

    def close(self) -> None:
        """Close every worker's connection and stop the workers (before a test database is dropped)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        # One task per worker, held at a barrier until each worker has one: each closes its own connection.
        barrier = threading.Barrier(self._workers)
        for _ in range(self._workers):
            pool.submit(_close_connections_at, barrier)
        pool.shutdown(wait=True)


def _on_own_connection(function, /, **kwargs):
    # The connection goes back to the pool when the leg ends: an idle worker holds none.
    close_old_connections()
    try:
        return function(**kwargs)
    finally:
        close_old_connections()


def _close_connections_at(barrier: threading.Barrier) -> None:
    with contextlib.suppress(threading.BrokenBarrierError):  # a worker still busy: the others go on without it
        barrier.wait(timeout=30)
    connections.close_all()


leg_threads = _LegThreads()


def _semantic_candidates(*, query: str, analysis: QueryAnalysis, filters: RoomSearchFilters, limit: int) -> _Leg:
    from rooms.embeddings import embed_query

    # The embedding model reads "혜화" or "호러" less surely than the vocabulary does: the query
    # text it embeds carries the canonical names too, and a single region the query names
    # scopes this leg (it cannot rank places; the keyword leg still sees every region).
    semantic_text = " ".join([query, *(name for name in analysis.canonical_terms if name not in query)])
    if filters.region is None and len(analysis.regions) == 1:
        filters = RoomSearchFilters(**{**filters.__dict__, "region": analysis.regions[0]})
    try:
        vector = embed_query(semantic_text)
    except Exception:  # an embedding API down or slow: answer from the keyword leg alone
        logger.warning("query embedding failed; keyword results only", exc_info=True)
        return _Leg()
    return semantic_leg(vector=vector, filters=filters, limit=limit)


def room_search_hybrid(
    *, query: str, filters: RoomSearchFilters, limit: int = 10, method: str | None = None
) -> list[RoomSearchHit]:
    """Active rooms matching `filters`, best first for `query`.

    method: "rrf" (default setting) or "weighted_sum" fuse both legs; "keyword" and "semantic"
    run one leg alone (the bench compares them). Genres the query negates ("안 무서운",
    "공포 빼고") join `exclude_genres`. An empty query ranks the filtered rooms by rating.

    Both legs run at once when they can (ROOMS_SEARCH_LEG_THREADS > 0 and a worker is free): the
    semantic one (query embedding and HNSW walk) on a worker's connection. Not inside a transaction,
    whose rows not yet committed only its own connection sees: there they run one after the other.
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
    semantic_call = {"query": query, "analysis": analysis, "filters": filters, "limit": candidates}
    keyword = _Leg()
    semantic = _Leg()
    pending = None
    if method in ("rrf", "weighted_sum") and settings.ROOMS_SEARCH_LEG_THREADS > 0 and not connection.in_atomic_block:
        pending = leg_threads.try_submit(_semantic_candidates, **semantic_call)
    if method != "semantic":
        keyword = keyword_leg(groups=analysis.groups, filters=filters, limit=candidates)
    if pending is not None:
        semantic = pending.result()
    elif method != "keyword":
        semantic = _semantic_candidates(**semantic_call)

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
