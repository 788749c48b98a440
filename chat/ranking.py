"""Which of the rooms that meet the conditions to show, in what order.

Every candidate already meets the conditions (they are the search filters, in both legs of the hybrid search and in
the rated listing). Among them the score is

    Bayesian-averaged rating  +  FIT_WEIGHT × fit  +  WORDS_WEIGHT × relevance  +  personal_weight() × personal

- the Bayesian average pulls a rating toward the catalogue's mean by `PRIOR_REVIEWS` imagined reviews, so 4.7 from
  300 reviews beats 5.0 from 3;
- fit (0-1): how squarely the room sits in what was asked (fear 0 for "안 무서운", activity 5 for "활동적인", the
  middle of a difficulty range, more of the wanted genres, cheaper under a budget);
- relevance (0-1): the hybrid search's order for the words that are no condition ("스토리 좋은", "눈물 나는");
- personal (0-1): the recommender's score for this user (`ml.inference.recommender_scores`; nothing when only the
  popularity baseline answers), weighted by `ML_RECOMMENDER_BLEND_WEIGHT` × `PERSONAL_SCALE` (0.3 × 0.4 = 0.12).

The three extras add at most `clear_margin()` (0.30 by default) together, so a room rated clearly better (by more
than that, averaged) is never left out for a worse one that fits as well (a test checks it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from analytics import metrics
from chat.dialogue import ACTIVITY_RANGES, DIFFICULTY_RANGES, FEAR_RANGES, state_normalised
from chat.nlu.local import search_words
from ml.inference import recommender_scores
from rooms.models import Room
from rooms.selectors.rooms import bayesian_rating, catalogue_rating_mean, room_list_rated
from rooms.selectors.search import RoomSearchFilters, room_search_hybrid

logger = logging.getLogger(__name__)

PRIOR_REVIEWS = 20.0
FIT_WEIGHT = 0.10
WORDS_WEIGHT = 0.08
# A full personal weight (ML_RECOMMENDER_BLEND_WEIGHT = 1) is worth 0.4 of a star: taste moves rooms of about the
# same rating, never a clearly worse one above a clearly better one.
PERSONAL_SCALE = 0.4


def personal_weight() -> float:
    return max(0.0, float(settings.ML_RECOMMENDER_BLEND_WEIGHT)) * PERSONAL_SCALE


def clear_margin() -> float:
    """How much better (averaged rating) a fitting room must be to be sure of coming before another."""
    return FIT_WEIGHT + WORDS_WEIGHT + personal_weight()


# How far above the catalogue's mean a room's averaged rating must be for a reply to mention it.
WELL_RATED_MARGIN = 0.25
RATED_POOL = 40
WORDS_POOL = 20


@dataclass
class RankedRooms:
    rooms: list[Room]
    found: int  # rooms meeting the conditions
    well_rated: set[int] = field(default_factory=set)
    scores: dict[int, float] = field(default_factory=dict)


def _span_fit(value: int, bounds: tuple[int, int], prefer: str) -> float:
    low, high = bounds
    if high == low:
        return 1.0
    share = (value - low) / (high - low)
    share = min(1.0, max(0.0, share))
    if prefer == "low":
        return 1.0 - share
    if prefer == "high":
        return share
    return 1.0 - abs(share - 0.5) * 2


def room_fit(room: Room, state: dict) -> float:
    """0-1: how squarely the room meets the soft side of the conditions (0 when there is nothing to prefer)."""
    state = state_normalised(state)
    parts: list[float] = []
    fear = state["fear"]
    if fear is not None or "공포" in state["exclude_genres"]:
        bounds = FEAR_RANGES.get(fear) if isinstance(fear, str) else tuple(fear) if fear else (0, 2)
        prefer = "high" if fear == "high" else "middle" if fear == "mid" else "low"
        parts.append(_span_fit(room.fear, bounds, prefer))
    activity = state["activity"]
    if activity:
        parts.append(_span_fit(room.activity, ACTIVITY_RANGES[activity], "high" if activity == "high" else "low"))
    difficulty = state["difficulty"]
    if difficulty:
        bounds = DIFFICULTY_RANGES.get(difficulty) if isinstance(difficulty, str) else tuple(difficulty)
        prefer = "high" if difficulty == "hard" else "low" if difficulty == "easy" else "middle"
        parts.append(_span_fit(room.difficulty, bounds, prefer))
    if len(state["genres"]) > 1:
        parts.append(len(set(room.genres) & set(state["genres"])) / len(state["genres"]))
    if state["max_price"]:
        parts.append(max(0.0, 1.0 - room.price / state["max_price"]) * 2)
    return min(1.0, sum(parts) / len(parts)) if parts else 0.0


def _personal(user_id: int | None, room_ids: list[int]) -> dict[int, float]:
    """0-1 per room from the recommender; empty when only the popularity baseline answers or it fails."""
    if not user_id or len(room_ids) < 2 or personal_weight() <= 0:
        return {}
    try:
        scores, version = recommender_scores(user_id=user_id, room_ids=room_ids)
    except Exception:  # personalisation is an extra: a broken model never breaks the reply
        logger.exception("personal scores failed; ranking without them")
        metrics.error_observe("rerank_failed", "chat")
        return {}
    if version.startswith("baseline") or not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    spread = high - low
    return {room_id: (scores.get(room_id, low) - low) / spread if spread > 0 else 0.0 for room_id in room_ids}


def rooms_rank(*, user_id: int | None, filters: RoomSearchFilters, state: dict, text: str, limit: int) -> RankedRooms:
    """The `limit` best rooms meeting `filters` for this conversation, and how many meet them."""
    pool = max(RATED_POOL, settings.CHAT_RERANK_CANDIDATES, limit)  # taste can lift a room from below the cut
    rated, found = room_list_rated(filters=filters, limit=pool)
    if not found:
        return RankedRooms(rooms=[], found=0)
    candidates = {room.id: room for room in rated}
    relevance: dict[int, float] = {}
    words = search_words(text)
    if words:
        hits = room_search_hybrid(query=words, filters=filters, limit=WORDS_POOL)
        for rank, hit in enumerate(hits):
            candidates.setdefault(hit.room.id, hit.room)
            relevance[hit.room.id] = 1.0 - rank / max(len(hits), 1)
    prior_mean = catalogue_rating_mean()
    personal = _personal(user_id, list(candidates))
    weight = personal_weight()
    scores: dict[int, float] = {}
    averaged: dict[int, float] = {}
    for room_id, room in candidates.items():
        averaged[room_id] = bayesian_rating(
            rating=float(room.rating), reviews=room.review_count, prior_mean=prior_mean, prior_reviews=PRIOR_REVIEWS
        )
        scores[room_id] = (
            averaged[room_id]
            + FIT_WEIGHT * room_fit(room, state)
            + WORDS_WEIGHT * relevance.get(room_id, 0.0)
            + weight * personal.get(room_id, 0.0)
        )
    order = sorted(candidates, key=lambda room_id: (-scores[room_id], room_id))[:limit]
    well_rated = {room_id for room_id in order if averaged[room_id] >= prior_mean + WELL_RATED_MARGIN}
    return RankedRooms(
        rooms=[candidates[room_id] for room_id in order],
        found=found,
        well_rated=well_rated,
        scores={room_id: round(scores[room_id], 4) for room_id in order},
    )
