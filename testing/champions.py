"""Models registered as champions for tests: a run that beats its baseline, so it is promoted (and published)."""

from __future__ import annotations

from typing import Any


def champion_record(
    model_name: str, bundle: dict[str, Any], metric: str, *, higher: bool = True, baseline: str = "baseline"
):
    """Register `bundle` with a validation score far past its baseline's: it becomes the champion."""
    from ml.tracking import training_run_record

    return training_run_record(
        model_name=model_name,
        params={},
        metrics={metric: 0.9 if higher else 0.5},
        baseline_metrics={baseline: {metric: 0.1 if higher else 1.0}},
        validation_metric=metric,
        baseline_name=baseline,
        higher_is_better=higher,
        bundle=bundle,
    )


def recommender_champion_train(**fit_options: Any):
    """The recommender's whole recipe (`rec_fit`, small options for speed) fitted on the database's rows now, and
    registered as the champion."""
    from ml.datasets import recommender_rows
    from ml.training.recommender import rec_data_build, rec_fit

    rows, room_features, user_features = recommender_rows()
    data = rec_data_build(rows=rows, item_features=room_features, user_features=user_features)
    fit = rec_fit(data, **fit_options)
    return champion_record("recommender", fit.bundle(data), "ndcg@10", baseline="popularity")
