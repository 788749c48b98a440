"""Full-ranking leave-last-out evaluation of the recommender on any user,item,rating,timestamp CSV.

Everything tuned (the net's epochs, EASE's L2, the blend weights) is tuned on a validation split cut from
the training part; the held-out last interaction of each user is scored once, at the end."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

REQUIRED_COLUMNS = ("user", "item", "rating", "timestamp")


def _timestamp(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return datetime.fromisoformat(text).timestamp()


def interactions_read(*, path: Path, min_rating: float | None) -> list[tuple[str, str, float]]:
    """Rows as (user, item, timestamp); raises CommandError with one line saying what is wrong."""
    if not path.is_file():
        raise CommandError(f"파일이 없습니다: {path}")
    rows = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise CommandError(f"열이 없습니다: {', '.join(missing)} (필요한 열: user,item,rating,timestamp)")
            for line, record in enumerate(reader, start=2):
                values = {c: (record.get(columns[c]) or "").strip() for c in REQUIRED_COLUMNS}
                if not values["user"] or not values["item"]:
                    raise CommandError(f"{line}번째 줄: user 또는 item이 비어 있습니다")
                try:
                    rating = float(values["rating"])
                    timestamp = _timestamp(values["timestamp"])
                except ValueError:
                    raise CommandError(f"{line}번째 줄: rating 또는 timestamp가 숫자/날짜가 아닙니다") from None
                if min_rating is None or rating >= min_rating:
                    rows.append((values["user"], values["item"], timestamp))
    except UnicodeDecodeError:
        raise CommandError("UTF-8 CSV 파일이 아닙니다") from None
    except csv.Error as error:
        raise CommandError(f"CSV 형식 오류: {error}") from None
    return rows


class Command(BaseCommand):
    help = "Evaluates the recommender vs popularity, item-kNN and EASE (HR@10, NDCG@10) on an interactions CSV."

    def add_arguments(self, parser):
        parser.add_argument("--interactions", required=True, type=Path, help="CSV with user,item,rating,timestamp")
        parser.add_argument("--min-rating", type=float, default=None, help="keep only rows rated at least this")
        parser.add_argument("--epochs", type=int, default=60, help="most epochs (early stopping on validation)")
        parser.add_argument("--dim", type=int, default=64)
        parser.add_argument("--max-len", type=int, default=50, help="history length the sequential net reads")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--noise-seeds", type=int, default=1, help="runs of the net with other seeds, for the run-to-run noise"
        )

    def handle(self, *args, **options):
        import numpy as np

        from ml.training.recommender import rec_compare, rec_data_build, rec_fit, rec_noise

        rows = interactions_read(path=Path(options["interactions"]), min_rating=options["min_rating"])
        data = rec_data_build(rows=rows)
        if len(data.test) < 2:
            raise CommandError("평가할 사용자가 부족합니다: 상호작용이 2개 이상인 사용자가 2명 이상 필요합니다")
        self.stdout.write(
            f"interactions={len(rows)} users={data.n_users} items={data.n_items} held_out_users={len(data.test)}"
        )
        fit = rec_fit(
            data, max_epochs=options["epochs"], dim=options["dim"], max_len=options["max_len"], seed=options["seed"]
        )
        self.stdout.write(
            f"training loss {fit.losses[0]:.4f} -> {fit.losses[-1]:.4f}; chosen on validation: {fit.epochs} epochs, "
            f"EASE l2={fit.ease_l2:g}, blend {fit.blend}"
        )
        table = rec_compare(data, fit)
        if options["noise_seeds"] > 1:
            seed = options["seed"]
            runs = [
                table["model"]["ndcg@10"],
                *rec_noise(data, fit, seeds=range(seed + 1, seed + options["noise_seeds"])),
            ]
            self.stdout.write(
                f"noise: model ndcg@10 over seeds {seed}..{seed + len(runs) - 1}: "
                f"{', '.join(f'{v:.4f}' for v in runs)} (noise {float(np.std(runs, ddof=1)):.4f})"
            )
        for name, metrics in table.items():
            self.stdout.write(f"{name:<12} hr@10={metrics['hr@10']:.4f} ndcg@10={metrics['ndcg@10']:.4f}")
        self.stdout.write(json.dumps(table))
