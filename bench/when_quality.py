"""How well the chat reads days and times: exact windows on the labelled set in `chat/eval/turns.txt`.

    .venv/bin/python bench/when_quality.py [--errors]

Every turn labelled with `when=` (a window in Asia/Seoul, relative to `chat.eval.EVAL_NOW`) is run through the
offline NLU (`chat.nlu.local.local_analyze`, whose window comes from `chat.nlu.when`, the same reading every
provider's path uses). Printed per split (train, dev, held-out): the exact-window rate on the turns that name a
time (start and end both right to the minute), and the false-window rate on the turns that name none (a party size,
a price or a difficulty read as a time). Baseline in the same run: a naive regex reading (오늘/내일/모레/today/
tomorrow, "N시" or "HH:MM" on the 24-hour clock as written, ±30 minutes; no weekdays, parts of the day or ranges).
Target: exact windows >= 0.95 on held-out. No database is needed. `--errors` lists train and dev mistakes only.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.test")

TARGET = 0.95


def naive_window(text: str, now: datetime) -> str | None:
    """The baseline: what a regex reading of the obvious words gives."""
    from chat.eval.scoring import window_text
    from chat.nlu.when import SEOUL

    local = now.astimezone(SEOUL)
    day = None
    for word, offset in (("모레", 2), ("내일", 1), ("tomorrow", 1), ("오늘", 0), ("today", 0)):
        if word in text.lower():
            day = local.date() + timedelta(days=offset)
            break
    clock = re.search(r"(\d{1,2}):(\d{2})", text) or re.search(r"(\d{1,2})\s*시(?!간)", text)
    if day is None and clock is None:
        return None
    base = datetime.combine(day or local.date(), datetime.min.time(), tzinfo=SEOUL)

    class Window:
        pass

    window = Window()
    if clock:
        minutes = int(clock.group(1)) * 60 + (int(clock.group(2)) if clock.lastindex == 2 else 0)
        window.start = base + timedelta(minutes=minutes - 30)
        window.end = base + timedelta(minutes=minutes + 30)
    else:
        window.start, window.end = base, base + timedelta(days=1)
    return window_text(window)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list train and dev mistakes")
    args = parser.parse_args()

    import django

    django.setup()
    from chat.eval import EVAL_NOW, SPLITS, turns_load
    from chat.eval.scoring import window_text
    from chat.nlu.local import local_analyze

    turns = turns_load()
    timed = [turn for turn in turns if "when" in turn.slots]
    print(
        f"labelled set: {len(turns)} turns, {len(timed)} with a window "
        f"({sum(1 for turn in timed if turn.split == 'heldout')} held-out); now = {EVAL_NOW:%Y-%m-%d %a %H:%M %Z}\n"
    )
    results: dict[str, dict[str, tuple[int, int]]] = {}
    errors = []
    for split in SPLITS:
        rows = {"exact": [0, 0], "baseline exact": [0, 0], "false window": [0, 0], "baseline false": [0, 0]}
        for turn in turns:
            if turn.split != split:
                continue
            gold = turn.slots.get("when")
            guess = window_text(local_analyze(turn.text, now=EVAL_NOW).entities.when)
            naive = naive_window(turn.text, EVAL_NOW)
            if gold is not None:
                rows["exact"][0] += guess == gold
                rows["exact"][1] += 1
                rows["baseline exact"][0] += naive == gold
                rows["baseline exact"][1] += 1
            else:
                rows["false window"][0] += guess is not None
                rows["false window"][1] += 1
                rows["baseline false"][0] += naive is not None
                rows["baseline false"][1] += 1
            if guess != gold and split != "heldout":
                errors.append((split, turn.text, gold, guess))
        results[split] = rows

    print(f"{'':34}" + "".join(f"{split:>16}" for split in SPLITS) + "   target")
    labels = (
        ("exact window (turns with a time)", "exact", f">= {TARGET}"),
        ("  baseline: naive regex", "baseline exact", ""),
        ("false window (turns without)", "false window", "0"),
        ("  baseline: naive regex", "baseline false", ""),
    )
    for label, key, target in labels:
        cells = ""
        for split in SPLITS:
            hit, total = results[split][key]
            cells += f"{hit / total if total else 0:.3f} ({hit}/{total})".rjust(16)
        print(f"{label:34}{cells}   {target}")
    hit, total = results["heldout"]["exact"]
    rate = hit / total if total else 0.0
    false_hits, false_total = results["heldout"]["false window"]
    print(
        f"\nheld-out: exact windows {rate:.3f} ({hit}/{total}), false windows {false_hits}/{false_total}; "
        f"target {'met' if rate >= TARGET else 'missed'}"
    )
    if args.errors:
        for split, text, gold, guess in errors:
            print(f"[{split}] {text!r}: expected {gold}, got {guess}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
