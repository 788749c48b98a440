"""ml tests: every MLflow run goes to a temporary sqlite store, created once and copied per test."""

import shutil

import pytest

from ml.inference import champion_cache_clear


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory):
    """An initialised MLflow sqlite database (its schema migrations take seconds: run them once)."""
    from django.conf import settings

    from ml import tracking

    folder = tmp_path_factory.mktemp("mlflow-template")
    original = settings.ML_MLFLOW_TRACKING_URI
    settings.ML_MLFLOW_TRACKING_URI = f"sqlite:///{folder / 'mlflow.db'}"
    try:
        tracking.mlflow_client().search_experiments()
    finally:
        settings.ML_MLFLOW_TRACKING_URI = original
    return folder / "mlflow.db"


@pytest.fixture(autouse=True)
def mlflow_store(tmp_path, settings, mlflow_template):
    """A fresh tracking store + registry for each test, and no champion cached from another test."""
    shutil.copy(mlflow_template, tmp_path / "mlflow.db")
    settings.ML_MLFLOW_TRACKING_URI = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings.ML_MLFLOW_ARTIFACT_ROOT = str(tmp_path / "artifacts")
    settings.ML_CHAMPION_CHECK_SECONDS = 0
    champion_cache_clear()
    yield tmp_path
    champion_cache_clear()
