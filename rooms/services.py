"""Catalogue writes: rooms and stores, their search text and embeddings, reviews."""

from __future__ import annotations

import hashlib
import logging
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import serializers

from analytics.services import event_record
from rooms.models import ROOM_FIELDS, Review, Room, Store
from rooms.selectors.search import catalogue_count_forget
from rooms.signals import review_saved
from rooms.text import index_terms

logger = logging.getLogger(__name__)

# Fields whose change alters what the room is about (search text and embedding).
TEXT_FIELDS = {"name", "genres", "description"}


# --- search text -------------------------------------------------------------------------------
def room_search_documents(*, room: Room) -> tuple[str, str, str]:
    """Analysed text for weights A (name), B (genres, region, store) and C (description)."""
    weight_a = " ".join(index_terms(room.name))
    weight_b = " ".join([*(genre.lower() for genre in room.genres), room.region, *index_terms(room.store.name)])
    weight_c = " ".join(index_terms(room.description))
    return weight_a, weight_b, weight_c


def rooms_search_vector_refresh(*, room_ids: list[int]) -> int:
    """Recompute the stored tsvector of these rooms from their kiwipiepy morphemes."""
    catalogue_count_forget()  # rooms were written (new ones among them): the search counts the catalogue again
    rooms = list(Room.objects.select_related("store").filter(id__in=room_ids))
    if not rooms:
        return 0
    ids, a_docs, b_docs, c_docs = [], [], [], []
    for room in rooms:
        weight_a, weight_b, weight_c = room_search_documents(room=room)
        ids.append(room.id)
        a_docs.append(weight_a)
        b_docs.append(weight_b)
        c_docs.append(weight_c)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE rooms_room r SET search_vector =
                setweight(to_tsvector('simple', d.a), 'A')
                || setweight(to_tsvector('simple', d.b), 'B')
                || setweight(to_tsvector('simple', d.c), 'C')
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS d(id, a, b, c)
            WHERE r.id = d.id
            """,
            [ids, a_docs, b_docs, c_docs],
        )
    return len(ids)


# --- embeddings --------------------------------------------------------------------------------
def room_embedding_text(*, room: Room) -> str:
    return f"{room.name}. {room.store.name} ({room.region}). 장르: {', '.join(room.genres)}. {room.description}"


def _embedding_source(backend_name: str, text: str) -> str:
    return hashlib.sha256(f"{backend_name}\n{text}".encode()).hexdigest()


def rooms_embedding_queue(*, room_ids: list[int]) -> None:
    """Mark rooms dirty and queue their embedding once the current transaction commits."""
    room_ids = list(room_ids)
    if not room_ids:
        return
    Room.objects.filter(id__in=room_ids).update(embedding_dirty=True)

    def _send():
        from rooms.tasks import rooms_embed_task

        try:
            rooms_embed_task.delay(room_ids)
        except Exception:  # broker down: the beat task picks dirty rooms up later
            logger.warning("could not queue room embeddings; beat will retry", exc_info=True)

    transaction.on_commit(_send)


def rooms_embedding_todo(*, room_ids: list[int]) -> list[tuple[Room, str, str]]:
    """(room, text, source) for the rooms whose stored vector is missing or came from other text.

    A room already embedded from the same text and backend only loses its dirty flag here.
    """
    from rooms.embeddings import embedding_backend

    backend_name = embedding_backend().name
    todo: list[tuple[Room, str, str]] = []
    for room in Room.objects.select_related("store").filter(id__in=room_ids):
        text = room_embedding_text(room=room)
        source = _embedding_source(backend_name, text)
        if room.embedding is not None and room.embedding_source == source:
            if room.embedding_dirty:
                Room.objects.filter(id=room.id, updated_at=room.updated_at).update(embedding_dirty=False)
            continue
        todo.append((room, text, source))
    return todo


def rooms_embedding_store(*, todo: list[tuple[Room, str, str]], vectors: list[list[float]]) -> int:
    """Write computed vectors; each write is conditional on the room's `updated_at` as it was read,
    so an edit made while the vector was computed keeps the room dirty instead of being overwritten."""
    written = 0
    now = timezone.now()
    for (room, _, source), vector in zip(todo, vectors, strict=True):
        written += Room.objects.filter(id=room.id, updated_at=room.updated_at).update(
            embedding=vector, embedding_source=source, embedding_dirty=False, embedded_at=now
        )
    return written


def rooms_embed(*, room_ids: list[int]) -> int:
    """Embed these rooms now; returns how many vectors were written. Safe to run twice."""
    from rooms.embeddings import embed_texts

    todo = rooms_embedding_todo(room_ids=room_ids)
    if not todo:
        return 0
    return rooms_embedding_store(todo=todo, vectors=embed_texts([text for _, text, _ in todo]))


def rooms_embed_dirty(*, batch_size: int) -> int:
    """One batch of dirty rooms (the beat task); returns the number embedded."""
    ids = list(Room.objects.filter(embedding_dirty=True).order_by("id").values_list("id", flat=True)[:batch_size])
    return rooms_embed(room_ids=ids) if ids else 0


# --- rooms and stores ---------------------------------------------------------------------------
def rooms_after_change(*, room_ids: list[int], text_changed: bool) -> None:
    """After rooms were written: refresh their search text; re-embed them when their text changed."""
    rooms_search_vector_refresh(room_ids=room_ids)
    if text_changed:
        rooms_embedding_queue(room_ids=room_ids)


@transaction.atomic
def room_create(*, store: Store, **fields) -> Room:
    room = Room(store=store, region=store.region, **fields)
    room.full_clean()
    room.save()
    rooms_after_change(room_ids=[room.id], text_changed=True)
    room.refresh_from_db()
    return room


@transaction.atomic
def room_update(*, room: Room, store: Store | None = None, **fields) -> Room:
    """Change a room; only a change of its text (name, genres, description, store) re-embeds it."""
    text_changed = False
    if store is not None and store.id != room.store_id:
        room.store = store
        text_changed = True
    room.region = room.store.region
    for name, value in fields.items():
        if name not in ROOM_FIELDS:
            raise ValueError(f"unknown room field {name}")
        if getattr(room, name) != value:
            text_changed = text_changed or name in TEXT_FIELDS
            setattr(room, name, value)
    room.full_clean()
    room.save()
    rooms_after_change(room_ids=[room.id], text_changed=text_changed or room.embedding is None)
    room.refresh_from_db()
    return room


@transaction.atomic
def store_save(*, store: Store) -> Store:
    """Save a store and carry its region and name into its rooms' search text and embeddings."""
    store.full_clean()
    store.save()
    room_ids = list(store.rooms.values_list("id", flat=True))
    Room.objects.filter(store=store).exclude(region=store.region).update(region=store.region, updated_at=timezone.now())
    if room_ids:
        rooms_after_change(room_ids=room_ids, text_changed=True)
    return store


