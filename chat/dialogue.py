"""Dialogue state: what the user has asked for so far, merged turn by turn, and the search filters it means."""

from __future__ import annotations

import unicodedata

from chat.nlu.schema import Entities
from rooms.selectors.search import RoomSearchFilters

CONDITION_KEYS = ("region", "genres", "exclude_genres", "players", "difficulty", "max_price")
# Difficulty 1-5 ranges the words stand for.
DIFFICULTY_RANGES: dict[str, tuple[int, int]] = {"easy": (1, 2), "normal": (2, 4), "hard": (4, 5)}
# Someone who does not want horror does not want a frightening room of another genre either.
NO_HORROR_MAX_FEAR = 2
_RESET_CUES = ("처음부터", "초기화", "리셋", "다시시작", "새로시작", "조건초기화", "reset", "startover")


def state_empty() -> dict:
    return {
        "region": None,
        "genres": [],
        "exclude_genres": [],
        "players": None,
        "difficulty": None,
        "max_price": None,
        "asked_clarification": False,
    }


def _wants_reset(text: str) -> bool:
    compact = "".join(unicodedata.normalize("NFKC", text).split()).lower()
    return any(cue in compact for cue in _RESET_CUES)


def state_merge(*, state: dict | None, entities: Entities, text: str = "") -> dict:
    """Later turns refine earlier ones.

    A new region, party size, difficulty or budget replaces the old one. New genres replace the wanted genres
    ("공포로" after "추리" means horror now). An excluded genre leaves the wanted ones and stays excluded until it
    is asked for again ("공포 말고" … "역시 공포로"). "처음부터" starts over.
    """
    merged = state_empty()
    if state and not _wants_reset(text):
        merged.update({key: value for key, value in state.items() if key in merged})
    for key in ("region", "players", "difficulty", "max_price"):
        value = getattr(entities, key)
        if value is not None:
            merged[key] = value
    if entities.genres:
        merged["genres"] = list(entities.genres)
    excluded = [genre for genre in merged["exclude_genres"] if genre not in entities.genres]
    for genre in entities.exclude_genres:
        if genre not in excluded:
            excluded.append(genre)
    merged["exclude_genres"] = excluded
    merged["genres"] = [genre for genre in merged["genres"] if genre not in excluded]
    return merged


def state_has_condition(state: dict) -> bool:
    return any(state.get(key) for key in CONDITION_KEYS)


def state_filters(state: dict) -> RoomSearchFilters:
    difficulty = DIFFICULTY_RANGES.get(state.get("difficulty") or "")
    excluded = tuple(state.get("exclude_genres") or ())
    return RoomSearchFilters(
        region=state.get("region"),
        genres=tuple(state.get("genres") or ()),
        exclude_genres=excluded,
        players=state.get("players"),
        difficulty_min=difficulty[0] if difficulty else None,
        difficulty_max=difficulty[1] if difficulty else None,
        max_price=state.get("max_price"),
        max_fear=NO_HORROR_MAX_FEAR if "공포" in excluded else None,
    )


def state_describe(state: dict) -> str:
    """Korean summary of the conditions, e.g. '강남 · 공포 · 4명 · 공포 제외'."""
    parts: list[str] = []
    if state.get("region"):
        parts.append(state["region"])
    if state.get("genres"):
        parts.append("·".join(state["genres"]))
    if state.get("players"):
        parts.append(f"{state['players']}명")
    if state.get("difficulty"):
        parts.append({"easy": "쉬운 난이도", "normal": "보통 난이도", "hard": "어려운 난이도"}[state["difficulty"]])
    if state.get("max_price"):
        parts.append(f"1인 {state['max_price']:,}원 이하")
    if state.get("exclude_genres"):
        parts.append("·".join(state["exclude_genres"]) + " 제외")
    return ", ".join(parts)


def state_remove(*, state: dict, slot: str, value: str | None = None) -> dict:
    """The state without one condition (a chip the user removed on the web chat).

    A list slot (genres, exclude_genres) loses `value`, or every entry when `value` is None; any other slot
    is cleared. Raises ValueError for a slot that is not a condition.
    """
    if slot not in CONDITION_KEYS:
        raise ValueError(f"unknown condition {slot!r}")
    changed = {**state_empty(), **{key: item for key, item in (state or {}).items() if key in state_empty()}}
    if isinstance(changed[slot], list):
        changed[slot] = [item for item in changed[slot] if value is not None and item != value]
    else:
        changed[slot] = None
    return changed


def state_public(state: dict | None) -> dict:
    """The conditions a client shows (the chips), without bookkeeping such as `asked_clarification`."""
    full = {**state_empty(), **(state or {})}
    return {key: full[key] for key in CONDITION_KEYS}
