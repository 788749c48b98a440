"""Quality of the three ml models against their baselines: the demo data and public data nobody here wrote.

    .venv/bin/python bench/ml_quality.py [--seed 0] [--seeds 3]
        [--only demo,ml-100k,ml-100k-liked,trends,sessions,groups]

Uses a separate database (EMBEDDED_DB_NAME=escape_ai_ml_bench, created, migrated and loaded with
seed_catalog + seed_activity when empty), so development data is never touched, and trains without
MLflow (the registry is not changed). Prints markdown tables:
1. recommender, one table per dataset, same protocol everywhere: leave-last-out by time, full ranking,
   HR@10 / NDCG@10; the model (sequential net + EASE + item-kNN, blended, everything tuned on a validation
   split cut from the training part) against popularity, item-kNN and EASE (its L2 tuned the same way).
   - demo: the demo activity in the bench database (plus the cold users, <= 2 training interactions);
   - ml-100k: MovieLens 100K as shipped inside the `recbole==1.2.1` wheel
     (recbole/dataset_example/ml-100k/ml-100k.inter, requirements-bench.txt), every rating an interaction;
   - ml-100k-liked: the same file, ratings >= 4 only.
   The public datasets go through `manage.py ml_evaluate_recommender`, the command a user would run.
2. trends: MASE / sMAPE / coverage of the 10-90 % band in a rolling-origin backtest; vs ETS,
   seasonal-naive and naive.
3. session quality: ROC-AUC on the newest quarter of sessions; vs logistic regression; what bounds it.
4. groups: party recommendations' group score against the members' popularity and single members' lists
   (bench/group_quality.py, which also runs alone).
Every model is trained with --seeds seeds: the tables give the first seed's figures and the run-to-run
noise (standard deviation over the seeds), the margin a new champion must beat the old one by.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDED_DB_NAME", "escape_ai_ml_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")

PUBLIC = {
    "ml-100k": {"package": "recbole", "file": "dataset_example/ml-100k/ml-100k.inter", "min_rating": None},
    "ml-100k-liked": {"package": "recbole", "file": "dataset_example/ml-100k/ml-100k.inter", "min_rating": 4.0},
}


def demo_database_setup() -> None:
    if not os.environ.get("DATABASE_URL"):
        from escape_ai import embedded_db
        from escape_ai.settings.paths import EMBEDDED_DB_NAME, PGDATA_DIR

        embedded_db.ensure_database(embedded_db.ensure_server(PGDATA_DIR), EMBEDDED_DB_NAME)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from rooms.models import Room

    if not Room.objects.exists():
        call_command("seed_catalog", embed="none")
    call_command("seed_activity", train=False)


def _table(title: str, rows: dict[str, dict[str, float]], note: str = "") -> None:
    metrics = list(next(iter(rows.values())))
    print(f"\n### {title}\n")
    print("| ranker | " + " | ".join(metrics) + " |")
    print("|---|" + "---|" * len(metrics))
    for name, values in rows.items():
        print(f"| {name} | " + " | ".join(f"{values[m]:.4f}" for m in metrics) + " |")
    if note:
        print(f"\n{note}")


def _verdict(table: dict[str, dict[str, float]], metric: str = "ndcg@10") -> str:
    model = table["model"][metric]
    popularity = table["popularity"][metric]
    best = max(("popularity", "item_knn", "ease"), key=lambda name: table[name][metric])
    ratio = model / popularity if popularity else float("inf")
    met = ratio >= 1.5 and model > table[best][metric]
    return (
        f"model / popularity {ratio:.2f}x (target >= 1.5x); model / best baseline ({best}) "
        f"{model / table[best][metric]:.3f}x; target {'met' if met else 'NOT met'}"
    )


def _noise(values: list[float]) -> float:
    import numpy as np

    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def public_csv(name: str, folder: Path) -> Path:
    """The packaged file as user,item,rating,timestamp (the command's input), read from the installed wheel."""
    import importlib.util

    spec = PUBLIC[name]
    found = importlib.util.find_spec(spec["package"])  # locates the package without importing its code
    if found is None or not found.submodule_search_locations:
        sys.exit(f"{spec['package']} is not installed: run `make setup` (requirements-bench.txt)")
    source = Path(next(iter(found.submodule_search_locations))) / spec["file"]
    target = folder / f"{name}.csv"
    with source.open(encoding="utf-8") as inp, target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["user", "item", "rating", "timestamp"])
        lines = iter(inp)
        next(lines)  # recbole's typed header: user_id:token item_id:token rating:float timestamp:float
        for line in lines:
            user, item, rating, timestamp = line.rstrip("\n").split("\t")[:4]
            writer.writerow([user, item, rating, timestamp])
    return target


