"""Loads the deterministic demo activity (users, plays, chats, feedback, events over 24 months)."""

import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo.activity import activity_plan, demo_activity_delete, demo_activity_exists, demo_activity_write, room_infos


class Command(BaseCommand):
    help = "Demo history over the demo catalogue (safe to run again: does nothing when it is already there)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=300)
        parser.add_argument("--months", type=int, default=24)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--reset", action="store_true", help="delete the demo users and their activity first")
        parser.add_argument(
            "--no-train",
            dest="train",
            action="store_false",
            help="do not queue model training (by default a fresh load queues ml.tasks.ml_retrain_all on Celery)",
        )

    def handle(self, *args, users: int, months: int, seed: int, reset: bool, train: bool, **options):
        if not 1 <= users <= 100_000:
            raise CommandError("--users는 1 이상 100,000 이하여야 합니다.")
        if not 13 <= months <= 120:
            raise CommandError("--months는 13 이상 120 이하여야 합니다 (추세 모델은 1년 이상이 필요합니다).")
        if reset:
            self.stdout.write(f"demo activity: deleted {demo_activity_delete()} rows")
        elif demo_activity_exists():
            self.stdout.write("demo activity: already loaded")
            return
        rooms = room_infos()
        if not rooms:
            raise CommandError("카탈로그가 비어 있습니다: 먼저 `python manage.py seed_catalog`를 실행하세요.")
        started = time.monotonic()
        plan = activity_plan(rooms=rooms, users=users, months=months, seed=seed, today=timezone.localdate())
        counts = demo_activity_write(plan=plan, seed=seed)
        summary = " ".join(f"{k}={v}" for k, v in counts.items())
        self.stdout.write(f"demo activity: {summary} in {time.monotonic() - started:.1f}s")
        if train:
            # So a fresh `make run` ends up with trained champions without anyone running ml_train.
            transaction.on_commit(_training_queue)
            self.stdout.write("demo activity: model training queued (ml.tasks.ml_retrain_all)")


def _training_queue() -> None:
    from ml.tasks import ml_retrain_all

    try:
        ml_retrain_all.delay()
    except Exception:  # noqa: BLE001 - no broker: the demo still works on the baselines
        logging.getLogger(__name__).warning("could not queue ml training; run `python manage.py ml_train all`")
