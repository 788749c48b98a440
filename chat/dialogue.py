"""Dialogue state: what the user has asked for so far, what was shown, and the search filters it means.

The state is a plain dict stored on `ChatSession.state`:
- conditions (`CONDITION_KEYS`): region, genres, exclude_genres, players, difficulty, fear, activity, max_price,
  party (the party planned for, chat.party_mode), when (a time window, `chat.nlu.when.When` as JSON: start, end,
  label and the parts said; a later turn changes the part it names, "시간 상관없어" clears it).
  `difficulty` and `fear` hold a word ("easy", "low", …) or, after a relative change, a [low, high] range;
- `any_region`: the user said any region will do (so the assistant stops asking);
- `shown`: the rooms of the last list (id and the facts relative changes are measured from); `focus`: the room
  talked about last; `seen`: rooms already shown for these conditions ("다른 거" shows others);
- `pending`: a question the assistant asked and the next turn may answer (which region, which of several rooms);
- `lang`: the language of the user's last message ("ko" or "en").

`state_update` folds one analysed message into the state and tells what the message refers to; it reads no
database, so `bench/nlu_quality.py` scores it on labelled dialogues. A new kind of condition (a party, a time
window) is one `Slot` in `SLOTS`: how a message sets it, how it filters, how it reads, how it is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from chat.nlu.local import text_language, wants_reset
from chat.nlu.schema import Entities, MessageAnalysis
from chat.nlu.when import when_combine, when_of
from rooms.selectors.search import RoomSearchFilters

# Difficulty 1-5, fear 0-5 and activity 1-5 ranges the words stand for.
DIFFICULTY_RANGES: dict[str, tuple[int, int]] = {"easy": (1, 2), "normal": (2, 4), "hard": (4, 5)}
FEAR_RANGES: dict[str, tuple[int, int]] = {"low": (0, 1), "mid": (2, 3), "high": (4, 5)}
ACTIVITY_RANGES: dict[str, tuple[int, int]] = {"high": (4, 5), "low": (1, 2)}
# Someone who does not want horror does not want a frightening room of another genre either.
NO_HORROR_MAX_FEAR = 2
# How many rooms already shown are kept out of a "다른 거" search (and of the state).
SEEN_LIMIT = 60


@dataclass(frozen=True)
class Slot:
    """One kind of condition: its empty value, what clears it, and how it narrows the search."""

    name: str
    empty: object
    drop: str | None  # the adjustment that clears it ("drop_players")
    filters: Callable[[object], dict]  # value → RoomSearchFilters keywords


def _range(value, words: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
    if isinstance(value, str):
        return words.get(value)
    if isinstance(value, list | tuple) and len(value) == 2:
        return int(value[0]), int(value[1])
    return None


def _difficulty_filters(value) -> dict:
    bounds = _range(value, DIFFICULTY_RANGES)
    return {"difficulty_min": bounds[0], "difficulty_max": bounds[1]} if bounds else {}


def _fear_filters(value) -> dict:
    bounds = _range(value, FEAR_RANGES)
    return {"min_fear": bounds[0] or None, "max_fear": bounds[1]} if bounds else {}


def _activity_filters(value) -> dict:
    bounds = _range(value, ACTIVITY_RANGES)
    return {"min_activity": bounds[0], "max_activity": bounds[1]} if bounds else {}


def _when_filters(value) -> dict:
    when = when_of(value)
    return {"available_from": when.start, "available_to": when.end} if when else {}


SLOTS: tuple[Slot, ...] = (
    Slot("region", None, "any_region", lambda value: {"region": value}),
    Slot("genres", [], "drop_genres", lambda value: {"genres": tuple(value)}),
    Slot("exclude_genres", [], None, lambda value: {"exclude_genres": tuple(value)}),
    Slot("players", None, "drop_players", lambda value: {"players": value}),
    Slot("difficulty", None, "drop_difficulty", _difficulty_filters),
    Slot("fear", None, "drop_fear", _fear_filters),
    Slot("activity", None, "drop_activity", _activity_filters),
    Slot("max_price", None, "drop_price", lambda value: {"max_price": value}),
    # In party mode {"id", "name", "size"} (None for one person). Set by `chat.party_mode`, not by the NLU, and its
    # filters (the members' plays, size, dislikes and fear limits) need the database: `PartyLimits.apply` adds them.
    Slot("party", None, None, lambda value: {}),
    # Only rooms with an open slot in the window (both search legs); the cards show those slots.
    Slot("when", None, "drop_when", _when_filters),
)
CONDITION_KEYS: tuple[str, ...] = tuple(slot.name for slot in SLOTS)
_BOOKKEEPING: dict[str, object] = {
    "any_region": False,
    "shown": [],
    "focus": None,
    "seen": [],
    "pending": None,
    "lang": "ko",
    "suggestions": [],
    "last_tip": None,
    "played_noted": [],  # played rooms the replies have already said they left out (chat.party_mode)
}


def state_empty() -> dict:
    state = {slot.name: _copy(slot.empty) for slot in SLOTS}
    state.update({key: _copy(value) for key, value in _BOOKKEEPING.items()})
    return state


def _copy(value):
    return list(value) if isinstance(value, list) else value


def state_normalised(state: dict | None) -> dict:
    """Every key present (a state stored before a key existed gains it empty); unknown keys are dropped."""
    full = state_empty()
    for key, value in (state or {}).items():
        if key in full:
            full[key] = value
    return full


@dataclass
class StateUpdate:
    """One message folded into the state, and what it refers to."""

    state: dict
    referents: list[int] = field(default_factory=list)  # ids of the rooms an inquiry asks about
    changed: list[str] = field(default_factory=list)  # condition slots this message changed
    # Why a change could not apply as said: "delta_without_players", "no_such_room:3", "easiest_already", …
    notes: list[str] = field(default_factory=list)


def _rounded_mean(values: list[int]) -> int:
    return math.floor(sum(values) / len(values) + 0.5)


def _relative(state: dict, key: str, direction: int, words: dict, lowest: int, highest: int, notes: list[str]):
    """The new value of `key` one step easier/harder (or less/more scary) than the rooms shown.

    From the last list's rounded mean: one step below it, up to the bound already in force, so a new list never
    repeats the one it moves away from. Nothing shown: the word at that end ("easy", "hard", "low", "high").
    """
    facts = [room[key] for room in state["shown"] if isinstance(room.get(key), int)]
    if not facts:
        return next(
            word for word, (low, high) in words.items() if (low == lowest if direction < 0 else high == highest)
        )
    current = _range(state[key], words)
    if direction < 0:
        high = _rounded_mean(facts) - 1
        if current:
            high = min(high, current[1] - 1) if current[1] <= high else high
        if high < lowest:
            notes.append(f"{key}_lowest")
            high = lowest
        return [lowest, high]
    low = _rounded_mean(facts) + 1
    if current and current[0] >= low:
        low = current[0] + 1
    if low > highest:
        notes.append(f"{key}_highest")
        low = highest
    return [low, highest]


def state_update(*, state: dict | None, analysis: MessageAnalysis, text: str = "") -> StateUpdate:
    """Later turns refine earlier ones.

    A new region, party size, difficulty, fear, activity or budget replaces the old one; "한 명 더" adds to the
    party; "좀 더 쉬운 거" moves below the rooms shown; new genres replace the wanted genres ("공포로" after "추리"
    means horror now); an excluded genre leaves the wanted ones and stays excluded until asked for again
    ("공포 말고" … "역시 공포로"); "인원 상관없이" drops a condition; "처음부터" starts over. A question about
    rooms changes no condition: it only says which rooms it asks about.
    """
    previous = state_normalised(state)
    entities = analysis.entities
    language = text_language(text, room_name=entities.room_name) if text else previous["lang"]
    if analysis.intent == "room_inquiry":
        update = StateUpdate(state={**previous, "lang": language, "pending": None})
        if entities.when is not None:  # "거기 토요일 저녁에 자리 있어?": the time holds for what follows too
            combined = when_combine(when_of(previous["when"]), entities.when, now=timezone.now())
            update.state["when"] = combined.state_value()
        update.referents = _referents(previous, entities, update.notes)
        if len(update.referents) == 1:
            update.state["focus"] = update.referents[0]
        return update

    merged = state_empty() if wants_reset(text) else {**previous}
    merged["lang"] = language
    merged["pending"] = None
    notes: list[str] = []
    before = {key: previous[key] for key in CONDITION_KEYS} | {"any_region": previous["any_region"]}

    if entities.region:
        merged["region"], merged["any_region"] = entities.region, False
    if "other_region" in entities.adjust:
        merged["pending"] = {"kind": "region", "avoid": previous["region"]}
        merged["region"], merged["any_region"] = None, False
    if "any_region" in entities.adjust:
        merged["region"], merged["any_region"] = None, True

    if entities.players is not None:
        merged["players"] = entities.players
    elif entities.players_delta:
        if merged["players"]:
            merged["players"] = max(1, min(20, merged["players"] + entities.players_delta))
        else:
            notes.append("delta_without_players")

    _merge_genres(merged, entities)
    if entities.difficulty:
        merged["difficulty"] = entities.difficulty
    if entities.fear:
        merged["fear"] = entities.fear
    if entities.activity:
        merged["activity"] = entities.activity
    if entities.max_price is not None:
        merged["max_price"] = entities.max_price
    if entities.when is not None:
        # "일요일로" keeps the time asked before, "9시로" the day.
        merged["when"] = when_combine(when_of(previous["when"]), entities.when, now=timezone.now()).state_value()

    if "easier" in entities.adjust or "harder" in entities.adjust:
        direction = -1 if "easier" in entities.adjust else 1
        merged["difficulty"] = _relative(previous, "difficulty", direction, DIFFICULTY_RANGES, 1, 5, notes)
    if "less_scary" in entities.adjust or "scarier" in entities.adjust:
        direction = -1 if "less_scary" in entities.adjust else 1
        merged["fear"] = _relative(previous, "fear", direction, FEAR_RANGES, 0, 5, notes)

    for slot in SLOTS:
        if slot.drop and slot.drop in entities.adjust and slot.name != "region":
            merged[slot.name] = _copy(slot.empty)
    if "drop_fear" in entities.adjust:
        merged["exclude_genres"] = [genre for genre in merged["exclude_genres"] if genre != "공포"]

    changed = [key for key in CONDITION_KEYS if merged[key] != before[key]]
    if merged["any_region"] != before["any_region"]:
        changed.append("any_region")
    if "more" in entities.adjust and not changed:
        merged["seen"] = _seen_with(previous["seen"], [room["id"] for room in previous["shown"]])
    elif changed:
        merged["seen"] = []
    if changed:
        merged["focus"] = None
    return StateUpdate(state=merged, changed=changed, notes=notes)


def _seen_with(seen: list[int], more: list[int]) -> list[int]:
    out = list(seen)
    for room_id in more:
        if room_id not in out:
            out.append(room_id)
    return out[-SEEN_LIMIT:]


def _merge_genres(merged: dict, entities: Entities) -> None:
    if entities.genres:
        merged["genres"] = list(entities.genres)
    excluded = [genre for genre in merged["exclude_genres"] if genre not in entities.genres]
    for genre in entities.exclude_genres:
        if genre not in excluded:
            excluded.append(genre)
    merged["exclude_genres"] = excluded
    merged["genres"] = [genre for genre in merged["genres"] if genre not in excluded]
    # Asking for horror again lifts "not scary"; asking for a very scary room lifts "no horror".
    if "공포" in entities.genres and merged["fear"] == "low" and entities.fear != "low":
        merged["fear"] = None
    if entities.fear == "high":
        merged["exclude_genres"] = [genre for genre in merged["exclude_genres"] if genre != "공포"]


def _referents(state: dict, entities: Entities, notes: list[str]) -> list[int]:
    """The rooms a question is about: the one it points at, else the room talked about, else the last list."""
    shown = [room["id"] for room in state["shown"]]
    reference = entities.reference
    if entities.room_name:
        return []  # a name: the service looks it up
    if reference and reference not in ("it",):
        index = len(shown) - 1 if reference == "last" else int(reference) - 1
        if 0 <= index < len(shown):
            return [shown[index]]
        notes.append(f"no_such_room:{reference}")
        return []
    if state["focus"]:
        return [state["focus"]]
    return shown


def state_shown(state: dict, rooms: list) -> dict:
    """The state after a list of rooms was shown (rooms: Room objects or dicts with the facts)."""
    snapshot = [_room_facts(room) for room in rooms]
    return {**state, "shown": snapshot, "focus": snapshot[0]["id"] if len(snapshot) == 1 else None}


def state_focus(state: dict, room) -> dict:
    """The state after a question about one room was answered: that room is the one talked about."""
    return {**state, "focus": _room_facts(room)["id"]}


def _room_facts(room) -> dict:
    get = room.get if isinstance(room, dict) else lambda key: getattr(room, key)
    return {"id": get("id"), "difficulty": get("difficulty"), "fear": get("fear"), "activity": get("activity")}


def state_has_condition(state: dict) -> bool:
    return any(state.get(key) for key in CONDITION_KEYS)


def state_filters(state: dict, *, exclude_room_ids: tuple[int, ...] = ()) -> RoomSearchFilters:
    """The search filters the state's conditions mean (rooms already seen for "다른 거" are left out)."""
    state = state_normalised(state)
    keywords: dict = {}
    for slot in SLOTS:
        value = state[slot.name]
        if value not in (None, [], ""):
            keywords.update(slot.filters(value))
    if "공포" in state["exclude_genres"] and keywords.get("max_fear") is None:
        keywords["max_fear"] = NO_HORROR_MAX_FEAR
    excluded = tuple(dict.fromkeys((*state["seen"], *exclude_room_ids)))
    if excluded:
        keywords["exclude_ids"] = excluded
    return RoomSearchFilters(**{key: value for key, value in keywords.items() if value is not None or key == "region"})


def state_remove(*, state: dict, slot: str, value: str | None = None) -> dict:
    """The state without one condition (a chip the user removed on the web chat).

    A list slot (genres, exclude_genres) loses `value`, or every entry when `value` is None; any other slot
    is cleared. Raises ValueError for a slot that is not a condition.
    """
    if slot not in CONDITION_KEYS:
        raise ValueError(f"unknown condition {slot!r}")
    changed = state_normalised(state)
    if isinstance(changed[slot], list) and slot in ("genres", "exclude_genres"):
        changed[slot] = [item for item in changed[slot] if value is not None and item != value]
    else:
        changed[slot] = None
    if slot == "region":
        changed["any_region"] = True  # taking the region away means any region will do, not "ask me where"
    changed["seen"] = []
    return changed


def state_public(state: dict | None) -> dict:
    """The conditions a client shows (the chips), without bookkeeping such as `shown` or `pending`."""
    full = state_normalised(state)
    return {key: full[key] for key in CONDITION_KEYS}
