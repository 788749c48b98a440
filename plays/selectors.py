"""Reads of the play log and of parties."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from plays.models import Party, PartyMember, Play
from rooms.models import Review


def played_room_ids(*, user_ids: list[int] | set[int] | tuple[int, ...]) -> set[int]:
    """Every room any of these users has played: their play log, and any room they reviewed (a review is a play,
    even one written before the log existed)."""
    user_ids = list(user_ids)
    if not user_ids:
        return set()
    logged = Play.objects.filter(user_id__in=user_ids).values_list("room_id", flat=True)
    reviewed = Review.objects.filter(user_id__in=user_ids).values_list("room_id", flat=True)
    return set(logged.union(reviewed))


@dataclass(frozen=True)
class PlayFilters:
    region: str | None = None
    genre: str | None = None
    year: int | None = None


def play_list(*, user, filters: PlayFilters | None = None) -> QuerySet[Play]:
    """The user's plays, most recent first, with their rooms."""
    plays = Play.objects.filter(user=user).select_related("room", "room__store")
    filters = filters or PlayFilters()
    if filters.region:
        plays = plays.filter(room__region=filters.region)
    if filters.genre:
        plays = plays.filter(room__genres__contains=[filters.genre])
    if filters.year:
        plays = plays.filter(played_on__year=filters.year)
    return plays.order_by("-played_on", "-id")


def play_get(*, user, play_id: int) -> Play | None:
    """One of the user's plays; someone else's is None (answered as if it did not exist)."""
    return Play.objects.filter(user=user, id=play_id).select_related("room", "room__store").first()


def play_years(*, user) -> list[int]:
    return sorted(
        {day.year for day in Play.objects.filter(user=user).values_list("played_on", flat=True)}, reverse=True
    )


def play_stats(*, user) -> dict:
    """Rooms played, escape rate, hints per room, and counts by genre, region, month and difficulty."""
    rows = list(
        Play.objects.filter(user=user).values_list(
            "escaped", "hints_used", "played_on", "room__genres", "room__region", "room__difficulty"
        )
    )
    total = len(rows)
    escaped = sum(1 for row in rows if row[0])
    genres: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    months: Counter[str] = Counter()
    by_difficulty: dict[int, list[int]] = {level: [0, 0] for level in range(1, 6)}
    for was_escaped, _hints, played_on, room_genres, region, difficulty in rows:
        genres.update(room_genres)
        regions[region] += 1
        months[played_on.strftime("%Y-%m")] += 1
        by_difficulty[difficulty][0] += 1
        by_difficulty[difficulty][1] += int(was_escaped)
    return {
        "rooms_played": total,
        "escaped": escaped,
        "escape_rate": round(escaped / total, 4) if total else None,
        "hints_per_room": round(sum(row[1] for row in rows) / total, 2) if total else None,
        "by_genre": [{"key": key, "count": count} for key, count in _ranked(genres)],
        "by_region": [{"key": key, "count": count} for key, count in _ranked(regions)],
        "by_month": [{"key": key, "count": months[key]} for key in sorted(months)],
        "by_difficulty": [
            {
                "difficulty": level,
                "played": played,
                "escaped": won,
                "escape_rate": round(won / played, 4) if played else None,
            }
            for level, (played, won) in sorted(by_difficulty.items())
        ],
    }


def _ranked(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


# --- parties -----------------------------------------------------------------------------------


def party_list(*, user) -> QuerySet[Party]:
    """The parties the user belongs to, with member counts, newest first."""
    return (
        Party.objects.filter(memberships__user=user)
        .annotate(member_count=Count("memberships", distinct=True))
        .select_related("owner")
        .order_by("-created_at", "-id")
    )


def party_get_for_member(*, user, party_id: int) -> Party | None:
    """The party when the user is a member of it; otherwise None (the API answers 404: ids are not probed)."""
    return Party.objects.filter(id=party_id, memberships__user=user).select_related("owner").first()


def party_members(*, party: Party) -> list[PartyMember]:
    return list(PartyMember.objects.filter(party=party).select_related("user").order_by("joined_at", "id"))


def party_by_invite_code(*, code: str) -> Party | None:
    return Party.objects.filter(invite_code=code).first()


def user_party_count(*, user) -> int:
    return PartyMember.objects.filter(user=user).count()
