"""Recommendations for a party: rooms no member has played, that take the party's size and every member's stated
limits, ranked by a group score over the members' personal scores.

Hard filters (never a lower score, always a filter inside both search legs):
- every room any member has played (logged or reviewed) is left out;
- the room takes the party: min_players <= members <= max_players;
- every member's disliked genres are left out, and the most easily scared member's fear limit holds for all
  (one 쫄보 rules out high 공포도 for everyone).

Group score: each member's personal scores (`ml.inference.recommender_scores`) over the candidate rooms become
percentile ranks in [0, 1] (scores of different users and models are not on one scale; ranks are), then

    group(room) = w * min_m rank_m(room) + (1 - w) * mean_m rank_m(room),     w = ML_GROUP_MISERY_WEIGHT

w = 1 is least misery (the room the unhappiest member likes most), w = 0 the plain average. bench/group_quality.py
measures both ends and the blend on held-out group plays of the demo data (docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from rooms.models import Room
from rooms.selectors.rooms import room_list
from rooms.selectors.search import RoomSearchFilters

# Difficulty words of the API and the chat, as 1-5 ranges (the chat's dialogue state uses the same).
DIFFICULTY_RANGES: dict[str, tuple[int, int]] = {"easy": (1, 2), "normal": (2, 4), "hard": (4, 5)}
# A stated fear limit at or below this is a 쫄보's.
SCAREDY_MAX_FEAR = 2
CANDIDATES_MAX = 400
# Below this many candidates a member's rank says little: the reasons do not quote it.
RANKED_REASON_MIN_CANDIDATES = 5


def percentile_ranks(scores: np.ndarray) -> np.ndarray:
    """Each row's values as ranks in [0, 1] (0 the lowest, 1 the highest; ties share their mean rank)."""
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    members, rooms = scores.shape
    if rooms <= 1:
        return np.ones_like(scores)
    ranks = np.empty_like(scores)
    for row in range(members):
        _, inverse, counts = np.unique(scores[row], return_inverse=True, return_counts=True)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        mean_rank = starts + (counts - 1) / 2.0  # the mean of the positions a tie occupies
        ranks[row] = mean_rank[inverse] / (rooms - 1)
    return ranks


def group_scores(member_scores: np.ndarray, *, misery_weight: float | None = None) -> np.ndarray:
    """(members, rooms) personal scores → one group score per room: least misery blended with the average."""
    weight = settings.ML_GROUP_MISERY_WEIGHT if misery_weight is None else misery_weight
    ranks = percentile_ranks(member_scores)
    return weight * ranks.min(axis=0) + (1.0 - weight) * ranks.mean(axis=0)


# --- members and their limits ------------------------------------------------------------------


@dataclass
class Member:
    user_id: int
    name: str
    favorite_genres: list[str]
    favorite_regions: list[str]
    disliked_genres: list[str]
    max_fear: int | None
    plays: int = 0
    played_genres: list[str] = field(default_factory=list)  # the genres they play most, most first


@dataclass
class PartyLimits:
    """What every recommendation for these members must respect."""

    players: int
    played_room_ids: set[int]
    exclude_genres: tuple[str, ...]
    max_fear: int | None

    def filters(self, *, region: str | None = None, genres: tuple[str, ...] = (), difficulty: str | None = None):
        low, high = DIFFICULTY_RANGES.get(difficulty or "", (None, None))
        return RoomSearchFilters(
            region=region,
            genres=tuple(genre for genre in genres if genre not in self.exclude_genres),
            exclude_genres=self.exclude_genres,
            players=self.players,
            difficulty_min=low,
            difficulty_max=high,
            max_fear=self.max_fear,
            exclude_ids=tuple(sorted(self.played_room_ids)),
        )

    def apply(self, filters: RoomSearchFilters) -> RoomSearchFilters:
        """Another search's filters (the chat's) with these limits added: the stricter of each wins."""
        fears = [value for value in (filters.max_fear, self.max_fear) if value is not None]
        excluded = tuple(dict.fromkeys((*filters.exclude_genres, *self.exclude_genres)))
        return dataclasses.replace(
            filters,
            genres=tuple(genre for genre in filters.genres if genre not in excluded),
            exclude_genres=excluded,
            players=filters.players or self.players,
            max_fear=min(fears) if fears else None,
            exclude_ids=tuple(sorted({*filters.exclude_ids, *self.played_room_ids})),
        )


