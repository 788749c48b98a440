"""The NLU evaluation set: labelled single turns (`turns.txt`) and multi-turn dialogues (`dialogues.txt`).

Both files are plain text so that a person can read, review and extend them (their headers say the format).
Each item's split comes from a hash of its text (a turn) or its name (a dialogue), never from a choice:
half `train`, a fifth `dev`, the rest `heldout`. Rules and the learned intent classifier are tuned on train and
dev only; `bench/nlu_quality.py` reports the held-out part.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

EVAL_DIR = Path(__file__).resolve().parent
SPLITS = ("train", "dev", "heldout")
INTENTS = {"rec": "room_recommendation", "ask": "room_inquiry", "chat": "general_chat"}
# Slots whose value is a comma-separated list (compared as sets).
LIST_SLOTS = ("genres", "exclude", "adjust", "topics")
INT_SLOTS = ("players", "price", "delta")
TURN_SLOTS = (
    "region",
    "genres",
    "exclude",
    "players",
    "difficulty",
    "price",
    "name",
    "fear",
    "activity",
    "ref",
    "delta",
    "adjust",
    "topics",
    "when",  # the time window, "YYYY-MM-DDTHH:MM/YYYY-MM-DDTHH:MM" in Asia/Seoul, read relative to EVAL_NOW
)
# "Now" for the labelled days and times: a Wednesday afternoon, so that 이번 주 and 다음 주 differ.
EVAL_NOW = datetime(2026, 12, 2, 15, 0, tzinfo=ZoneInfo("Asia/Seoul"))
STATE_SLOTS = ("region", "any", "genres", "exclude", "players", "difficulty", "fear", "activity", "price")
_ROOM = re.compile(r"^([A-Z])\((\d),(\d),(\d)\)$")


def split_of(key: str) -> str:
    bucket = int(hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest(), 16) % 10
    return "train" if bucket < 5 else "dev" if bucket < 7 else "heldout"


def _value(slot: str, raw: str):
    if slot in LIST_SLOTS:
        return tuple(sorted(item for item in raw.split(",") if item))
    if slot in INT_SLOTS:
        return int(raw)
    return raw


def slots_parse(text: str, allowed: tuple[str, ...]) -> dict:
    slots: dict = {}
    for part in shlex.split(text):
        slot, _, raw = part.partition("=")
        if slot not in allowed or not raw:
            raise ValueError(f"unknown or empty slot {part!r}")
        slots[slot] = _value(slot, raw)
    return slots


@dataclass(frozen=True)
class LabelledTurn:
    text: str
    intent: str  # room_recommendation | room_inquiry | general_chat
    slots: dict
    split: str
    line: int


@dataclass(frozen=True)
class ShownRoom:
    """A room the assistant showed in a dialogue: a letter standing for its id, and the facts relative
    changes are measured from."""

    key: str
    difficulty: int
    fear: int
    activity: int


@dataclass
class DialogueTurn:
    text: str
    expected: dict  # STATE_SLOTS (absent: empty) and "room": the letters the turn asked about
    shown: list[ShownRoom] = field(default_factory=list)  # "@": the list the answer showed
    resolved: ShownRoom | None = None  # "@=": the room an inquiry by name resolved to


@dataclass
class Dialogue:
    name: str
    split: str
    turns: list[DialogueTurn]


def _lines(name: str):
    for number, raw in enumerate((EVAL_DIR / name).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip()
        if line and (line.startswith("## ") or not line.startswith("#")):
            yield number, line


def turns_load() -> list[LabelledTurn]:
    turns = []
    for number, line in _lines("turns.txt"):
        text, _, label = line.partition(" || ")
        intent, _, rest = label.strip().partition(" ")
        if intent not in INTENTS:
            raise ValueError(f"turns.txt:{number}: unknown intent {intent!r}")
        try:
            slots = slots_parse(rest, TURN_SLOTS)
        except ValueError as exc:
            raise ValueError(f"turns.txt:{number}: {exc}") from exc
        turns.append(LabelledTurn(text.strip(), INTENTS[intent], slots, split_of(text.strip()), number))
    return turns


def _rooms(text: str, number: int) -> list[ShownRoom]:
    rooms = []
    for part in text.split():
        match = _ROOM.match(part)
        if not match:
            raise ValueError(f"dialogues.txt:{number}: bad room {part!r}")
        rooms.append(ShownRoom(match.group(1), int(match.group(2)), int(match.group(3)), int(match.group(4))))
    return rooms


def dialogues_load() -> list[Dialogue]:
    dialogues: list[Dialogue] = []
    for number, line in _lines("dialogues.txt"):
        if line.startswith("## "):
            name = line[3:].strip()
            dialogues.append(Dialogue(name=name, split=split_of(name), turns=[]))
        elif line.startswith("> "):
            dialogues[-1].turns.append(DialogueTurn(text=line[2:].strip(), expected={}))
        elif line.startswith("="):
            expected = slots_parse(line[1:], (*STATE_SLOTS, "room"))
            if "room" in expected:
                expected["room"] = tuple(sorted(expected["room"].split(",")))
            dialogues[-1].turns[-1].expected = expected
        elif line.startswith("@= "):
            (dialogues[-1].turns[-1].resolved,) = _rooms(line[3:], number)
        elif line.startswith("@ "):
            dialogues[-1].turns[-1].shown = _rooms(line[2:], number)
        else:
            raise ValueError(f"dialogues.txt:{number}: cannot read {line!r}")
    return dialogues
