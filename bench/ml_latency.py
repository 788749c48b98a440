"""Serving latency of the ml models, on synthetic inputs at the target size (no database needed).

    .venv/bin/python bench/ml_latency.py [--rooms 10000] [--runs 300]

Web processes serve the champions with numpy (ml.serving) from their published copies; training keeps torch.
This bench builds random-weight nets at the production shapes with torch, packs them as training publishes
them, and times in the same run:

- the numpy serving path, in a child process that never imports torch (as a web process);
- the torch path it replaced (BundleRanker, the torch nets), in this process;

1. Recommender: p50/p95 of scoring every room for one user with the served blend (the sequential net over a
   20-room history and declared preferences, one product with the precomputed room vectors, the EASE and
   item-kNN neighbours of the history, z-scored and summed) at 10k rooms, target p95 <= 10 ms; plus the
   naive path (a full torch forward per request, recomputing every room's content tower; the net alone).
   The per-catalogue precomputation (once per champion and catalogue change) is printed too.
2. Trends: one 3-month forecast of a 24-month series (the LSTM plus the ETS band).
3. Session quality: one prediction (LSTM + attention, a 12-message session), against the logistic-regression
   baseline on the same session.
The largest difference between the numpy and torch scores is printed as a check. Torch runs with
ML_TORCH_THREADS (default 1) threads, as serving did.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")
HISTORY = 20
SESSION_MESSAGES = 12
TREND_MONTHS = 24


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


def _inputs(folder: Path) -> dict:
    import numpy as np

    return {
        "features": np.load(folder / "features.npy"),
        "history": json.loads((folder / "inputs.json").read_text())["history"],
        "preferences": json.loads((folder / "inputs.json").read_text())["preferences"],
        "session": np.load(folder / "session.npy"),
        "series": np.load(folder / "series.npy"),
    }


def served_only(folder: Path, runs: int) -> None:
    """The web process's path: numpy alone, the copies unpacked as ml.inference unpacks them. Prints JSON."""
    import django

    django.setup()
    import numpy as np

    from ml.inference import RecommenderServing
    from ml.serving import SessionNet, TrendNet, bundle_unpack, session_predict
    from ml.training.sessions import LogisticRegression, session_summary

    def copy(name: str) -> dict:
        return bundle_unpack((folder / f"{name}.npz").read_bytes(), json.loads((folder / f"{name}.json").read_text()))

    inputs = _inputs(folder)
    features = inputs["features"]
    serving = RecommenderServing(copy("recommender"), "bench")
    start = time.perf_counter()
    serving.catalogue_set({r + 1: features[r] for r in range(len(features))})
    precompute_ms = (time.perf_counter() - start) * 1000
    room_ids = list(range(1, len(features) + 1))
    history, preferences = inputs["history"], inputs["preferences"]
    unplayed = [r for r in room_ids if r not in set(history)]
    scores = serving.scores(history=history, preferences=preferences, room_ids=room_ids)
    trend = copy("trends")
    trend_net = TrendNet(trend["state_dict"], trend["config"])
    session = copy("session_quality")
    session_net = SessionNet(session["state_dict"], session["config"])
    baseline = LogisticRegression.from_dict(copy("baseline")["logistic"])
    steps, series = inputs["session"], inputs["series"]
    out = {
        "precompute_ms": precompute_ms,
        "recommender": _time(lambda: serving.scores(history=history, preferences=preferences, room_ids=room_ids), runs),
        "unplayed": _time(lambda: serving.scores(history=history, preferences=preferences, room_ids=unplayed), runs),
        "trends": _time(lambda: trend_net.forecast(series, first_month=1, horizon=3), runs),
        "session": _time(lambda: session_predict(session_net, [steps]), runs),
        "baseline": _time(lambda: baseline.predict(session_summary([steps])), runs),
        "scores": [scores[r] for r in room_ids],
        "forecast": trend_net.forecast(series, first_month=1, horizon=3).tolist(),
        "probability": float(session_predict(session_net, [steps])[0][0]),
        "loaded": sorted(m for m in ("torch", "mlflow", "sqlalchemy") if m in sys.modules),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(out))
    np.testing.assert_equal(len(out["scores"]), len(room_ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--served-only", type=Path, default=None, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if not 10 <= args.rooms <= 200_000 or not 10 <= args.runs <= 10_000:
        raise SystemExit("--rooms must be 10-200000 and --runs 10-10000")
    if args.served_only is not None:
        served_only(args.served_only, args.runs)
        return
    import django

    django.setup()
    import numpy as np
    import torch

    from ml.datasets import MESSAGE_FEATURES
    from ml.features import EMBEDDING_DIM, ROOM_FEATURE_NAMES, USER_FEATURE_NAMES
    from ml.inference import RecommenderServing
    from ml.nets.recommender import SequentialRecommender
    from ml.nets.session_quality import SessionQualityNet
    from ml.nets.trends import TrendLSTM
    from ml.serving import bundle_pack
    from ml.training.recommender import BundleRanker
    from ml.training.runtime import torch_setup
    from ml.training.session_quality import LogisticRegression, session_predict
    from ml.training.trends import trend_forecast_from

    torch_setup(seed=0)
    rng = np.random.default_rng(0)
    feature_dim = len(ROOM_FEATURE_NAMES) + EMBEDDING_DIM
    net = SequentialRecommender(
        n_items=args.rooms, item_feature_dim=feature_dim, user_feature_dim=len(USER_FEATURE_NAMES), dim=48, max_len=30
    ).eval()
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
    features = rng.random((args.rooms, feature_dim), dtype=np.float32)
    room_ids = list(range(1, args.rooms + 1))
    history = rng.choice(room_ids, HISTORY, replace=False).tolist()
    preferences = [0.0] * len(USER_FEATURE_NAMES)
    preferences[0] = 1.0
    trend_net = TrendLSTM(hidden=16, horizon=3).eval()
    with torch.no_grad():
        trend_net.head[-1].weight.normal_(0, 0.1)  # a trained head is not zero
    session_net = SessionQualityNet(feature_dim=len(MESSAGE_FEATURES)).eval()
    steps = rng.random((SESSION_MESSAGES, len(MESSAGE_FEATURES)), dtype=np.float32)
    series = 50 + 20 * np.sin(np.arange(TREND_MONTHS) / 2) + rng.normal(0, 3, TREND_MONTHS)
    x = rng.random((200, 2 * len(MESSAGE_FEATURES) + 1))
    baseline = LogisticRegression.fit(x, (x[:, 0] > 0.5).astype(float))

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        copies = {
            "recommender": bundle,
            "trends": {"state_dict": trend_net.state_dict(), "config": trend_net.config},
            "session_quality": {"state_dict": session_net.state_dict(), "config": session_net.config},
            "baseline": {"logistic": baseline.to_dict()},
        }
        sizes = {}
        for name, copy in copies.items():
            payload, meta = bundle_pack(copy)
            sizes[name] = len(payload) / 1e6
            (folder / f"{name}.npz").write_bytes(payload)
            (folder / f"{name}.json").write_text(json.dumps(meta))
        np.save(folder / "features.npy", features)
        np.save(folder / "session.npy", steps)
        np.save(folder / "series.npy", series)
        (folder / "inputs.json").write_text(json.dumps({"history": history, "preferences": preferences}))
        child = subprocess.run(  # noqa: S603 - our own interpreter and script, fixed arguments
            [sys.executable, __file__, "--rooms", str(args.rooms), "--runs", str(args.runs), "--served-only", folder],
            capture_output=True,
            text=True,
            timeout=1800,
            env=os.environ,
        )
    if child.returncode != 0:
        raise SystemExit(f"the numpy serving process failed:\n{child.stderr[-3000:]}")
    served = json.loads(child.stdout.strip().splitlines()[-1])

    # The torch path, as web processes served before: the same RecommenderServing over the torch BundleRanker.
    class TorchServing(RecommenderServing):
        def __init__(self) -> None:
            self.version, self.ranker, self.has_content = "torch", BundleRanker(bundle), True
            self.catalogue, self.catalogue_key = self.ranker.catalogue([], None), None

    torch_serving = TorchServing()
    start = time.perf_counter()
    torch_serving.catalogue_set({r + 1: features[r] for r in range(len(features))})
    torch_precompute_ms = (time.perf_counter() - start) * 1000
    unplayed = [r for r in room_ids if r not in set(history)]

    def torch_scores() -> dict:
        return torch_serving.scores(history=history, preferences=preferences, room_ids=room_ids)

    def torch_unplayed() -> dict:
        return torch_serving.scores(history=history, preferences=preferences, room_ids=unplayed)

    item_features = torch.cat([torch.zeros(1, feature_dim), torch.from_numpy(features)])
    history_t, prefs_t = torch.tensor([history]), torch.tensor([preferences])

    def naive() -> None:
        with torch.no_grad():
            net(history_t, item_features, prefs_t)

    torch_recommender = _time(torch_scores, args.runs)
    torch_unplayed_times = _time(torch_unplayed, args.runs)
    naive_times = _time(naive, max(30, args.runs // 5))
    torch_trends = _time(lambda: trend_forecast_from(trend_net, series, first_month=1, horizon=3), args.runs)
    torch_session = _time(lambda: session_predict(session_net, [steps]), args.runs)
    expected = torch_scores()
    difference = float(np.max(np.abs(np.array(served["scores"]) - np.array([expected[r] for r in room_ids]))))
    forecast_difference = float(
        np.max(np.abs(np.array(served["forecast"]) - trend_forecast_from(trend_net, series, first_month=1, horizon=3)))
    )
    probability_difference = abs(served["probability"] - float(session_predict(session_net, [steps])[0][0]))

    def ms(pair) -> str:
        return f"{pair[0]:.2f} / {pair[1]:.2f}"

    print(
        f"rooms: {args.rooms}, runs: {args.runs}, torch threads: {torch.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.1f}, cores: {os.cpu_count()}"
    )
    print(
        f"numpy serving process: loaded {served['loaded'] or 'none of torch, mlflow, sqlalchemy'}; "
        f"peak RSS {served['max_rss_mb']:.0f} MB (this torch process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )
    print("\n| what | numpy, p50 / p95 ms | torch, p50 / p95 ms | target |")
    print("|---|---|---|---|")
    print(
        f"| recommender: score all {args.rooms} rooms for one user (served blend) | {ms(served['recommender'])} | "
        f"{ms(torch_recommender)} | p95 ≤ 10 ms |"
    )
    print(
        f"| recommender: all rooms but the {HISTORY} played | {ms(served['unplayed'])} | {ms(torch_unplayed_times)} | |"
    )
    print(f"| recommender: naive full torch forward per request (net only) | | {ms(naive_times)} | baseline |")
    print(
        f"| trends: one 3-month forecast of a {TREND_MONTHS}-month series | {ms(served['trends'])} | "
        f"{ms(torch_trends)} | |"
    )
    print(
        f"| session quality: one prediction, {SESSION_MESSAGES} messages (LSTM + attention) | "
        f"{ms(served['session'])} | {ms(torch_session)} | |"
    )
    print(f"| session quality: logistic-regression baseline, same session | {ms(served['baseline'])} | | baseline |")
    print(
        f"\ncatalogue precomputation (once per champion and catalogue change): numpy {served['precompute_ms']:.0f} ms, "
        f"torch {torch_precompute_ms:.0f} ms; serving copies: "
        + ", ".join(f"{name} {size:.1f} MB" for name, size in sizes.items())
    )
    print(
        f"numpy vs torch: largest score difference {difference:.2e}, forecast {forecast_difference:.2e}, "
        f"probability {probability_difference:.2e}"
    )
    print(
        f"numpy/torch p95 ratio, recommender: {served['recommender'][1] / torch_recommender[1]:.2f}; "
        f"recommender target p95 ≤ 10 ms: {'met' if served['recommender'][1] <= 10 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
