"""Training pipelines: read the database, train, compare with the baselines, log and register.

Each returns the side-by-side table (model vs baselines) and the registry outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ml.inference import RECOMMENDER, SESSION_QUALITY, TRENDS

logger = logging.getLogger(__name__)
MODEL_NAMES = (RECOMMENDER, TRENDS, SESSION_QUALITY)


class NotEnoughData(Exception):
    """Too little activity in the database to train or evaluate this model."""


@dataclass(frozen=True)
class TrainingReport:
    model_name: str
    table: dict[str, dict[str, float]]
    outcome: Any  # ml.tracking.TrainingOutcome
    details: dict[str, Any]


def recommender_train(*, epochs: int = 30, seed: int = 0) -> TrainingReport:
    import torch

    from ml.datasets import recommender_rows
    from ml.tracking import training_run_record
    from ml.training.recommender import rec_compare, rec_data_build, rec_train

    rows, room_features, user_features = recommender_rows()
    data = rec_data_build(rows=rows, item_features=room_features, user_features=user_features)
    if len(data.test) < 10:
        raise NotEnoughData(f"recommender: {len(data.test)} users with two or more interactions (need 10)")
    model, losses = rec_train(data, epochs=epochs, seed=seed)
    table = rec_compare(data, model)
    outcome = training_run_record(
        model_name=RECOMMENDER,
        params={"epochs": epochs, "seed": seed, **model.config, "interactions": len(rows), "users": data.n_users},
        metrics={**table["model"], "final_loss": losses[-1]},
        baseline_metrics={"popularity": table["popularity"], "item_knn": table["item_knn"]},
        validation_metric="ndcg@10",
        baseline_name=max(("popularity", "item_knn"), key=lambda name: table[name]["ndcg@10"]),
        higher_is_better=True,
        bundle={
            "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "config": model.config,
            "item_keys": torch.tensor([int(k) for k in data.item_keys]),
            "user_keys": torch.tensor([int(k) for k in data.user_keys]),
        },
    )
    return TrainingReport(RECOMMENDER, table, outcome, {"losses": losses, "held_out_users": len(data.test)})


def trends_train(*, epochs: int = 150, seed: int = 0) -> TrainingReport:
    from ml.datasets import demand_series
    from ml.tracking import training_run_record
    from ml.training.trends import HORIZON, INPUT_MONTHS, trend_backtest, trend_train_final

    months, series = demand_series()
    series = {key: values for key, values in series.items() if values.sum() > 0}
    if len(months) < INPUT_MONTHS + 2 * HORIZON or not series:
        raise NotEnoughData(f"trends: {len(months)} months of activity (need {INPUT_MONTHS + 2 * HORIZON})")
    first_month = months[0].month
    _, table, losses = trend_backtest(series, first_month=first_month, epochs=epochs, seed=seed)
    model = trend_train_final(series, first_month=first_month, epochs=epochs, seed=seed)
    baseline = min(("seasonal_naive", "naive"), key=lambda name: table[name]["mase"])
    outcome = training_run_record(
        model_name=TRENDS,
        params={"epochs": epochs, "seed": seed, **model.config, "months": len(months), "series": len(series)},
        metrics=table["model"],
        baseline_metrics={"seasonal_naive": table["seasonal_naive"], "naive": table["naive"]},
        validation_metric="mase",
        baseline_name=baseline,
        higher_is_better=False,
        bundle={"state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()}, "config": model.config},
    )
    return TrainingReport(TRENDS, table, outcome, {"losses": losses, "months": len(months), "series": len(series)})


def session_quality_train(*, epochs: int = 30, seed: int = 0) -> TrainingReport:
    import numpy as np

    from ml.datasets import MESSAGE_FEATURES, sessions_load
    from ml.tracking import training_run_record
    from ml.training.session_quality import SessionSet, session_compare

    loaded = sessions_load()
    labels = np.array([label for _, _, label in loaded], dtype=np.float64)
    if len(loaded) < 40 or labels.min(initial=1) == labels.max(initial=0):
        raise NotEnoughData(f"session_quality: {len(loaded)} sessions (need 40 with both outcomes)")
    sessions = SessionSet(steps=[features for _, features, _ in loaded], labels=labels)
    model, baseline, table, losses = session_compare(sessions, epochs=epochs, seed=seed)
    outcome = training_run_record(
        model_name=SESSION_QUALITY,
        params={"epochs": epochs, "seed": seed, **model.config, "sessions": len(loaded)},
        metrics=table["model"],
        baseline_metrics={"logistic_regression": table["logistic_regression"]},
        validation_metric="roc_auc",
        baseline_name="logistic_regression",
        higher_is_better=True,
        bundle={
            "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "config": model.config,
            "features": list(MESSAGE_FEATURES),
        },
        baseline_bundle={"logistic": baseline.to_dict(), "base_rate": float(labels.mean())},
    )
    return TrainingReport(
        SESSION_QUALITY,
        table,
        outcome,
        {"losses": losses, "sessions": len(loaded), "positive_rate": float(labels.mean())},
    )


TRAINERS = {RECOMMENDER: recommender_train, TRENDS: trends_train, SESSION_QUALITY: session_quality_train}


def models_train(*, names: tuple[str, ...] = MODEL_NAMES, **options) -> dict[str, TrainingReport | str]:
    """Trains each named model; a model without enough data is reported, not fatal for the rest."""
    reports: dict[str, TrainingReport | str] = {}
    for name in names:
        try:
            reports[name] = TRAINERS[name](**options.get(name, {}))
        except NotEnoughData as exc:
            logger.warning("ml training skipped", extra={"model": name, "reason": str(exc)})
            reports[name] = str(exc)
        else:
            outcome = reports[name].outcome
            logger.info(
                "ml training finished",
                extra={
                    "model": name,
                    "version": outcome.version,
                    "promoted": outcome.promoted,
                    "reason": outcome.reason,
                },
            )
    return reports
