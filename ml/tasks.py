"""Weekly retraining on RabbitMQ (beat entry `ml-retrain-weekly` in settings)."""

from celery import shared_task


@shared_task(name="ml.tasks.ml_retrain_all", acks_late=True, soft_time_limit=3300, time_limit=3600)
def ml_retrain_all() -> dict:
    """Safe to run twice: each run is one more registered version, promoted only if it beats the champion,
    scored on the same newest data, by more than the noise over seeds (both figures are in its MLflow run)."""
    from ml.services import TrainingReport, models_train

    reports = models_train()
    return {
        name: (
            {
                "version": r.outcome.version,
                "promoted": r.outcome.promoted,
                "metric": r.outcome.metric,
                "champion_same_data": r.outcome.champion_metric,
                "noise": r.outcome.noise,
            }
            if isinstance(r, TrainingReport)
            else {"skipped": r}
        )
        for name, r in reports.items()
    }
