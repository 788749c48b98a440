"""Serving latency of the ml models, on synthetic inputs at the target size (no database needed).

    .venv/bin/python bench/ml_latency.py [--rooms 10000] [--runs 300]

1. Recommender: p50/p95 of scoring every room for one user with the served blend (the sequential net
   over a 20-room history and declared preferences, one product with the precomputed room vectors, the
   EASE and item-kNN neighbours of the history, z-scored and summed) at 10k rooms, target p95 <= 10 ms;
   against the naive path measured in the same run (a full forward pass of the torch module per
   request, recomputing every room's content tower; the net alone, without the neighbour parts).
   The per-catalogue precomputation (done once per champion and catalogue change) is printed too.
2. Session quality: p50/p95 of one prediction (LSTM + attention, a 12-message session), against
   the logistic-regression baseline on the same session.
Torch runs with ML_TORCH_THREADS (default 1) threads, as in serving.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _time(fn, runs: int) -> tuple[float, float]:
    for _ in range(min(20, runs)):  # warm-up
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return _percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    import django

    django.setup()
    import numpy as np
    import torch

    from ml.datasets import MESSAGE_FEATURES
    from ml.features import EMBEDDING_DIM, ROOM_FEATURE_NAMES, USER_FEATURE_NAMES
    from ml.inference import RecommenderServing
    from ml.nets.recommender import SequentialRecommender
    from ml.nets.session_quality import SessionQualityNet
    from ml.training.runtime import torch_setup
    from ml.training.session_quality import LogisticRegression, session_predict, session_summary

    torch_setup(seed=0)
    rng = np.random.default_rng(0)
    feature_dim = len(ROOM_FEATURE_NAMES) + EMBEDDING_DIM
    net = SequentialRecommender(
        n_items=args.rooms, item_feature_dim=feature_dim, user_feature_dim=len(USER_FEATURE_NAMES), dim=48, max_len=30
    )
    neighbours = {
        f"{name}_index": torch.from_numpy(rng.integers(1, args.rooms + 1, (args.rooms + 1, 100)))
        for name in ("ease", "knn")
    }
    neighbours |= {f"{name}_value": torch.rand(args.rooms + 1, 100) for name in ("ease", "knn")}
    bundle = {
        "kind": "sequential_blend",
        "state_dict": net.state_dict(),
        "config": net.config,
        "item_keys": torch.arange(1, args.rooms + 1),
        **neighbours,
        "blend": {"sequential": 1.0, "ease": 1.0, "item_knn": 0.25},
    }
    features = {r: rng.random(feature_dim, dtype=np.float32).tolist() for r in range(1, args.rooms + 1)}
    serving = RecommenderServing(bundle, "bench")
    start = time.perf_counter()
    serving.catalogue_set(features)
    precompute_ms = (time.perf_counter() - start) * 1000
    room_ids = list(range(1, args.rooms + 1))
    history = rng.choice(room_ids, 20, replace=False).tolist()
    preferences = [0.0] * len(USER_FEATURE_NAMES)
    preferences[0] = 1.0

    def served() -> None:
        scores = serving.scores(history=history, preferences=preferences, room_ids=room_ids)
        assert len(scores) == args.rooms

    unplayed = [r for r in room_ids if r not in set(history)]

    def served_unplayed() -> None:
        scores = serving.scores(history=history, preferences=preferences, room_ids=unplayed)
        assert len(scores) == len(unplayed)

    item_features = torch.tensor(np.array([features[r] for r in room_ids], dtype=np.float32))
    item_features = torch.cat([torch.zeros(1, feature_dim), item_features])
    history_t = torch.tensor([history])
    prefs_t = torch.tensor([preferences])
    net.eval()

    def naive() -> None:
        with torch.no_grad():
            net(history_t, item_features, prefs_t)

    served_p50, served_p95 = _time(served, args.runs)
    unplayed_p50, unplayed_p95 = _time(served_unplayed, args.runs)
    naive_p50, naive_p95 = _time(naive, max(30, args.runs // 5))

    session_net = SessionQualityNet(feature_dim=len(MESSAGE_FEATURES)).eval()
    steps = rng.random((12, len(MESSAGE_FEATURES)), dtype=np.float32)
    x = rng.random((200, 2 * len(MESSAGE_FEATURES) + 1))
    baseline = LogisticRegression.fit(x, (x[:, 0] > 0.5).astype(float))
    session_p50, session_p95 = _time(lambda: session_predict(session_net, [steps]), args.runs)
    lr_p50, lr_p95 = _time(lambda: baseline.predict(session_summary([steps])), args.runs)

    print(f"torch threads: {torch.get_num_threads()}, runs: {args.runs}, load average {os.getloadavg()[0]:.1f}")
    print("\n| what | p50 ms | p95 ms | target |")
    print("|---|---|---|---|")
    print(
        f"| recommender: score all {args.rooms} rooms for one user (served path) | {served_p50:.2f} | "
        f"{served_p95:.2f} | p95 <= 10 ms |"
    )
    print(f"| recommender: all rooms but the 20 played (id lookups) | {unplayed_p50:.2f} | {unplayed_p95:.2f} | |")
    print(f"| recommender: same, naive full torch forward per request | {naive_p50:.2f} | {naive_p95:.2f} | baseline |")
    print(
        f"| session quality: one prediction, 12 messages (LSTM + attention) | {session_p50:.2f} | {session_p95:.2f} | |"
    )
    print(f"| session quality: logistic-regression baseline, same session | {lr_p50:.3f} | {lr_p95:.3f} | baseline |")
    print(
        f"\nserved/naive p95 ratio: {served_p95 / naive_p95:.3f}; "
        f"catalogue precomputation once per champion/catalogue change: {precompute_ms:.0f} ms"
    )
    print(f"recommender target p95 <= 10 ms: {'met' if served_p95 <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