def rooms_set_active(*, room_ids: list[int], active: bool) -> int:
    return (
        Room.objects.filter(id__in=room_ids)
        .exclude(is_active=active)
        .update(is_active=active, updated_at=timezone.now())
    )


# --- views -------------------------------------------------------------------------------------
def room_view_record(*, room: Room, user_id: int | None) -> None:
    """A room's page or its API detail was read: one `room.viewed` event, however it was read."""
    event_record(type="room.viewed", user_id=user_id, payload={"room_id": room.id})


# --- reviews -----------------------------------------------------------------------------------
@transaction.atomic
def review_upsert(
    *,
    user,
    room: Room,
    rating: int,
    text: str = "",
    escaped: bool = False,
    hints_used: int = 0,
    played_on: date | None = None,
) -> tuple[Review, bool]:
    """Create the user's review of the room, or edit it; the room's rating follows exactly, and a
    `review.created` or `review.updated` event is recorded (after commit) wherever the review came from.

    The room row is locked first, so concurrent reviews of one room add up instead of racing.
    """
    locked = Room.objects.select_for_update().get(id=room.id)
    review = Review.objects.filter(user=user, room=locked).first()
    created = review is None
    if created:
        review = Review(user=user, room=locked)
        delta_sum, delta_count = rating, 1
    else:
        delta_sum, delta_count = rating - review.rating, 0
    review.rating = rating
    review.text = text
    review.escaped = escaped
    review.hints_used = hints_used
    review.played_on = played_on
    review.full_clean(exclude=["user", "room"], validate_unique=False)
    review.save()
    new_sum = locked.rating_sum + delta_sum
    new_count = locked.review_count + delta_count
    Room.objects.filter(id=locked.id).update(
        rating_sum=F("rating_sum") + delta_sum,
        review_count=F("review_count") + delta_count,
        rating=round(new_sum / new_count, 4) if new_count else 0,
    )
    review_saved.send(sender=Review, review=review, created=created)
    # Reviews count in the insights' regional and genre popularity.
    event_record(
        type="review.created" if created else "review.updated",
        user_id=user.id,
        payload={"room_id": locked.id, "rating": rating, "region": locked.region, "genres": list(locked.genres)},
    )
    return review, created


