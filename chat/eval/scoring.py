"""Scoring the NLU and the dialogue state against the labelled set (`bench/nlu_quality.py` prints it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from chat.eval import LIST_SLOTS, TURN_SLOTS, LabelledTurn
from chat.nlu.schema import MessageAnalysis


def _compact(text: str) -> str:
    return "".join(str(text).split()).lower()


def analysis_slots(analysis: MessageAnalysis) -> dict:
    """An analysis in the labels' terms (lists as sorted tuples, room names compact)."""
    e = analysis.entities
    slots = {
        "region": e.region,
        "genres": tuple(sorted(e.genres)),
        "exclude": tuple(sorted(e.exclude_genres)),
        "players": e.players,
        "difficulty": e.difficulty,
        "price": e.max_price,
        "name": e.room_name,
        "fear": e.fear,
        "activity": e.activity,
        "ref": e.reference,
        "delta": e.players_delta,
        "adjust": tuple(sorted(e.adjust)),
        "topics": tuple(sorted(e.topics)),
        "when": window_text(e.when),
    }
    return {key: value for key, value in slots.items() if value not in (None, (), "")}


def window_text(when) -> str | None:
    """A window as the labels write it: "2026-12-05T18:00/2026-12-05T20:00" (Asia/Seoul)."""
    if when is None:
        return None
    from chat.nlu.when import SEOUL

    return f"{when.start.astimezone(SEOUL):%Y-%m-%dT%H:%M}/{when.end.astimezone(SEOUL):%Y-%m-%dT%H:%M}"


def _items(slot: str, value) -> set:
    if value is None:
        return set()
    if slot in LIST_SLOTS:
        return {(slot, item) for item in value}
    if slot == "name":
        return {(slot, _compact(value))}
    return {(slot, value)}


@dataclass
class TurnScores:
    total: int = 0
    intent_correct: int = 0
    slot_counts: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))  # slot → [tp, fp, fn]
    errors: list = field(default_factory=list)  # (turn, predicted intent, predicted slots)

    def add(self, turn: LabelledTurn, analysis: MessageAnalysis) -> None:
        self.total += 1
        predicted = analysis_slots(analysis)
        ok = analysis.intent == turn.intent
        self.intent_correct += ok
        for slot in TURN_SLOTS:
            gold = _items(slot, turn.slots.get(slot))
            guess = _items(slot, predicted.get(slot))
            counts = self.slot_counts[slot]
            counts[0] += len(gold & guess)
            counts[1] += len(guess - gold)
            counts[2] += len(gold - guess)
            ok = ok and gold == guess
        if not ok:
            self.errors.append((turn, analysis.intent, predicted))

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.total if self.total else 0.0

    def slot_f1(self) -> dict[str, tuple[float, int]]:
        """slot → (F1, number of labelled values); slots never labelled nor predicted are left out."""
        out = {}
        for slot in TURN_SLOTS:
            tp, fp, fn = self.slot_counts[slot]
            if tp + fp + fn == 0:
                continue
            out[slot] = (2 * tp / (2 * tp + fp + fn), tp + fn)
        return out


def _expected_state(expected: dict) -> dict:
    def bounds(value):
        if isinstance(value, str) and "-" in value:
            low, high = value.split("-")
            return [int(low), int(high)]
        return value

    return {
        "region": expected.get("region"),
        "any_region": expected.get("any") == "1",
        "genres": sorted(expected.get("genres", ())),
        "exclude_genres": sorted(expected.get("exclude", ())),
        "players": expected.get("players"),
        "difficulty": bounds(expected.get("difficulty")),
        "fear": bounds(expected.get("fear")),
        "activity": expected.get("activity"),
        "max_price": expected.get("price"),
        "room": tuple(expected.get("room", ())),
    }


def _tracked_state(state: dict, referents: list[int]) -> dict:
    return {
        "region": state["region"],
        "any_region": bool(state["any_region"]),
        "genres": sorted(state["genres"]),
        "exclude_genres": sorted(state["exclude_genres"]),
        "players": state["players"],
        "difficulty": list(state["difficulty"])
        if isinstance(state["difficulty"], list | tuple)
        else state["difficulty"],
        "fear": list(state["fear"]) if isinstance(state["fear"], list | tuple) else state["fear"],
        "activity": state["activity"],
        "max_price": state["max_price"],
        "room": tuple(sorted(chr(room_id) for room_id in referents)),
    }


@dataclass
class DialogueScores:
    turns: int = 0
    correct: int = 0
    dialogues: int = 0
    dialogues_correct: int = 0
    errors: list = field(default_factory=list)  # (dialogue name, turn text, expected, tracked)

    @property
    def accuracy(self) -> float:
        return self.correct / self.turns if self.turns else 0.0

    def add(self, dialogue, analyze) -> None:
        """Runs one labelled dialogue through `analyze` and `chat.dialogue.state_update`; rooms stand for their
        letters (id = the letter's code point)."""
        from chat.dialogue import state_focus, state_shown, state_update

        state = None
        all_right = True
        for turn in dialogue.turns:
            update = state_update(state=state, analysis=analyze(turn.text), text=turn.text)
            state = update.state
            if turn.resolved is not None:
                state = state_focus(state, _room(turn.resolved))
            tracked = _tracked_state(state, update.referents)
            expected = _expected_state(turn.expected)
            self.turns += 1
            if tracked == expected:
                self.correct += 1
            else:
                all_right = False
                self.errors.append((dialogue.name, turn.text, expected, tracked))
            if turn.shown:
                state = state_shown(state, [_room(room) for room in turn.shown])
        self.dialogues += 1
        self.dialogues_correct += all_right


def _room(room) -> dict:
    return {"id": ord(room.key), "difficulty": room.difficulty, "fear": room.fear, "activity": room.activity}
