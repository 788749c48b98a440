"""Quality of the three ml models against their baselines, on the deterministic demo data.

    .venv/bin/python bench/ml_quality.py [--seed 0]

Uses a separate database (EMBEDDED_DB_NAME=escape_ai_ml_bench, created, migrated and loaded with
seed_catalog + seed_activity when empty), so development data is never touched, and trains without
MLflow (the registry is not changed). Prints three markdown tables:
1. recommender: HR@10 / NDCG@10, full ranking, leave-last-out by time; vs popularity and item-kNN,
   plus the same split restricted to cold users (<= 2 training interactions).
2. trends: MASE / sMAPE of a rolling-origin backtest; vs seasonal-naive and naive.
3. session quality: ROC-AUC on the newest quarter of sessions; vs logistic regression.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDED_DB_NAME", "escape_ai_ml_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")


def _setup() -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    _setup()
    import numpy as np

    from ml.datasets import demand_series, recommender_rows, sessions_load
    from ml.training.recommender import (
        RecData,
        item_knn_scorer,
        model_scorer,
        popularity_scorer,
        rec_data_build,
        rec_evaluate,
        rec_train,
    )
    from ml.training.session_quality import SessionSet, session_compare
    from ml.training.trends import trend_backtest

    started = time.monotonic()
    rows, room_features, user_features = recommender_rows()
    data = rec_data_build(rows=rows, item_features=room_features, user_features=user_features)
    model, losses = rec_train(data, seed=args.seed)
    scorers = {
        "model (hybrid two-tower)": model_scorer(model, data),
        "popularity": popularity_scorer(data),
        "item_knn": item_knn_scorer(data),
    }
    table = {name: rec_evaluate(data, scorer) for name, scorer in scorers.items()}
    cold = {u: i for u, i in data.test.items() if len(data.train.get(u, [])) <= 2}
    cold_data = RecData(**{**data.__dict__, "test": cold})
    cold_table = {f"{name}, cold users": rec_evaluate(cold_data, scorer) for name, scorer in scorers.items()}
    _table(
        "Recommender (full ranking, leave-last-out by time)",
        {**table, **cold_table},
        f"{len(rows)} interactions, {data.n_users} users, {data.n_items} rooms, {len(data.test)} held-out users "
        f"({len(cold)} cold: <= 2 training interactions); loss {losses[0]:.3f} -> {losses[-1]:.3f}.",
    )

    months, series = demand_series()
    series = {k: v for k, v in series.items() if v.sum() > 0}
    _, trend_table, _ = trend_backtest(series, first_month=months[0].month, seed=args.seed)
    _table(
        "Monthly trends (rolling-origin backtest, horizon 1-3 months)",
        {"model (LSTM, quantile)" if k == "model" else k: v for k, v in trend_table.items()},
        f"{len(series)} series (genres and regions), {len(months)} months; lower is better.",
    )

    loaded = sessions_load()
    sessions = SessionSet(
        steps=[f for _, f, _ in loaded], labels=np.array([label for _, _, label in loaded], dtype=float)
    )
    _, _, session_table, _ = session_compare(sessions, seed=args.seed)
    _table(
        "Session quality (ROC-AUC, newest 25% of sessions)",
        {"model (LSTM + attention)" if k == "model" else k: v for k, v in session_table.items()},
        f"{len(loaded)} sessions, {sessions.labels.mean():.1%} ended well.",
    )
    print(f"\ntotal {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
