"""Room reads other than the hybrid search: one room, name lookup, filtered listing."""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from rooms.models import Room, TimeSlot
from rooms.selectors.search import RoomSearchFilters, filters_sql, slot_window_bounds
from rooms.vocabulary import REGIONS

NAME_MATCH_THRESHOLD = 0.3


def room_get(*, room_id: int, include_inactive: bool = False) -> Room | None:
    rooms = Room.objects.select_related("store")
    if not include_inactive:
        rooms = rooms.filter(is_active=True)
    return rooms.filter(id=room_id).first()


def room_find_by_name(*, name: str, limit: int = 5) -> list[tuple[Room, float]]:
    """Active rooms whose name looks like `name`, best first, with a similarity in [0, 1].

    Spaces are ignored on both sides ("폐병원403호" finds "폐병원 403호") and trigram similarity
    forgives a typo or two; word similarity also finds a name inside a longer phrase.
    """
    compact = "".join((name or "").split())
    if not compact:
        return []
    sql = """
        SELECT id, score FROM (
            SELECT r.id,
                   GREATEST(similarity(replace(r.name, ' ', ''), %s),
                            word_similarity(replace(r.name, ' ', ''), %s)) AS score
            FROM rooms_room r
            WHERE r.is_active AND (replace(r.name, ' ', '') %% %s OR replace(r.name, ' ', '') <%% %s)
        ) scored
        WHERE score >= %s
        ORDER BY score DESC, id
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [compact, compact, compact, compact, NAME_MATCH_THRESHOLD, limit])
        rows = cursor.fetchall()
    rooms = Room.objects.select_related("store").in_bulk([room_id for room_id, _ in rows])
    return [(rooms[room_id], round(float(score), 4)) for room_id, score in rows if room_id in rooms]


def room_find_by_names(
    *, name: str, store_name: str = "", limit: int = 5, include_inactive: bool = False
) -> list[tuple[Room, float, float | None]]:
    """Rooms whose name looks like `name`, with (name similarity, store-name similarity or None), best first.

    The same trigram match as `room_find_by_name` (spaces ignored, typos forgiven), plus the store's name when
    one is given, so "셜록의 서재, 비밀의방 강남" finds that store's room among rooms of the same name. The
    order is by name and store together (0.6 / 0.4) when a store is given, by name alone otherwise.
    """
    compact = "".join((name or "").split())
    store = "".join((store_name or "").split())
    if not compact:
        return []
    sql = """
        SELECT id, name_score, store_score FROM (
            SELECT r.id,
                   GREATEST(similarity(replace(r.name, ' ', ''), %(name)s),
                            word_similarity(replace(r.name, ' ', ''), %(name)s)) AS name_score,
                   CASE WHEN %(store)s = '' THEN NULL
                        ELSE GREATEST(similarity(replace(s.name, ' ', ''), %(store)s),
                                      word_similarity(%(store)s, replace(s.name, ' ', ''))) END AS store_score
            FROM rooms_room r JOIN rooms_store s ON s.id = r.store_id
            WHERE (r.is_active OR %(inactive)s)
              AND (replace(r.name, ' ', '') %% %(name)s OR replace(r.name, ' ', '') <%% %(name)s)
        ) scored
        WHERE name_score >= %(threshold)s
        ORDER BY CASE WHEN store_score IS NULL THEN name_score ELSE 0.6 * name_score + 0.4 * store_score END DESC,
                 name_score DESC, id
        LIMIT %(limit)s
    """
    params = {
        "name": compact,
        "store": store,
        "inactive": include_inactive,
        "threshold": NAME_MATCH_THRESHOLD,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    rooms = Room.objects.select_related("store").in_bulk([room_id for room_id, _, _ in rows])
    return [
        (rooms[room_id], round(float(name_score), 4), None if store_score is None else round(float(store_score), 4))
        for room_id, name_score, store_score in rows
        if room_id in rooms
    ]


def room_list(*, filters: RoomSearchFilters) -> QuerySet[Room]:
    """Active rooms matching the filters, best rated first (for `GET /rooms/`)."""
    rooms = Room.objects.select_related("store").filter(is_active=True)
    if filters.region:
        rooms = rooms.filter(region=filters.region)
    if filters.genres:
        rooms = rooms.filter(genres__overlap=list(filters.genres))
    if filters.exclude_genres:
        rooms = rooms.exclude(genres__overlap=list(filters.exclude_genres))
    if filters.players is not None:
        rooms = rooms.filter(min_players__lte=filters.players, max_players__gte=filters.players)
    if filters.difficulty_min is not None:
        rooms = rooms.filter(difficulty__gte=filters.difficulty_min)
    if filters.difficulty_max is not None:
        rooms = rooms.filter(difficulty__lte=filters.difficulty_max)
    if filters.max_price is not None:
        rooms = rooms.filter(price__lte=filters.max_price)
    if filters.max_fear is not None:
        rooms = rooms.filter(fear__lte=filters.max_fear)
    if filters.min_fear is not None:
        rooms = rooms.filter(fear__gte=filters.min_fear)
    if filters.min_activity is not None:
        rooms = rooms.filter(activity__gte=filters.min_activity)
    if filters.max_activity is not None:
        rooms = rooms.filter(activity__lte=filters.max_activity)
    if filters.exclude_ids:
        rooms = rooms.exclude(id__in=filters.exclude_ids)
    window = slot_window_bounds(filters)
    if window is not None:
        slots = TimeSlot.objects.filter(
            room_id=OuterRef("pk"), status=TimeSlot.Status.OPEN, archived=False, starts_at__gte=window[0]
        )
        if window[1] is not None:
            slots = slots.filter(starts_at__lt=window[1])
        rooms = rooms.filter(Exists(slots))
    return rooms.order_by("-rating", "-review_count", "id")


# --- a room by the name a player types ----------------------------------------------------------------------------
# A sequel number at the end of a name: "대작전 2", "비명2", "시즌2", "시즌 2", "2편", "Part 2", "II". Three digits or
# more are part of the name ("404호", "2099").
_SEQUEL = re.compile(
    r"(?:(?:시즌|season|part|파트|pt\.?|ep\.?|에피소드|chapter|챕터)\s*(\d{1,2})|(?<![\d])(\d{1,2})\s*(?:편|탄)?|"
    r"(?<=\s)(ii|iii|iv|Ⅱ|Ⅲ|Ⅳ))\s*$",
    re.IGNORECASE,
)
_ROMAN = {"ii": 2, "iii": 3, "iv": 4, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4}
# Candidates within this much of the best are as likely: the player is asked which one.
NAME_AMBIGUITY_MARGIN = 0.1
_CANDIDATES = 40


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).lower()


def sequel_split(name: str) -> tuple[str, int | None]:
    """'수상한 분식집 대작전 2' → ('수상한 분식집 대작전', 2); '폐병원 404호' → ('폐병원 404호', None)."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    match = _SEQUEL.search(text)
    if not match or match.start() == 0:
        return text, None
    number = match.group(1) or match.group(2)
    value = int(number) if number else _ROMAN[match.group(3).lower() if match.group(3).isascii() else match.group(3)]
    base = text[: match.start()].rstrip(" -:·")
    return (base, value) if base else (text, None)


