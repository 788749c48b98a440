"""Feature vectors shared by training and serving, so both see a room or a user the same way."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rooms.vocabulary import GENRE_NAMES, REGION_NAMES

EMBEDDING_DIM = 512
ROOM_FEATURE_NAMES = (
    *(f"genre:{g}" for g in GENRE_NAMES),
    *(f"region:{r}" for r in REGION_NAMES),
    "difficulty",
    "fear",
    "activity",
    "price",
)
USER_FEATURE_NAMES = (*(f"likes_genre:{g}" for g in GENRE_NAMES), *(f"likes_region:{r}" for r in REGION_NAMES))
_GENRE_POS = {g: i for i, g in enumerate(GENRE_NAMES)}
_REGION_POS = {r: i for i, r in enumerate(REGION_NAMES)}


def room_features(
    *,
    genres: Sequence[str],
    region: str,
    difficulty: int,
    fear: int,
    activity: int,
    price: int,
    embedding: Sequence[float] | None,
) -> list[float]:
    """Genres and region one-hot, difficulty/fear/activity scaled to 0-1, log price, then the
    512-d text embedding (zeros while a room has none yet)."""
    vector = [0.0] * (len(GENRE_NAMES) + len(REGION_NAMES))
    for genre in genres:
        if genre in _GENRE_POS:
            vector[_GENRE_POS[genre]] = 1.0
    if region in _REGION_POS:
        vector[len(GENRE_NAMES) + _REGION_POS[region]] = 1.0
    vector += [difficulty / 5.0, fear / 5.0, activity / 5.0, math.log1p(max(price, 0)) / 12.0]
    vector += [float(x) for x in embedding] if embedding is not None else [0.0] * EMBEDDING_DIM
    return vector


def user_features(*, favorite_genres: Sequence[str], favorite_regions: Sequence[str]) -> list[float]:
    vector = [0.0] * (len(GENRE_NAMES) + len(REGION_NAMES))
    for genre in favorite_genres:
        if genre in _GENRE_POS:
            vector[_GENRE_POS[genre]] = 1.0
    for region in favorite_regions:
        if region in _REGION_POS:
            vector[len(GENRE_NAMES) + _REGION_POS[region]] = 1.0
    return vector
