"""Publishes the MLflow registry's champions as the serving copies web processes answer with."""

from django.core.management.base import BaseCommand

from ml.services import MODEL_NAMES, served_models_sync


class Command(BaseCommand):
    help = (
        "Publish each model's `champion` (and the newest session-quality baseline) from the MLflow registry "
        "into the served-model table; training does this itself on promotion, so this is for registries "
        "trained before serving copies existed and for an alias moved by hand. Copies already current are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("model", nargs="?", choices=(*MODEL_NAMES, "all"), default="all")

    def handle(self, *args, model: str, **options):
        for line in served_models_sync(names=MODEL_NAMES if model == "all" else (model,)):
            self.stdout.write(line)
