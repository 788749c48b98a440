"""The training service scores the champion on the same newest data and logs both figures with the noise."""

from datetime import date

import pytest

from ml import tracking
from ml.services import recommender_train

pytestmark = pytest.mark.django_db


def _plays():
    from testing.factories import ReviewFactory, RoomFactory, StoreFactory, UserFactory

    store = StoreFactory()
    rooms = [RoomFactory(store=store, genres=["추리" if n % 2 else "감성"]) for n in range(10)]
    for u in range(14):
        user = UserFactory()
        for step in range(4):
            room = rooms[(u + 2 * step) % 10]
            ReviewFactory(user=user, room=room, rating=4, played_on=date(2026, 1 + step, 1 + u))


def test_retraining_logs_the_champion_on_the_same_data_and_the_noise_over_seeds():
    _plays()
    first = recommender_train(epochs=2, noise_seeds=2)
    assert len(first.details["seed_runs"]) == 2 and first.outcome.noise >= 0.0
    assert set(first.table) == {"model", "popularity", "item_knn", "ease"}

    # Whatever the first run's verdict, make it the champion the second run must face.
    tracking.mlflow_client().set_registered_model_alias("recommender", tracking.CHAMPION_ALIAS, first.outcome.version)

    second = recommender_train(epochs=2, seed=5, noise_seeds=2)
    run = tracking.mlflow_client().get_run(second.outcome.run_id)
    assert run.data.metrics["noise.ndcg_at_10"] == pytest.approx(second.outcome.noise)
    assert "baseline.ease.ndcg_at_10" in run.data.metrics
    # The champion was scored on the second run's held-out data: the same data as the candidate. It was
    # trained on the same interactions, so it scores there what it scored when it was trained.
    assert run.data.tags["champion_version_compared"] == first.outcome.version
    assert run.data.metrics["champion_same_data.ndcg_at_10"] == pytest.approx(second.outcome.champion_metric)
    assert second.outcome.champion_metric == pytest.approx(first.outcome.metric, abs=1e-6)
    gain = second.outcome.metric - second.outcome.champion_metric
    expected = gain > second.outcome.noise and second.outcome.metric > second.outcome.baseline_metric
    assert second.outcome.promoted is expected