def _trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {text} "
    return {padded[index : index + 3] for index in range(len(padded) - 2)}


def _similarity(a: str, b: str) -> float:
    first, second = _trigrams(a), _trigrams(b)
    return len(first & second) / len(first | second) if first and second else 0.0


def _contained(part: str, whole: str) -> float:
    """How much of `part` appears in `whole` (1.0: every trigram of it, e.g. a name inside a longer question)."""
    if not part:
        return 0.0
    if part in whole:
        return 1.0
    trigrams = _trigrams(part) - {f"  {part[:1]}", f"{part[-1:]} "}  # the padding ones never match inside
    found = sum(1 for trigram in trigrams if trigram.strip() and trigram in f"  {whole} ")
    return found / len(trigrams) if trigrams else 0.0


@dataclass(frozen=True)
class NameMatch:
    room: Room
    score: float
    exact: bool  # the name (with its store, or alone) is exactly what was typed


def room_match_by_name(*, text: str, limit: int = 8) -> list[NameMatch]:
    """Active rooms a typed name may mean, best first.

    Trigram similarity over the name and over store + name (spacing ignored), so "비밀의열쇠 강남점 수상한 분식집"
    finds the room of that store. A sequel number decides between rooms that share the rest of the name: "대작전 2"
    is not "대작전", and "대작전" prefers the first over "대작전 2". The caller asks which room was meant when
    several score within `NAME_AMBIGUITY_MARGIN` of the best and none is exact.
    """
    query = _compact(text)
    if len(query) < 2:
        return []
    base, number = sequel_split(text)
    query_base = _compact(base)
    # The name may follow a store or a region ("탈출일기 신촌점 검은 숲"): the words from each one on are tried too
    # (a short name inside a long question has too few trigrams in common with all of it).
    words = base.split()
    tails = list(dict.fromkeys(_compact(" ".join(words[index:])) for index in range(min(len(words), 4))))
    tails = [tail for tail in tails if len(tail) >= 2]
    name = "replace(r.name, ' ', '')"
    conditions = " OR ".join([f"{name} %% %s" for _ in tails] + [f"{name} <%% %s", f"{name} %%> %s"])
    sql = f"""
        SELECT r.id FROM rooms_room r
        WHERE r.is_active AND ({conditions})
        ORDER BY GREATEST(similarity({name}, %s), word_similarity({name}, %s), word_similarity(%s, {name})) DESC, r.id
        LIMIT %s
    """  # noqa: S608 - the conditions are fixed strings; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [*tails, query, query_base, query_base, query, query_base, _CANDIDATES])
        ids = [row[0] for row in cursor.fetchall()]
    rooms = Room.objects.select_related("store").filter(id__in=ids)
    matches = [_name_score(room, query, query_base, number) for room in rooms]
    matches.sort(key=lambda match: (-match.score, match.room.id))
    return matches[:limit]