@transaction.atomic
def review_delete(*, review: Review) -> None:
    """Remove a review and take it out of the room's rating."""
    locked = Room.objects.select_for_update().get(id=review.room_id)
    new_sum = max(0, locked.rating_sum - review.rating)
    new_count = max(0, locked.review_count - 1)
    review.delete()
    Room.objects.filter(id=locked.id).update(
        rating_sum=new_sum, review_count=new_count, rating=round(new_sum / new_count, 4) if new_count else 0
    )


@transaction.atomic
def reviews_bulk_create(*, reviews: list[Review], batch_size: int = 2000) -> list[Review]:
    """Insert many new reviews at once (demo activity, imports) and add them to their rooms' ratings.

    Rooms are locked in id order (no deadlock with a concurrent review write), then each gets
    the sum and count of its new reviews added in one UPDATE.
    """
    from collections import defaultdict

    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for review in reviews:
        totals[review.room_id][0] += review.rating
        totals[review.room_id][1] += 1
    room_ids = sorted(totals)
    list(Room.objects.select_for_update().filter(id__in=room_ids).order_by("id").values_list("id", flat=True))
    created = Review.objects.bulk_create(reviews, batch_size=batch_size)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE rooms_room r SET
                rating_sum = r.rating_sum + d.total,
                review_count = r.review_count + d.count,
                rating = round(((r.rating_sum + d.total)::numeric / (r.review_count + d.count)), 4)
            FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS d(id, total, count)
            WHERE r.id = d.id
            """,
            [room_ids, [totals[i][0] for i in room_ids], [totals[i][1] for i in room_ids]],
        )
    return created


# --- time slots --------------------------------------------------------------------------------
class SlotWindowError(serializers.ValidationError):
    """A time window that cannot be searched: a 400 with a Korean message in the API's error shape."""


SLOT_WINDOW_FORMAT = "날짜·시각 형식이 올바르지 않습니다. 예: 2026-12-05T19:00, 2026-12-05T19:00+09:00, 2026-12-05"


def _slot_window_bound(value, *, field: str, end: bool) -> datetime | None:
    """A bound as an aware datetime. A date means that whole day: from its start, or to the next day's start."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            # YYYY-MM-DD is a day; anything longer a date-time.
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise SlotWindowError({field: [SLOT_WINDOW_FORMAT]}) from None
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return value
    if isinstance(value, date):
        day = value + timedelta(days=1) if end else value
        return timezone.make_aware(datetime.combine(day, time.min), zoneinfo.ZoneInfo(settings.TIME_ZONE))
    raise SlotWindowError({field: [SLOT_WINDOW_FORMAT]})


def slot_window_parse(
    available_from, available_to, *, fields: tuple[str, str] = ("available_from", "available_to")
) -> tuple[datetime | None, datetime | None]:
    """(start, end) of a window asked for by the API, the pages or chat, or SlotWindowError (Korean messages,
    keyed by `fields`: the names the caller's input uses for the two bounds).

    Each bound: None/"" (open), an ISO 8601 date-time (naive = Asia/Seoul), a date (the whole day: the start at
    its beginning, the end at its end), or a datetime. The end must come after the start, and the window may not
    reach more than ROOMS_SLOT_WINDOW_MAX_DAYS days ahead. A window in the past is allowed (it finds nothing).
    """
    from_field, to_field = fields
    start = _slot_window_bound(available_from, field=from_field, end=False)
    end = _slot_window_bound(available_to, field=to_field, end=True)
    if start is not None and end is not None and end <= start:
        raise SlotWindowError({to_field: [f"끝 시각({to_field})은 시작 시각({from_field})보다 뒤여야 합니다."]})
    limit_days = settings.ROOMS_SLOT_WINDOW_MAX_DAYS
    horizon = timezone.now() + timedelta(days=limit_days)
    for field, bound, slack in ((from_field, start, timedelta()), (to_field, end, timedelta(days=1))):
        # A date as the end on the last allowed day ends at midnight after it: that day is still allowed.
        if bound is not None and bound > horizon + slack:
            raise SlotWindowError({field: [f"예약 가능 시간은 오늘부터 {limit_days}일 이내로만 찾을 수 있습니다."]})
    return start, end