def party_members_load(*, user_ids: list[int]) -> list[Member]:
    """The members' names, stated tastes and limits, and the genres they have played most."""
    from django.contrib.auth import get_user_model

    from plays.models import Play

    users = (
        get_user_model()
        .objects.filter(id__in=user_ids)
        .only("id", "username", "favorite_genres", "favorite_regions", "disliked_genres", "max_fear")
    )
    by_id = {user.id: user for user in users}
    played: dict[int, Counter] = {user_id: Counter() for user_id in by_id}
    counts: Counter[int] = Counter()
    for user_id, genres in Play.objects.filter(user_id__in=list(by_id)).values_list("user_id", "room__genres"):
        played[user_id].update(genres)
        counts[user_id] += 1
    return [
        Member(
            user_id=user.id,
            name=user.username,
            favorite_genres=list(user.favorite_genres),
            favorite_regions=list(user.favorite_regions),
            disliked_genres=list(user.disliked_genres),
            max_fear=user.max_fear,
            plays=counts[user.id],
            played_genres=[genre for genre, _ in played[user.id].most_common(3)],
        )
        for user_id in user_ids
        if (user := by_id.get(user_id)) is not None
    ]


def party_limits(*, members: list[Member]) -> PartyLimits:
    from plays.selectors import played_room_ids

    fears = [member.max_fear for member in members if member.max_fear is not None]
    excluded = tuple(dict.fromkeys(genre for member in members for genre in member.disliked_genres))
    return PartyLimits(
        players=len(members),
        played_room_ids=played_room_ids(user_ids=[member.user_id for member in members]),
        exclude_genres=excluded,
        max_fear=min(fears) if fears else None,
    )


# --- ranking ------------------------------------------------------------------------------------


def member_ranks(*, members: list[Member], room_ids: list[int]) -> tuple[np.ndarray, str]:
    """(members, rooms) percentile ranks of each member's personal scores, and the model that scored them."""
    from ml.inference import recommender_scores

    rows, version = [], ""
    for member in members:
        scores, version = recommender_scores(user_id=member.user_id, room_ids=room_ids)
        low = min(scores.values(), default=0.0)
        rows.append([scores.get(room_id, low) for room_id in room_ids])
    matrix = np.array(rows, dtype=np.float64).reshape(len(members), len(room_ids))
    return percentile_ranks(matrix), version


def group_order(
    *, members: list[Member], room_ids: list[int], misery_weight: float | None = None
) -> tuple[list[int], dict[int, float], np.ndarray, str]:
    """The rooms best first for the group: (order, group score per room, member ranks, model version)."""
    if not room_ids or not members:
        return list(room_ids), {}, np.zeros((len(members), len(room_ids))), ""
    ranks, version = member_ranks(members=members, room_ids=room_ids)
    weight = settings.ML_GROUP_MISERY_WEIGHT if misery_weight is None else misery_weight
    scores = weight * ranks.min(axis=0) + (1.0 - weight) * ranks.mean(axis=0)
    by_room = {room_id: float(score) for room_id, score in zip(room_ids, scores, strict=True)}
    order = sorted(range(len(room_ids)), key=lambda i: (-scores[i], i))
    return [room_ids[i] for i in order], by_room, ranks, version


def group_rerank(*, members: list[Member], room_ids: list[int], weight: float | None = None) -> list[int]:
    """Search results reordered for a party (the chat's party mode), as `recommender_rerank` does for one user:
    (1 - w) x search position + w x group score. The popularity baseline is no one's taste: the order stays."""
    weight = settings.ML_RECOMMENDER_BLEND_WEIGHT if weight is None else weight
    if len(room_ids) < 2 or not members or weight <= 0:
        return list(room_ids)
    _, scores, _, version = group_order(members=members, room_ids=room_ids)
    if version.startswith("baseline"):
        return list(room_ids)
    search = 1.0 - np.arange(len(room_ids)) / (len(room_ids) - 1)
    blended = [(1 - weight) * search[i] + weight * scores[room_id] for i, room_id in enumerate(room_ids)]
    order = sorted(range(len(room_ids)), key=lambda i: (-blended[i], i))
    return [room_ids[i] for i in order]


