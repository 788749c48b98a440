"""Room reads other than the hybrid search: one room, name lookup, filtered listing."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from rooms.models import Room
from rooms.selectors.search import RoomSearchFilters

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
    return rooms.order_by("-rating", "-review_count", "id")