def public_evaluate(name: str, *, seed: int, noise_seeds: int, epochs: int) -> tuple[dict, str]:
    """Runs `manage.py ml_evaluate_recommender` on the packaged data; returns its JSON table and its output."""
    from django.core.management import call_command

    with tempfile.TemporaryDirectory() as folder:
        path = public_csv(name, Path(folder))
        options = {"interactions": str(path), "seed": seed, "epochs": epochs, "noise_seeds": noise_seeds}
        if PUBLIC[name]["min_rating"] is not None:
            options["min_rating"] = PUBLIC[name]["min_rating"]
        out = io.StringIO()
        call_command("ml_evaluate_recommender", stdout=out, **options)
    text = out.getvalue()
    return json.loads(text.strip().splitlines()[-1]), text


def bench_public(name: str, *, seed: int, noise_seeds: int, epochs: int) -> None:
    started = time.monotonic()
    table, log = public_evaluate(name, seed=seed, noise_seeds=noise_seeds, epochs=epochs)
    spec = PUBLIC[name]
    notes = [line for line in log.strip().splitlines()[:-1] if not line.startswith(tuple(table))]
    _table(
        f"Recommender on {name} (public; full ranking, leave-last-out by time)",
        table,
        f"`{spec['package']}` wheel, file `{spec['file']}`"
        + (f", ratings >= {spec['min_rating']:g}" if spec["min_rating"] is not None else ", every rating")
        + ". "
        + " ".join(line.rstrip(".") + "." for line in notes)
        + f" {_verdict(table)}. {time.monotonic() - started:.0f}s.",
    )


def bench_demo(*, seeds: list[int], epochs: int) -> None:
    from ml.datasets import recommender_rows
    from ml.training.recommender import (
        RecData,
        ease_scorer,
        item_knn_scorer,
        popularity_scorer,
        rec_compare,
        rec_data_build,
        rec_evaluate,
        rec_fit,
        rec_noise,
    )

    started = time.monotonic()
    rows, room_features, user_features = recommender_rows()
    data = rec_data_build(rows=rows, item_features=room_features, user_features=user_features)
    fit = rec_fit(data, max_epochs=epochs, seed=seeds[0])
    table = rec_compare(data, fit)
    runs = [table["model"]["ndcg@10"], *rec_noise(data, fit, seeds=seeds[1:])]
    cold = {u: i for u, i in data.test.items() if len(data.train.get(u, [])) <= 2}
    cold_data = RecData(**{**data.__dict__, "test": cold})
    scorers = {
        "model": fit.scorer(data),
        "popularity": popularity_scorer(data),
        "item_knn": item_knn_scorer(data),
        "ease": ease_scorer(data, l2=fit.ease_l2),
    }
    cold_table = {f"{name}, cold users": rec_evaluate(cold_data, scorer) for name, scorer in scorers.items()}
    _table(
        "Recommender on the demo data (full ranking, leave-last-out by time)",
        {**table, **cold_table},
        f"{len(rows)} interactions, {data.n_users} users, {data.n_items} rooms, {len(data.test)} held-out users "
        f"({len(cold)} cold: <= 2 training interactions). Chosen on validation: {fit.epochs} epochs, EASE "
        f"l2={fit.ease_l2:g}, blend {fit.blend}. NDCG@10 over seeds {seeds}: "
        + ", ".join(f"{v:.4f}" for v in runs)
        + f" (noise {_noise(runs):.4f}). {_verdict(table)}. {time.monotonic() - started:.0f}s.",
    )


