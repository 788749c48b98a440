"""How well the offline NLU and the dialogue state understand players: the labelled set in `chat/eval/`.

    .venv/bin/python bench/nlu_quality.py [--split heldout] [--errors]

Reads `chat/eval/turns.txt` (single turns: intent and 13 slots) and `chat/eval/dialogues.txt` (multi-turn
dialogues: the state after each turn and the rooms each question is about), runs `chat.nlu.local.local_analyze`
and `chat.dialogue.state_update` on them and prints, for the held-out part (and for train and dev, for reference):
intent accuracy, per-slot F1, dialogue-state accuracy (a turn counts only if every condition and the rooms it asks
about are right) and whole dialogues right. Baselines measured in the same run: the majority intent, and a state
tracker without references or relative changes (what the chat had before: absolute conditions only).
Targets: intent >= 0.97, every slot >= 0.95, dialogue state >= 0.95 on held-out. No database is needed.
`--errors` lists the mistakes of train and dev only: the held-out part is never read item by item.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.test")

TARGET_INTENT = 0.97
TARGET_SLOT = 0.95
TARGET_STATE = 0.95


def _absolute_only(analysis):
    """The analysis as a tracker without references or relative changes would use it."""
    from chat.nlu.schema import MessageAnalysis

    entities = analysis.entities.model_copy(update={"players_delta": None, "adjust": [], "reference": None})
    return MessageAnalysis(intent=analysis.intent, entities=entities)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="heldout", choices=("train", "dev", "heldout"))
    parser.add_argument("--errors", action="store_true", help="list train and dev mistakes")
    args = parser.parse_args()

    import django

    django.setup()
    from chat.eval import EVAL_NOW, SPLITS, dialogues_load, turns_load
    from chat.eval.scoring import DialogueScores, TurnScores
    from chat.nlu.local import local_analyze

    turns = turns_load()
    dialogues = dialogues_load()
    local_analyze("워밍업")  # the morpheme model loads once

    started = time.perf_counter()
    analyses = {turn.text: local_analyze(turn.text, now=EVAL_NOW) for turn in turns}
    per_message_ms = (time.perf_counter() - started) * 1000 / len(turns)

    english = sum(1 for turn in turns if _is_english(turn.text))
    print(
        f"labelled set: {len(turns)} turns ({english} English or mixed, {english / len(turns):.0%}), "
        f"{len(dialogues)} dialogues ({sum(len(d.turns) for d in dialogues)} turns)"
    )
    turn_splits = dict(Counter(turn.split for turn in turns))
    dialogue_splits = dict(Counter(dialogue.split for dialogue in dialogues))
    print(f"split sizes: turns {turn_splits}, dialogues {dialogue_splits}")
    print(f"offline NLU: {per_message_ms:.2f} ms per message\n")

    results = {}
    for split in SPLITS:
        scores = TurnScores()
        for turn in turns:
            if turn.split == split:
                scores.add(turn, analyses[turn.text])
        state = DialogueScores()
        baseline_state = DialogueScores()
        for dialogue in dialogues:
            if dialogue.split == split:
                state.add(dialogue, local_analyze)
                baseline_state.add(dialogue, lambda text: _absolute_only(local_analyze(text)))
        majority = Counter(turn.intent for turn in turns if turn.split == "train").most_common(1)[0][0]
        majority_accuracy = sum(turn.intent == majority for turn in turns if turn.split == split) / max(scores.total, 1)
        results[split] = (scores, state, baseline_state, majority_accuracy)

    header = f"{'':28}" + "".join(f"{split:>10}" for split in SPLITS) + "   target"
    print(header)
    print(_row("intent accuracy", [results[s][0].intent_accuracy for s in SPLITS], f">= {TARGET_INTENT}"))
    print(_row("  baseline: majority intent", [results[s][3] for s in SPLITS], ""))
    slots = sorted({slot for s in SPLITS for slot in results[s][0].slot_f1()})
    from chat.eval import TURN_SLOTS

    for slot in [slot for slot in TURN_SLOTS if slot in slots]:
        values = [results[s][0].slot_f1().get(slot, (None, 0)) for s in SPLITS]
        label = f"slot F1 {slot} (n={values[SPLITS.index(args.split)][1]})"
        print(_row(label, [value[0] for value in values], f">= {TARGET_SLOT}"))
    print(_row("dialogue state accuracy", [results[s][1].accuracy for s in SPLITS], f">= {TARGET_STATE}"))
    print(_row("  baseline: absolute only", [results[s][2].accuracy for s in SPLITS], ""))
    print(
        _row(
            "dialogues entirely right",
            [results[s][1].dialogues_correct / max(results[s][1].dialogues, 1) for s in SPLITS],
            "",
        )
    )

    scores, state, _, _ = results[args.split]
    slot_values = {slot: f1 for slot, (f1, count) in scores.slot_f1().items() if count}
    met = (
        scores.intent_accuracy >= TARGET_INTENT
        and all(f1 >= TARGET_SLOT for f1 in slot_values.values())
        and state.accuracy >= TARGET_STATE
    )
    below = {slot: round(f1, 3) for slot, f1 in slot_values.items() if f1 < TARGET_SLOT}
    print(
        f"\n{args.split}: intent {scores.intent_accuracy:.3f} ({scores.total} turns), "
        f"lowest slot {min(slot_values.values()):.3f}, dialogue state {state.accuracy:.3f} ({state.turns} turns); "
        f"targets {'met' if met else 'missed'}{f' (below target: {below})' if below else ''}"
    )
    if args.errors:
        for split in ("train", "dev"):
            for turn, intent, predicted in results[split][0].errors:
                print(f"[{split}] {turn.text!r}: expected {turn.intent} {turn.slots}, got {intent} {predicted}")
            for name, text, expected, tracked in results[split][1].errors:
                diff = {key: (expected[key], tracked[key]) for key in expected if expected[key] != tracked[key]}
                print(f"[{split}] {name}: {text!r}: (expected, tracked) {diff}")
    return 0


def _is_english(text: str) -> bool:
    import re

    return bool(re.search(r"[A-Za-z]{2,}", text))


def _row(label: str, values: list, target: str) -> str:
    cells = "".join(f"{value:>10.3f}" if value is not None else f"{'-':>10}" for value in values)
    return f"{label:28}{cells}   {target}"


if __name__ == "__main__":
    raise SystemExit(main())
