"""Runs land in the temporary MLflow store; `champion` moves only for a version that wins."""

from pathlib import Path

import numpy as np
import pytest
import torch

from ml import inference, tracking
from ml.nets.session_quality import SessionQualityNet
from ml.tracking import promotion_decide, training_run_record
from ml.training.metrics import roc_auc
from ml.training.session_quality import SessionSet, session_predict, session_train


@pytest.mark.parametrize(
    ("metric", "baseline", "champion", "higher", "promoted"),
    [
        (0.5, 0.4, None, True, True),
        (0.5, 0.6, None, True, False),
        (0.5, 0.4, 0.55, True, False),
        (0.5, 0.4, 0.45, True, True),
        (0.9, 1.0, 0.95, False, True),  # MASE: lower is better
        (0.97, 1.0, 0.95, False, False),
        (0.5, 0.5, None, True, False),  # a tie with the baseline is no win
        (float("nan"), 0.4, None, True, False),
    ],
)
def test_promotion_decide(metric, baseline, champion, higher, promoted):
    decision, reason = promotion_decide(
        metric=metric, baseline_metric=baseline, champion_metric=champion, higher_is_better=higher
    )
    assert decision is promoted and reason


@pytest.mark.parametrize(
    ("metric", "champion", "noise", "higher", "promoted"),
    [
        (0.52, 0.50, 0.03, True, False),  # a win smaller than the run-to-run noise is no win
        (0.54, 0.50, 0.03, True, True),
        (0.90, 0.95, 0.02, False, True),  # MASE: lower is better
        (0.94, 0.95, 0.02, False, False),
    ],
)
def test_promotion_needs_a_margin_larger_than_the_noise(metric, champion, noise, higher, promoted):
    decision, reason = promotion_decide(
        metric=metric,
        baseline_metric=0.0 if higher else 9.0,
        champion_metric=champion,
        higher_is_better=higher,
        margin=noise,
    )
    assert decision is promoted and reason


def _record(model_name: str, auc: float, baseline_auc: float, *, seed: int = 0, net=None, **options):
    torch.manual_seed(seed)
    net = net or SessionQualityNet(feature_dim=3, hidden=4)
    return training_run_record(
        model_name=model_name,
        params={"hidden": 4, "epochs": 1},
        metrics={"roc_auc": auc},
        baseline_metrics={"logistic_regression": {"roc_auc": baseline_auc}},
        validation_metric="roc_auc",
        baseline_name="logistic_regression",
        higher_is_better=True,
        bundle={"state_dict": net.state_dict(), "config": net.config},
        baseline_bundle={"logistic": {"weights": [0.0] * 7, "bias": 0.25, "mean": [0.0] * 7, "std": [1.0] * 7}},
        **options,
    )


def _last_message_sessions(n: int, seed: int) -> SessionSet:
    """Sessions whose outcome the last message decides (its first feature > 0)."""
    rng = np.random.default_rng(seed)
    steps = [rng.normal(size=(int(rng.integers(2, 6)), 3)).astype(np.float32) for _ in range(n)]
    return SessionSet(steps=steps, labels=np.array([float(s[-1, 0] > 0) for s in steps]))


@pytest.mark.django_db
def test_a_candidate_that_loses_on_the_same_new_data_is_not_promoted():
    """The champion was registered with a modest metric measured on old data; on today's sessions it is
    scored again, like the candidate, and there it is far better: the candidate, which beats the champion's
    stored figure, is not promoted."""
    old, new = _last_message_sessions(128, seed=0), _last_message_sessions(64, seed=1)
    champion_net, _ = session_train(old, epochs=25, hidden=8, lr=0.02, seed=0)
    first = _record("session_quality", 0.30, 0.20, net=champion_net)
    assert first.promoted

    def on_new_data(bundle: dict) -> float:
        net = SessionQualityNet(**bundle["config"])
        net.load_state_dict(bundle["state_dict"])
        net.eval()
        return roc_auc(new.labels, session_predict(net, new.steps)[0])

    candidate_net, _ = session_train(old, epochs=1, hidden=8, lr=0.001, seed=1)  # barely trained
    candidate_auc = roc_auc(new.labels, session_predict(candidate_net, new.steps)[0])
    champion_auc = on_new_data(tracking.bundle_load(model_name="session_quality", version=first.version))
    assert candidate_auc > 0.30 and champion_auc > candidate_auc + 0.1  # better than the stored figure, worse here

    candidate = _record(
        "session_quality", candidate_auc, 0.20, net=candidate_net, champion_evaluate=on_new_data, noise=0.01
    )
    assert not candidate.promoted and "same data" in candidate.reason
    assert candidate.champion_metric == pytest.approx(champion_auc)
    assert tracking.champion_version(model_name="session_quality") == first.version
    # Both figures are in the candidate's MLflow run.
    run = tracking.mlflow_client().get_run(candidate.run_id)
    assert run.data.metrics["champion_same_data.roc_auc"] == pytest.approx(champion_auc)
    assert run.data.metrics["noise.roc_auc"] == pytest.approx(0.01)
    assert run.data.tags["champion_version_compared"] == first.version