def bench_trends(*, seeds: list[int]) -> None:
    from ml.datasets import demand_series
    from ml.training.trends import trend_backtest

    started = time.monotonic()
    months, series = demand_series()
    series = {k: v for k, v in series.items() if v.sum() > 0}
    tables = [trend_backtest(series, first_month=months[0].month, seed=seed)[1] for seed in seeds]
    table = tables[0]
    runs = [t["model"]["mase"] for t in tables]
    best = min(("ets", "seasonal_naive", "naive"), key=lambda name: table[name]["mase"])
    met = table["model"]["mase"] < 1 and table["model"]["mase"] < table[best]["mase"]
    _table(
        "Monthly trends (rolling-origin backtest, horizon 1-3 months)",
        {"model (LSTM, quantile)" if k == "model" else k: v for k, v in table.items()},
        f"{len(series)} series (genres and regions), {len(months)} months; MASE and sMAPE lower is better; "
        f"coverage_80 = share of actual months inside the 10-90 % band (0.80 is honest). MASE over seeds "
        f"{seeds}: " + ", ".join(f"{v:.3f}" for v in runs) + f" (noise {_noise(runs):.3f}). Target MASE < 1 and "
        f"below every baseline (best: {best} {table[best]['mase']:.3f}): {'met' if met else 'NOT met'}. "
        f"{time.monotonic() - started:.0f}s.",
    )


def bench_sessions(*, seeds: list[int]) -> None:
    import numpy as np

    from ml.datasets import sessions_load
    from ml.training.session_quality import SessionSet, session_bounds, session_compare

    started = time.monotonic()
    loaded = sessions_load()
    sessions = SessionSet(
        steps=[f for _, f, _ in loaded], labels=np.array([label for _, _, label in loaded], dtype=float)
    )
    tables = [session_compare(sessions, seed=seed)[2] for seed in seeds]
    runs = [t["model"]["roc_auc"] for t in tables]
    bounds = session_bounds(sessions, seed=seeds[0])
    _table(
        "Session quality (ROC-AUC, newest 25% of sessions)",
        {"model (LSTM + attention)" if k == "model" else k: v for k, v in tables[0].items()},
        f"{len(loaded)} sessions, {sessions.labels.mean():.1%} ended well. AUC over seeds {seeds}: "
        + ", ".join(f"{v:.3f}" for v in runs)
        + f" (noise {_noise(runs):.3f}). What bounds it: "
        + "; ".join(f"{k} {v:.3f}" for k, v in bounds.items())
        + f". {time.monotonic() - started:.0f}s.",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=3, help="runs per model, for the run-to-run noise")
    parser.add_argument("--epochs", type=int, default=30, help="most epochs of the sequential net")
    parser.add_argument(
        "--public-seeds", type=int, default=2, help="seeds of the net on the public data (each costs minutes)"
    )
    parser.add_argument("--only", default="demo,ml-100k,ml-100k-liked,trends,sessions,groups")
    args = parser.parse_args()
    wanted = [part.strip() for part in args.only.split(",") if part.strip()]
    seeds = list(range(args.seed, args.seed + max(1, args.seeds)))
    demo_database_setup()
    from django.conf import settings

    started = time.monotonic()
    print(
        f"ml_quality: seeds {seeds}, date {date.today().isoformat()}, "
        f"training threads {settings.ML_TORCH_TRAIN_THREADS} (ML_TORCH_TRAIN_THREADS), load {os.getloadavg()[0]:.1f}"
    )
    for name in wanted:
        if name == "demo":
            bench_demo(seeds=seeds, epochs=args.epochs)
        elif name in PUBLIC:
            bench_public(name, seed=seeds[0], noise_seeds=min(len(seeds), args.public_seeds), epochs=args.epochs)
        elif name == "trends":
            bench_trends(seeds=seeds)
        elif name == "sessions":
            bench_sessions(seeds=seeds)
        elif name == "groups":
            from group_quality import bench_groups

            bench_groups(count=600, seed=seeds[0], epochs=args.epochs)
        else:
            sys.exit(f"unknown part: {name}")
        sys.stdout.flush()
    print(f"\ntotal {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
