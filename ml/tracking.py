"""MLflow logging and the model registry: every training run is logged, registered, and promoted
to the `champion` alias only when it beats its baseline and the current champion, the champion scored
again on the same newest data as the candidate, by more than the run-to-run noise of the candidate's
training (measured over seeds by the caller). A promoted version (and the newest run's session-quality
baseline) is then published as a serving copy in PostgreSQL (ml.services.training_run_publish): web
processes serve from that copy with numpy and never import this module's mlflow or torch.

mlflow is imported here lazily (never at Django start-up). Models are stored as one torch file of
tensors and plain values (`torch.load(weights_only=True)` reads it back), not as MLflow "flavours",
which would infer pip environments and pull in packages we do not ship.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

CHAMPION_ALIAS = "champion"
# Always the newest version: its run holds the newest trained baseline (the fallback's weights).
LATEST_ALIAS = "newest"
BUNDLE_FILE = "bundle.pt"
BASELINE_FILE = "baseline.pt"

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def tracking_uri() -> str:
    return settings.ML_MLFLOW_TRACKING_URI


def tracking_store_exists() -> bool:
    """False while a local sqlite store has never been written, so serving need not create one."""
    uri = tracking_uri()
    if uri.startswith("sqlite:///"):
        return Path(uri.removeprefix("sqlite:///")).exists()
    return True


def mlflow_client():
    """One MlflowClient per tracking URI per process; telemetry off (no network here)."""
    uri = tracking_uri()
    with _lock:
        client = _clients.get(uri)
        if client is None:
            os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
            os.environ.setdefault("DO_NOT_TRACK", "true")
            from mlflow import MlflowClient

            if uri.startswith("sqlite:///"):
                Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            client = MlflowClient(tracking_uri=uri, registry_uri=uri)
            _clients[uri] = client
    return client


def metric_key(name: str) -> str:
    """MLflow metric names allow no '@': hr@10 -> hr_at_10."""
    return name.replace("@", "_at_")


@dataclass(frozen=True)
class TrainingOutcome:
    model_name: str
    version: str
    run_id: str
    promoted: bool
    reason: str
    metric: float
    baseline_metric: float
    champion_metric: float | None  # the champion scored on the same data as the candidate
    noise: float = 0.0


def promotion_decide(
    *,
    metric: float,
    baseline_metric: float,
    champion_metric: float | None,
    higher_is_better: bool,
    margin: float = 0.0,
) -> tuple[bool, str]:
    """The new version becomes champion only if it strictly beats the baseline, and beats the champion
    (scored on the same data) by more than `margin` (the run-to-run noise)."""

    def better(a: float, b: float) -> bool:
        return a > b if higher_is_better else a < b

    if metric is None or math.isnan(metric):
        return False, "validation metric is undefined"
    if not better(metric, baseline_metric):
        return False, f"does not beat the baseline ({metric:.4f} vs {baseline_metric:.4f})"
    if champion_metric is not None and not math.isnan(champion_metric):
        gain = metric - champion_metric if higher_is_better else champion_metric - metric
        if gain <= max(margin, 0.0):
            return False, (
                f"does not beat the champion on the same data by more than the noise "
                f"({metric:.4f} vs {champion_metric:.4f}, noise {margin:.4f})"
            )
    return True, "beats the baseline" + ("" if champion_metric is None else " and the champion on the same data")


def champion_version(*, model_name: str) -> str | None:
    """The version the alias points to, or None (no store, no model, no alias)."""
    return alias_version(model_name=model_name, alias=CHAMPION_ALIAS)


def alias_version(*, model_name: str, alias: str) -> str | None:
    if not tracking_store_exists():
        return None
    from mlflow.exceptions import MlflowException

    try:
        return str(mlflow_client().get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def _champion_metric(
    model_name: str, evaluate: Callable[[dict[str, Any]], float] | None
) -> tuple[str | None, float | None]:
    """(champion version, its metric on the candidate's data). Without an evaluator, or when the champion
    cannot be scored on this data (its file is gone, or an older bundle no longer fits), the metric it
    was registered with stands in."""
    version = champion_version(model_name=model_name)
    if version is None:
        return None, None
    if evaluate is not None:
        bundle = bundle_load(model_name=model_name, version=version)
        if bundle is not None:
            try:
                return version, float(evaluate(bundle))
            except Exception:
                import logging

                logging.getLogger(__name__).warning("champion could not be scored on new data", exc_info=True)
    tags = mlflow_client().get_model_version(model_name, version).tags
    return version, (float(tags["validation_metric"]) if "validation_metric" in tags else None)


def _experiment_id(client, model_name: str) -> str:
    experiment = client.get_experiment_by_name(model_name)
    if experiment is not None:
        return experiment.experiment_id
    location = Path(settings.ML_MLFLOW_ARTIFACT_ROOT) / model_name
    location.mkdir(parents=True, exist_ok=True)
    return client.create_experiment(model_name, artifact_location=location.resolve().as_uri())


def training_run_record(
    *,
    model_name: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    baseline_metrics: dict[str, dict[str, float]],
    validation_metric: str,
    baseline_name: str,
    higher_is_better: bool,
    bundle: dict[str, Any],
    baseline_bundle: dict[str, Any] | None = None,
    champion_evaluate: Callable[[dict[str, Any]], float] | None = None,
    noise: float = 0.0,
) -> TrainingOutcome:
    """Logs one run (params, model metrics, each baseline's metrics, the champion's metric on the same
    data, the noise, the model and baseline files), registers a version and moves `champion` to it only
    when it wins. `champion_evaluate` scores a stored bundle on the data the candidate was scored on;
    `noise` is the run-to-run spread of the candidate's metric over seeds."""
    import torch
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.exceptions import MlflowException

    client = mlflow_client()
    run = client.create_run(_experiment_id(client, model_name), tags={"model_name": model_name})
    run_id = run.info.run_id
    try:
        timestamp = int(run.info.start_time)
        metric_rows = [Metric(metric_key(k), float(v), timestamp, 0) for k, v in metrics.items()]
        for baseline, values in baseline_metrics.items():
            metric_rows += [
                Metric(f"baseline.{baseline}.{metric_key(k)}", float(v), timestamp, 0) for k, v in values.items()
            ]
        client.log_batch(run_id, metrics=metric_rows, params=[Param(k, str(v)) for k, v in params.items()])
        with tempfile.TemporaryDirectory() as folder:
            torch.save(bundle, Path(folder) / BUNDLE_FILE)
            client.log_artifact(run_id, str(Path(folder) / BUNDLE_FILE), artifact_path="model")
            if baseline_bundle is not None:
                torch.save(baseline_bundle, Path(folder) / BASELINE_FILE)
                client.log_artifact(run_id, str(Path(folder) / BASELINE_FILE), artifact_path="model")
        with contextlib.suppress(MlflowException):  # already registered
            client.create_registered_model(model_name)
        metric = float(metrics[validation_metric])
        baseline_metric = float(baseline_metrics[baseline_name][validation_metric])
        champion_at, champion_metric = _champion_metric(model_name, champion_evaluate)
        same_data = [Metric(f"noise.{metric_key(validation_metric)}", float(noise), timestamp, 0)]
        if champion_metric is not None:
            same_data.append(
                Metric(f"champion_same_data.{metric_key(validation_metric)}", champion_metric, timestamp, 0)
            )
        client.log_batch(run_id, metrics=same_data)
        version = client.create_model_version(
            model_name,
            source=f"{run.info.artifact_uri}/model",
            run_id=run_id,
            tags={"validation_metric": str(metric), "validation_metric_name": validation_metric},
        )
        promoted, reason = promotion_decide(
            metric=metric,
            baseline_metric=baseline_metric,
            champion_metric=champion_metric,
            higher_is_better=higher_is_better,
            margin=noise,
        )
        client.set_registered_model_alias(model_name, LATEST_ALIAS, version.version)
        if promoted:
            client.set_registered_model_alias(model_name, CHAMPION_ALIAS, version.version)
        tags = [RunTag("promoted", str(promoted).lower()), RunTag("promotion_reason", reason)]
        if champion_at is not None:
            tags.append(RunTag("champion_version_compared", str(champion_at)))
        client.log_batch(run_id, tags=tags)
        client.set_model_version_tag(model_name, version.version, "promoted", str(promoted).lower())
        client.set_terminated(run_id, "FINISHED")
    except Exception:
        client.set_terminated(run_id, "FAILED")
        raise
    # The serving copies web processes answer with (ml.serving): they never read MLflow or load torch.
    from ml.services import training_run_publish

    training_run_publish(
        model_name=model_name,
        version=str(version.version),
        run_id=run_id,
        promoted=promoted,
        bundle=bundle,
        baseline_bundle=baseline_bundle,
    )
    return TrainingOutcome(
        model_name=model_name,
        version=str(version.version),
        run_id=run_id,
        promoted=promoted,
        reason=reason,
        metric=metric,
        baseline_metric=baseline_metric,
        champion_metric=champion_metric,
        noise=float(noise),
    )


def bundle_load(*, model_name: str, version: str, file_name: str = BUNDLE_FILE) -> dict[str, Any] | None:
    """A registered version's file (tensors and plain values only), or None when it has none."""
    import mlflow
    import torch

    client = mlflow_client()
    source = client.get_model_version(model_name, version).source
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{source}/{file_name}", dst_path=folder, tracking_uri=tracking_uri()
            )
        except Exception:  # noqa: BLE001 - a missing artifact raises different errors per store
            return None
        return torch.load(path, weights_only=True)