@pytest.mark.django_db
def test_runs_are_logged_registered_and_champion_moves_only_on_wins(mlflow_store):
    first = _record("session_quality", 0.70, 0.60)
    assert first.promoted and first.version == "1"
    assert tracking.champion_version(model_name="session_quality") == "1"

    worse = _record("session_quality", 0.65, 0.60)  # beats the baseline, not the champion
    assert not worse.promoted and worse.champion_metric == pytest.approx(0.70)
    assert tracking.champion_version(model_name="session_quality") == "1"

    losing = _record("session_quality", 0.72, 0.80)  # beats the champion, not its baseline
    assert not losing.promoted
    better = _record("session_quality", 0.75, 0.60)
    assert better.promoted and tracking.champion_version(model_name="session_quality") == better.version

    client = tracking.mlflow_client()
    run = client.get_run(first.run_id)
    assert run.data.metrics["roc_auc"] == pytest.approx(0.70)
    assert run.data.metrics["baseline.logistic_regression.roc_auc"] == pytest.approx(0.60)
    assert run.data.params["hidden"] == "4" and run.data.tags["promoted"] == "true"
    assert client.get_run(worse.run_id).data.tags["promoted"] == "false"
    # Everything is in the temporary store and its artifact folder, nowhere else.
    assert (mlflow_store / "mlflow.db").exists()
    assert list(Path(mlflow_store / "artifacts").rglob(tracking.BUNDLE_FILE))
    bundle = tracking.bundle_load(model_name="session_quality", version=first.version)
    assert set(bundle) == {"state_dict", "config"}


@pytest.mark.django_db
def test_serving_falls_back_then_loads_champion_and_reloads_when_alias_moves():
    steps = np.ones((3, 3), dtype=np.float32)
    probability, attention, version = inference.session_quality_predict(steps=steps, base_rate=0.3)
    assert (probability, attention, version) == (0.3, None, inference.BASE_RATE_VERSION)

    _record("session_quality", 0.55, 0.60)  # loses to its baseline: the baseline serves
    probability, attention, version = inference.session_quality_predict(steps=steps)
    assert version == "baseline:logistic_regression:v1" and attention is None
    assert probability == pytest.approx(1 / (1 + np.exp(-0.25)))

    _record("session_quality", 0.70, 0.60, seed=1)
    probability, attention, version = inference.session_quality_predict(steps=steps)
    assert version == "session_quality:v2" and len(attention) == 3 and 0 < probability < 1

    _record("session_quality", 0.80, 0.60, seed=2)
    second = inference.session_quality_predict(steps=steps)
    assert second[2] == "session_quality:v3" and second[0] != probability


@pytest.mark.django_db
def test_champion_is_not_reloaded_within_the_check_interval(settings):
    settings.ML_CHAMPION_CHECK_SECONDS = 3600
    loads = []

    def build(version, bundle):
        loads.append(version)
        assert set(bundle) == {"state_dict", "config"}  # the published copy, unpacked
        return object()

    assert inference.champion_payload("session_quality", build) == (None, None)
    _record("session_quality", 0.70, 0.60)
    assert inference.champion_payload("session_quality", build) == (None, None)  # cached "no champion"
    inference.champion_cache_clear()
    version, payload = inference.champion_payload("session_quality", build)
    assert version == "1" and payload is not None
    assert inference.champion_payload("session_quality", build)[1] is payload
    assert loads == ["1"]