def _name_score(room: Room, query: str, query_base: str, number: int | None) -> NameMatch:
    name = _compact(room.name)
    store = _compact(room.store.name)
    room_base_text, room_number = sequel_split(room.name)
    room_base = _compact(room_base_text)
    score = max(
        _similarity(query_base, room_base),
        0.95 * _contained(query_base, room_base),  # a part of the name ("수상한 분식집")
        _contained(room_base, query_base),  # the name inside a longer question ("비밀의열쇠 강남점 …")
    )
    if number is not None and room_number is not None:
        score += 0.15 if number == room_number else -0.6
    elif number is not None:
        score -= 0.4 if number != 1 else 0.0
    elif room_number is not None:
        score -= 0.08  # "대작전" means the first one rather than "대작전 2"
    # The store said with the name: its brand or branch ("비밀의열쇠", "강남점") or its region.
    store_words = [word for word in re.split(r"\s+", room.store.name.lower()) if len(word) >= 2]
    if store in query or any(_compact(word) in query for word in store_words):
        score += 0.12
    elif any(alias.replace(" ", "") in query for alias in (room.region, *REGIONS.get(room.region, ()))):
        score += 0.05
    exact = query in (name, store + name, name + store) or (
        query_base == room_base and number == room_number and query.endswith(name[-2:])
    )
    return NameMatch(room=room, score=round(min(score, 1.5), 4), exact=exact)


# --- best rated, with few reviews counting for little -----------------------------------------------------------
_MEAN_TTL_SECONDS = 60
_mean_lock = threading.Lock()
_mean_cache: tuple[float, float] | None = None


def catalogue_rating_mean() -> float:
    """The mean rating of the active rooms that have reviews (the prior of `room_list_rated`), cached a few minutes."""
    global _mean_cache
    now = time.monotonic()
    with _mean_lock:
        if _mean_cache is not None and now - _mean_cache[0] < _MEAN_TTL_SECONDS:
            return _mean_cache[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(rating * review_count) / nullif(sum(review_count), 0) FROM rooms_room "
            "WHERE is_active AND review_count > 0"
        )
        (value,) = cursor.fetchone()
    mean = float(value) if value is not None else 0.0
    with _mean_lock:
        _mean_cache = (now, mean)
    return mean


def catalogue_rating_mean_forget() -> None:
    global _mean_cache
    with _mean_lock:
        _mean_cache = None


def bayesian_rating(*, rating: float, reviews: int, prior_mean: float, prior_reviews: float) -> float:
    """The rating pulled toward the catalogue's mean by `prior_reviews` imagined reviews: 4.7 from 300 reviews
    stays about 4.7, 5.0 from 3 drops near the mean."""
    if reviews + prior_reviews <= 0:
        return 0.0
    return (rating * reviews + prior_mean * prior_reviews) / (reviews + prior_reviews)


def room_list_rated(*, filters: RoomSearchFilters, limit: int, prior_reviews: float = 20.0) -> tuple[list[Room], int]:
    """Active rooms matching the filters, best first by `bayesian_rating` (the same filters as the search), and how
    many match in all (counted in the same query)."""
    where, params = filters_sql(filters)
    prior_mean = catalogue_rating_mean()
    sql = (
        f"SELECT r.id, count(*) OVER () FROM rooms_room r WHERE {where} "  # noqa: S608 - values are parameters
        "ORDER BY (r.rating * r.review_count + %s * %s) / (r.review_count + %s) DESC, r.review_count DESC, r.id "
        "LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, prior_mean, prior_reviews, prior_reviews or 1, limit])
        rows = cursor.fetchall()
    ids = [row[0] for row in rows]
    rooms = Room.objects.select_related("store").defer("embedding", "search_vector").in_bulk(ids)
    return [rooms[room_id] for room_id in ids if room_id in rooms], (rows[0][1] if rows else 0)


def room_count(*, filters: RoomSearchFilters) -> int:
    """How many active rooms match the filters."""
    where, params = filters_sql(filters)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM rooms_room r WHERE {where}", params)  # noqa: S608
        return cursor.fetchone()[0]


def room_count_by_region(*, filters: RoomSearchFilters, limit: int = 16) -> list[tuple[str, int]]:
    """(region, matching rooms) for every region with any, most first (the filters' own region is ignored)."""
    where, params = filters_sql(RoomSearchFilters(**{**filters.__dict__, "region": None}))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.region, count(*) FROM rooms_room r WHERE {where} "  # noqa: S608
            "GROUP BY r.region ORDER BY count(*) DESC, r.region LIMIT %s",
            [*params, limit],
        )
        return [(region, count) for region, count in cursor.fetchall()]
