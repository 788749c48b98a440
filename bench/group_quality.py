"""Group ranking quality on the demo data: does the party score find a room the whole group went on to play?

    .venv/bin/python bench/group_quality.py [--groups 600] [--seed 0] [--epochs 30]

Uses a database of its own (EMBEDDED_DB_NAME=escape_ai_group_bench: created, migrated and loaded with
seed_catalog + seed_activity when empty), so development data is never touched, and trains without MLflow.

Synthetic groups: 2-6 demo users who all played one room (the held-out room). Every (member, held-out room)
interaction is removed from the training data and the personal recommender is fitted once on the rest with the
recipe that is served (ml.training.recommender.rec_fit: the sequential net blended with EASE and item-kNN, tuned
on a validation split of the rest). For each group, every room that no member played in training is a candidate,
and the held-out room is ranked among them by:

- the group score as served (ml.group: each member's scores as percentile ranks among the candidates, then
  w x least misery + (1 - w) x average), for w = 0 (average), 0.25, 0.5, 0.75 and 1 (least misery);
- averaging the members' popularity (popularity is the same for every member: the popularity list);
- the best single member's list (for each group, the member whose own list ranks the room highest: an oracle no
  system has, an upper bound of "let one person choose"), and a random member's list (the same, in expectation).

Prints HR@10 and NDCG@10 per ranker, overall and by group size, and misery@10: the share of a ranker's top 10
that some member ranks in the bottom half of their own list (a room one of them would rather not play), as
markdown.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDED_DB_NAME", "escape_ai_group_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")

K = 10
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
MISERABLE_BELOW = 0.5  # a member's percentile rank under which a room is one they would rather not play


def _groups(*, plays: dict[int, set[int]], count: int, rng: random.Random) -> list[tuple[list[int], int]]:
    """(members, held-out room) pairs: 2-6 users who all played the room (one group per room and size at most)."""
    groups, seen = [], set()
    rooms_by_size = {size: sorted(r for r, users in plays.items() if len(users) >= size) for size in range(2, 7)}
    attempts = 0
    while len(groups) < count and attempts < count * 20:
        attempts += 1
        size = rng.randint(2, 6)
        if not rooms_by_size[size]:
            continue
        room = rng.choice(rooms_by_size[size])
        members = sorted(rng.sample(sorted(plays[room]), size))
        key = (room, tuple(members))
        if key not in seen:
            seen.add(key)
            groups.append((members, room))
    return groups


def _gain(rank: int) -> tuple[float, float]:
    """(hit, NDCG gain) of a 0-based rank at K."""
    return (1.0, 1.0 / math.log2(rank + 2)) if rank < K else (0.0, 0.0)


def _misery(scores, candidates, least) -> float:
    """Share of the top K candidates (by `scores`) that some member ranks in the bottom half of their list.

    `least`: per candidate (aligned with `candidates`), the lowest percentile rank any member gives it."""
    import numpy as np

    top = np.argsort(-scores[candidates], kind="stable")[:K]
    return float((least[top] < MISERABLE_BELOW).mean())


def _rank(scores, target: int, candidates) -> int:
    """0-based rank of the target among the candidates (ties: the target after them, as the worst case)."""
    value = scores[target]
    return int(((scores[candidates] > value) | ((scores[candidates] == value) & (candidates != target))).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    from ml_quality import demo_database_setup

    demo_database_setup()
    bench_groups(count=args.groups, seed=args.seed, epochs=args.epochs)


def bench_groups(*, count: int, seed: int, epochs: int) -> None:
    """The group-ranking table (also `bench/ml_quality.py --only groups`); needs Django set up with demo data."""
    import numpy as np

    from ml.datasets import recommender_rows
    from ml.group import percentile_ranks
    from ml.training.recommender import popularity_scorer, rec_data_build, rec_fit
    from plays.models import Play

    started = time.monotonic()
    rng = random.Random(seed)
    plays: dict[int, set[int]] = defaultdict(set)
    for user_id, room_id in Play.objects.filter(user__username__startswith="demo_user_").values_list(
        "user_id", "room_id"
    ):
        plays[room_id].add(user_id)
    groups = _groups(plays=plays, count=count, rng=rng)
    held_out = {(user, room) for members, room in groups for user in members}

    rows, room_features, user_features = recommender_rows()
    train_rows = [row for row in rows if (row[0], row[1]) not in held_out]
    data = rec_data_build(rows=train_rows, item_features=room_features, user_features=user_features, holdout=False)
    fit = rec_fit(data, max_epochs=epochs, seed=seed)
    personal, losses = fit.scorer(data), fit.losses
    popularity = popularity_scorer(data)(np.array([0]))[0].astype(np.float64)

    names = [*(f"group score, w = {w:g}" for w in WEIGHTS), "popularity (members' popularity averaged)"]
    names += ["best single member's list (oracle)", "a random member's list"]
    totals: dict[str, dict[str, list[float]]] = {name: defaultdict(lambda: [0.0, 0.0, 0, 0.0]) for name in names}
    skipped = 0
    for members, room in groups:
        users = [data.user_index.get(member) for member in members]
        target = data.item_index.get(room)
        if target is None or any(u is None for u in users):
            skipped += 1  # a member with no other interaction, or a room nobody else played: nothing to learn from
            continue
        played = {item for u in users for item in data.train.get(u, [])}
        candidates = np.array([i for i in range(1, data.n_items + 1) if i not in played], dtype=np.int64)
        member_scores = np.asarray(personal(np.array(users, dtype=np.int64)), dtype=np.float64)
        ranks = percentile_ranks(member_scores[:, candidates])
        least = ranks.min(axis=0)
        results: dict[str, tuple[float, float, float]] = {}
        for weight in WEIGHTS:
            group = np.zeros(data.n_items + 1)
            group[candidates] = weight * least + (1 - weight) * ranks.mean(axis=0)
            results[f"group score, w = {weight:g}"] = (
                *_gain(_rank(group, target, candidates)),
                _misery(group, candidates, least),
            )
        results["popularity (members' popularity averaged)"] = (
            *_gain(_rank(popularity, target, candidates)),
            _misery(popularity, candidates, least),
        )
        singles = [
            (*_gain(_rank(member_scores[row], target, candidates)), _misery(member_scores[row], candidates, least))
            for row in range(len(users))
        ]
        results["best single member's list (oracle)"] = max(singles, key=lambda single: single[1])
        results["a random member's list"] = tuple(sum(values) / len(singles) for values in zip(*singles, strict=True))
        for name, (hit, gain, misery) in results.items():
            for bucket in ("all", "2-3" if len(users) <= 3 else "4-6"):
                cell = totals[name][bucket]
                cell[0] += hit
                cell[1] += gain
                cell[2] += 1
                cell[3] += misery

    evaluated = len(groups) - skipped
    sizes = defaultdict(int)
    for members, _ in groups:
        sizes["2-3" if len(members) <= 3 else "4-6"] += 1
    print("\n### Group ranking (held-out room the whole group played; HR@10 / NDCG@10; misery@10)\n")
    print("| ranker | all groups | groups of 2-3 | groups of 4-6 | misery@10 (lower is better) |")
    print("|---|---|---|---|---|")
    for name in names:

        def cell(bucket: str, name=name) -> str:
            hit, gain, n, _ = totals[name][bucket]
            return f"{hit / n:.4f} / {gain / n:.4f}" if n else "-"

        _, _, n, misery = totals[name]["all"]
        print(f"| {name} | {cell('all')} | {cell('2-3')} | {cell('4-6')} | {misery / n:.4f} |")
    print(
        f"\n{evaluated} groups evaluated ({sizes['2-3']} of 2-3 members, {sizes['4-6']} of 4-6; {skipped} skipped); "
        f"{len(train_rows)} training interactions ({len(rows) - len(train_rows)} held out), {data.n_users} users, "
        f"{data.n_items} rooms; loss {losses[0]:.3f} -> {losses[-1]:.3f}; {time.monotonic() - started:.0f}s."
    )


if __name__ == "__main__":
    main()
