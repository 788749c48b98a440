"""Trains models from the database, prints model vs baselines, logs/registers them in MLflow."""

import json

from django.core.management.base import BaseCommand

from ml.services import MODEL_NAMES, TrainingReport, models_train


class Command(BaseCommand):
    help = "Train recommender, trends, session_quality or all; the champion alias moves only on a win."

    def add_arguments(self, parser):
        parser.add_argument("model", choices=(*MODEL_NAMES, "all"))
        parser.add_argument("--epochs", type=int, default=None, help="override every model's epochs")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--noise-seeds", type=int, default=3, help="runs (seeds) that measure the noise")

    def handle(self, *args, model: str, epochs: int | None, seed: int, noise_seeds: int, **options):
        names = MODEL_NAMES if model == "all" else (model,)
        settings_for = {"seed": seed, "noise_seeds": max(1, noise_seeds)} | ({"epochs": epochs} if epochs else {})
        reports = models_train(names=names, **{name: settings_for for name in names})
        summary = {}
        for name, report in reports.items():
            if not isinstance(report, TrainingReport):
                self.stdout.write(f"{name}: skipped ({report})")
                summary[name] = {"skipped": report}
                continue
            self.stdout.write(f"== {name}")
            for ranker, metrics in report.table.items():
                values = " ".join(f"{k}={v:.4f}" for k, v in metrics.items())
                self.stdout.write(f"  {ranker:<20} {values}")
            outcome = report.outcome
            runs = report.details.get("seed_runs") or []
            self.stdout.write(
                f"  run-to-run noise over {len(runs)} seeds: {outcome.noise:.4f} "
                f"(runs: {', '.join(f'{v:.4f}' for v in runs)})"
            )
            if outcome.champion_metric is not None:
                self.stdout.write(
                    f"  champion on the same data: {outcome.champion_metric:.4f}; candidate: {outcome.metric:.4f}"
                )
            verdict = "champion" if outcome.promoted else "not promoted"
            self.stdout.write(f"  registered {name} v{outcome.version}: {verdict} ({outcome.reason})")
            summary[name] = {
                "version": outcome.version,
                "promoted": outcome.promoted,
                "table": report.table,
                "noise": outcome.noise,
                "champion_same_data": outcome.champion_metric,
            }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