# --- reasons ------------------------------------------------------------------------------------


def member_reason(member: Member, room: Room, rank: float | None = None) -> str:
    """Why this room suits this member, in a few Korean words ("추리 좋아함", "공포 싫어함 → 공포 제외").

    `rank`: the member's percentile rank of the room among the candidates (None when there were too few to say).
    """
    liked = [genre for genre in room.genres if genre in member.favorite_genres]
    if liked:
        return f"{'·'.join(liked)} 좋아함"
    played = [genre for genre in room.genres if genre in member.played_genres]
    if played:
        return f"{'·'.join(played)} 자주 함"
    if member.disliked_genres:
        genres = "·".join(member.disliked_genres[:2])
        return f"{genres} 싫어함 → {genres} 제외"
    if member.max_fear is not None and member.max_fear <= SCAREDY_MAX_FEAR:
        return f"쫄보 → 공포도 {member.max_fear} 이하"
    if room.region in member.favorite_regions:
        return f"{room.region} 자주 감"
    if member.plays >= 20 and room.difficulty >= 4:
        return f"고인물에게 맞는 난이도 {room.difficulty}"
    if member.plays < 3 and room.difficulty <= 2:
        return "방린이도 편한 난이도"
    if rank is not None and rank >= 0.7:
        return f"취향 점수 상위 {max(1, round((1 - rank) * 100))}%"
    if member.played_genres:
        return f"{room.genres[0]} 새로 도전"
    return "안 해 본 테마"


def reasons_line(reasons: list[tuple[Member, str]]) -> str:
    return ", ".join(f"{member.name}: {reason}" for member, reason in reasons)


# --- the party's recommendations ---------------------------------------------------------------


@dataclass
class PartyPick:
    room: Room
    score: float
    reasons: list[tuple[Member, str]]

    @property
    def reason(self) -> str:
        return reasons_line(self.reasons)


@dataclass
class PartyRecommendations:
    picks: list[PartyPick]
    limits: PartyLimits
    members: list[Member]
    model_version: str


def party_recommendations(
    *,
    party_id: int,
    member_ids: list[int],
    requested_by: int,
    region: str | None = None,
    genres: tuple[str, ...] = (),
    difficulty: str | None = None,
    limit: int = 10,
    available_from=None,
    available_to=None,
) -> PartyRecommendations:
    """The party's best rooms under every member's limits, with a reason per member; records
    `party.recommendations_shown`. With a window (aware datetimes, checked by `rooms.services.slot_window_parse`),
    only rooms with an open slot in it."""
    from analytics.services import EventRejected, event_record

    members = party_members_load(user_ids=member_ids)
    limits = party_limits(members=members)
    filters = limits.filters(region=region, genres=genres, difficulty=difficulty)
    if available_from is not None or available_to is not None:
        filters = dataclasses.replace(filters, available_from=available_from, available_to=available_to)
    candidates = list(room_list(filters=filters).values_list("id", flat=True)[:CANDIDATES_MAX])
    order, scores, ranks, version = group_order(members=members, room_ids=candidates)
    top = order[:limit]
    rooms = Room.objects.select_related("store").in_bulk(top)
    column = {room_id: index for index, room_id in enumerate(candidates)}
    ranked = len(candidates) >= RANKED_REASON_MIN_CANDIDATES and not version.startswith("baseline")

    def rank(row: int, room_id: int) -> float | None:
        return float(ranks[row, column[room_id]]) if ranked else None

    picks = [
        PartyPick(
            room=rooms[room_id],
            score=round(scores[room_id], 4),
            reasons=[
                (member, member_reason(member, rooms[room_id], rank(row, room_id)))
                for row, member in enumerate(members)
            ],
        )
        for room_id in top
        if room_id in rooms
    ]
    with contextlib.suppress(EventRejected):  # analytics never breaks an answer (it counts the rejection)
        event_record(
            type="party.recommendations_shown",
            user_id=requested_by,
            payload={
                "party_id": party_id,
                "room_ids": [pick.room.id for pick in picks],
                "member_ids": [member.user_id for member in members],
                "region": region,
                "genres": list(genres),
            },
        )
    return PartyRecommendations(picks=picks, limits=limits, members=members, model_version=version)
