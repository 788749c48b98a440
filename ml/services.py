"""Training pipelines: read the database, train, compare with the baselines, log and register; and the
serving copies that web processes answer with (published when a version becomes champion).

Each training pipeline returns the side-by-side table (model vs baselines) and the registry outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ml.inference import RECOMMENDER, SESSION_QUALITY, TRENDS

logger = logging.getLogger(__name__)
MODEL_NAMES = (RECOMMENDER, TRENDS, SESSION_QUALITY)
# Models whose newest run's baseline answers while there is no champion (ml.inference serves it).
SERVED_BASELINES = (SESSION_QUALITY,)


class NotEnoughData(Exception):
    """Too little activity in the database to train or evaluate this model."""


@dataclass(frozen=True)
class TrainingReport:
    model_name: str
    table: dict[str, dict[str, float]]
    outcome: Any  # ml.tracking.TrainingOutcome
    details: dict[str, Any]


def seed_noise(values: list[float]) -> float:
    """Run-to-run noise of a metric: the standard deviation over seeds (0 with a single run)."""
    import numpy as np

    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def recommender_train(*, epochs: int = 60, seed: int = 0, noise_seeds: int = 3) -> TrainingReport:
    """Tunes on the validation split, fits, scores the blend against popularity, item-kNN and EASE on the
    held-out newest interaction of each user, retrains the net with `noise_seeds` - 1 other seeds to
    measure the noise, and scores the champion on the same held-out data before promotion."""
    from ml.datasets import recommender_rows
    from ml.tracking import training_run_record
    from ml.training.recommender import bundle_evaluate, rec_compare, rec_data_build, rec_fit, rec_noise

    rows, room_features, user_features = recommender_rows()
    data = rec_data_build(rows=rows, item_features=room_features, user_features=user_features)
    if len(data.test) < 10:
        raise NotEnoughData(f"recommender: {len(data.test)} users with two or more interactions (need 10)")
    fit = rec_fit(data, max_epochs=epochs, seed=seed)
    table = rec_compare(data, fit)
    runs = [table["model"]["ndcg@10"], *rec_noise(data, fit, seeds=range(seed + 1, seed + noise_seeds))]
    noise = seed_noise(runs)
    outcome = training_run_record(
        model_name=RECOMMENDER,
        params={
            "max_epochs": epochs,
            "epochs": fit.epochs,
            "seed": seed,
            **fit.model.config,
            "ease_l2": fit.ease_l2,
            **{f"blend.{k}": v for k, v in fit.blend.items()},
            "interactions": len(rows),
            "users": data.n_users,
            "noise_seeds": noise_seeds,
        },
        metrics={
            **table["model"],
            "final_loss": fit.losses[-1],
            **{f"valid.{k}": v for k, v in fit.validation.items()},
        },
        baseline_metrics={name: table[name] for name in ("popularity", "item_knn", "ease")},
        validation_metric="ndcg@10",
        baseline_name=max(("popularity", "item_knn", "ease"), key=lambda name: table[name]["ndcg@10"]),
        higher_is_better=True,
        bundle=fit.bundle(data),
        champion_evaluate=lambda bundle: bundle_evaluate(bundle, data)["ndcg@10"],
        noise=noise,
    )
    return TrainingReport(
        RECOMMENDER,
        table,
        outcome,
        {"losses": fit.losses, "held_out_users": len(data.test), "seed_runs": runs, "noise": noise},
    )


def trends_train(*, epochs: int = 150, seed: int = 0, noise_seeds: int = 3) -> TrainingReport:
    """Rolling-origin backtest against ETS, seasonal-naive and naive; the backtest repeated with other seeds
    measures the noise; the champion is scored on the same origins before promotion."""
    from ml.datasets import demand_series
    from ml.nets.trends import TrendLSTM
    from ml.tracking import training_run_record
    from ml.training.trends import (
        HORIZON,
        INPUT_MONTHS,
        TREND_BASELINES,
        trend_backtest,
        trend_model_mase,
        trend_train_final,
    )

    months, series = demand_series()
    series = {key: values for key, values in series.items() if values.sum() > 0}
    if len(months) < INPUT_MONTHS + 2 * HORIZON or not series:
        raise NotEnoughData(f"trends: {len(months)} months of activity (need {INPUT_MONTHS + 2 * HORIZON})")
    first_month = months[0].month
    _, table, losses = trend_backtest(series, first_month=first_month, epochs=epochs, seed=seed)
    runs = [table["model"]["mase"]] + [
        trend_backtest(series, first_month=first_month, epochs=epochs, seed=other)[1]["model"]["mase"]
        for other in range(seed + 1, seed + noise_seeds)
    ]
    model = trend_train_final(series, first_month=first_month, epochs=epochs, seed=seed)
    baseline = min(TREND_BASELINES, key=lambda name: table[name]["mase"])

    def champion_mase(bundle: dict) -> float:
        champion = TrendLSTM(**bundle["config"])
        champion.load_state_dict(bundle["state_dict"])
        champion.eval()
        return trend_model_mase(champion, series, first_month=first_month)

    outcome = training_run_record(
        model_name=TRENDS,
        params={"epochs": epochs, "seed": seed, **model.config, "months": len(months), "series": len(series)},
        metrics=table["model"],
        baseline_metrics={name: table[name] for name in TREND_BASELINES},
        validation_metric="mase",
        baseline_name=baseline,
        higher_is_better=False,
        bundle={"state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()}, "config": model.config},
        champion_evaluate=champion_mase,
        noise=seed_noise(runs),
    )
    return TrainingReport(
        TRENDS,
        table,
        outcome,
        {"losses": losses, "months": len(months), "series": len(series), "seed_runs": runs, "noise": seed_noise(runs)},
    )


def session_quality_train(*, epochs: int = 30, seed: int = 0, noise_seeds: int = 3) -> TrainingReport:
    """Older sessions train, the newest quarter scores the net and logistic regression; other seeds measure the
    noise; the champion is scored on the same newest quarter before promotion."""
    import numpy as np

    from ml.datasets import MESSAGE_FEATURES, sessions_load
    from ml.nets.session_quality import SessionQualityNet
    from ml.tracking import training_run_record
    from ml.training.metrics import roc_auc
    from ml.training.session_quality import SessionSet, session_compare, session_predict, session_split

    loaded = sessions_load()
    labels = np.array([label for _, _, label in loaded], dtype=np.float64)
    if len(loaded) < 40 or labels.min(initial=1) == labels.max(initial=0):
        raise NotEnoughData(f"session_quality: {len(loaded)} sessions (need 40 with both outcomes)")
    sessions = SessionSet(steps=[features for _, features, _ in loaded], labels=labels)
    model, baseline, table, losses = session_compare(sessions, epochs=epochs, seed=seed)
    runs = [table["model"]["roc_auc"]] + [
        session_compare(sessions, epochs=epochs, seed=other)[2]["model"]["roc_auc"]
        for other in range(seed + 1, seed + noise_seeds)
    ]
    valid = sessions.subset(session_split(len(sessions.steps))[1])

    def champion_auc(bundle: dict) -> float:
        champion = SessionQualityNet(**bundle["config"])
        champion.load_state_dict(bundle["state_dict"])
        champion.eval()
        return roc_auc(valid.labels, session_predict(champion, valid.steps)[0])

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
        champion_evaluate=champion_auc,
        noise=seed_noise(runs),
    )
    return TrainingReport(
        SESSION_QUALITY,
        table,
        outcome,
        {
            "losses": losses,
            "sessions": len(loaded),
            "positive_rate": float(labels.mean()),
            "seed_runs": runs,
            "noise": seed_noise(runs),
        },
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


# --- serving copies (ml.models.ServedModel): what web processes answer with, read with numpy alone ---------


def served_model_publish(*, name: str, version: str, run_id: str, bundle: dict[str, Any]):
    """Writes (or replaces) the serving copy under this name: the bundle's arrays as float32 in one
    numpy.savez payload, its plain values as JSON (ml.serving.bundle_pack)."""
    from django.utils import timezone

    from ml.models import ServedModel
    from ml.serving import bundle_pack

    payload, meta = bundle_pack(bundle)
    row, _ = ServedModel.objects.update_or_create(
        name=name,
        defaults={
            "version": str(version),
            "run_id": run_id,
            "payload": payload,
            "meta": meta,
            "published_at": timezone.now(),
        },
    )
    logger.info("ml served model published", extra={"model": name, "version": str(version), "bytes": len(payload)})
    return row


def served_model_withdraw(*, name: str) -> bool:
    """Removes the serving copy (web processes then answer with the baseline); True when there was one."""
    from ml.models import ServedModel

    deleted, _ = ServedModel.objects.filter(name=name).delete()
    if deleted:
        logger.info("ml served model withdrawn", extra={"model": name})
    return bool(deleted)


def _servable_bundle(model_name: str, bundle: dict[str, Any]) -> dict[str, Any] | None:
    """The bundle as serving reads it, checked by loading it into its torch module (training processes only),
    or None when serving cannot answer with it (a recommender from before the sequential blend)."""
    if model_name == RECOMMENDER:
        if bundle.get("kind") != "sequential_blend":
            return None
        from ml.nets.recommender import SequentialRecommender

        SequentialRecommender(**bundle["config"]).load_state_dict(bundle["state_dict"])
        return bundle
    if model_name == TRENDS:
        from ml.nets.trends import TrendLSTM

        model = TrendLSTM(**bundle["config"])
        model.load_state_dict(bundle["state_dict"], strict=False)  # versions before the band margin lack it
        return {**bundle, "state_dict": model.state_dict()}  # complete: what the loaded module holds
    if model_name == SESSION_QUALITY:
        from ml.nets.session_quality import SessionQualityNet

        SessionQualityNet(**bundle["config"]).load_state_dict(bundle["state_dict"])
        return bundle
    return None


def baseline_served_name(model_name: str) -> str:
    return f"{model_name}.baseline"


def champion_publish(*, model_name: str, version: str, run_id: str, bundle: dict[str, Any]) -> bool:
    """Publishes a version that became champion; one serving cannot answer with withdraws the served copy
    (the baseline answers, as it did before this version). True when published."""
    servable = _servable_bundle(model_name, bundle)
    if servable is None:
        served_model_withdraw(name=model_name)
        return False
    served_model_publish(name=model_name, version=version, run_id=run_id, bundle=servable)
    return True


def baseline_publish(*, model_name: str, version: str, run_id: str, baseline_bundle: dict[str, Any] | None) -> bool:
    """The newest run's baseline (session quality's logistic regression), which answers while there is no
    champion; a newest run without one withdraws the served copy. True when published."""
    if model_name not in SERVED_BASELINES:
        return False
    name = baseline_served_name(model_name)
    if baseline_bundle is None or "logistic" not in baseline_bundle:
        served_model_withdraw(name=name)
        return False
    served_model_publish(name=name, version=version, run_id=run_id, bundle=baseline_bundle)
    return True


def training_run_publish(
    *,
    model_name: str,
    version: str,
    run_id: str,
    promoted: bool,
    bundle: dict[str, Any],
    baseline_bundle: dict[str, Any] | None,
) -> None:
    """After a run is registered (ml.tracking.training_run_record): the newest run's baseline always, the
    model only when it became champion. A losing candidate leaves the served champion as it is."""
    if model_name not in MODEL_NAMES:
        return
    from django.db import transaction

    with transaction.atomic():
        baseline_publish(model_name=model_name, version=version, run_id=run_id, baseline_bundle=baseline_bundle)
        if promoted:
            champion_publish(model_name=model_name, version=version, run_id=run_id, bundle=bundle)


def served_models_sync(*, names: tuple[str, ...] = MODEL_NAMES) -> list[str]:
    """Publishes what the MLflow registry says serves (each `champion`, and the baseline of the newest run
    where one serves) for registries trained before serving copies existed, or after an alias was moved by
    hand. A copy already matching the registry (same version and run) is left as it is; a model with no
    champion has its copy withdrawn. Returns one line per copy, saying what was done."""
    from ml import tracking
    from ml.models import ServedModel

    if not tracking.tracking_store_exists():
        return [f"no MLflow store at {tracking.tracking_uri()}: nothing to publish"]
    client = tracking.mlflow_client()
    served = {row.name: row for row in ServedModel.objects.filter(name__in=[*names, *map(baseline_served_name, names)])}
    lines = []

    def current(name: str, version: str, run_id: str) -> bool:
        row = served.get(name)
        return row is not None and row.version == version and row.run_id == run_id

    for model_name in names:
        version = tracking.champion_version(model_name=model_name)
        if version is None:
            withdrawn = " (served copy withdrawn)" if served_model_withdraw(name=model_name) else ""
            lines.append(f"{model_name}: no champion in the registry{withdrawn}")
        else:
            run_id = client.get_model_version(model_name, version).run_id or ""
            if current(model_name, version, run_id):
                lines.append(f"{model_name}: v{version} already published")
            else:
                bundle = tracking.bundle_load(model_name=model_name, version=version)
                published = bundle is not None and champion_publish(
                    model_name=model_name, version=version, run_id=run_id, bundle=bundle
                )
                if not published:
                    served_model_withdraw(name=model_name)
                lines.append(
                    f"{model_name}: published v{version}"
                    if published
                    else f"{model_name}: v{version} cannot be served (no model file, or one from before the "
                    "current model): the baseline answers"
                )
        if model_name not in SERVED_BASELINES:
            continue
        name = baseline_served_name(model_name)
        newest = tracking.alias_version(model_name=model_name, alias=tracking.LATEST_ALIAS)
        if newest is None:
            served_model_withdraw(name=name)
            lines.append(f"{name}: no run in the registry")
            continue
        run_id = client.get_model_version(model_name, newest).run_id or ""
        if current(name, newest, run_id):
            lines.append(f"{name}: v{newest} already published")
            continue
        baseline = tracking.bundle_load(model_name=model_name, version=newest, file_name=tracking.BASELINE_FILE)
        if baseline_publish(model_name=model_name, version=newest, run_id=run_id, baseline_bundle=baseline):
            lines.append(f"{name}: published v{newest}")
        else:
            lines.append(f"{name}: v{newest} has no baseline file: the base rate answers")
    return lines
