"""ml_evaluate_recommender on CSV files; Django start-up never imports torch or mlflow."""

import json
import subprocess
import sys

import numpy as np
import pytest
from django.core.management import CommandError, call_command


def _write(path, rows, header="user,item,rating,timestamp"):
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_evaluate_recommender_prints_the_table_as_its_last_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = []
    for u in range(30):
        for t in range(6):
            item = int(rng.integers(0, 5)) + (u % 2) * 5
            rows.append(f"u{u},i{item},{int(rng.integers(1, 6))},{1_600_000_000 + 100 * t + u}")
    path = _write(tmp_path / "interactions.csv", rows)
    call_command("ml_evaluate_recommender", interactions=str(path), epochs=3, dim=8, max_len=4, noise_seeds=2)
    out = capsys.readouterr().out.strip().splitlines()
    table = json.loads(out[-1])
    assert set(table) == {"model", "popularity", "item_knn", "ease"}
    assert any(line.startswith("noise: model ndcg@10 over seeds 0..1") for line in out)
    for metrics in table.values():
        assert set(metrics) == {"hr@10", "ndcg@10"}
        assert 0.0 <= metrics["ndcg@10"] <= metrics["hr@10"] <= 1.0
    # Ten items, at most five already played: the held-out item is always in the top ten.
    assert table["popularity"]["hr@10"] == 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("user,item\n1,2\n", "열이 없습니다"),
        ("user,item,rating,timestamp\n1,2,five,3\n", "2번째 줄"),
        ("user,item,rating,timestamp\n1,2,5,3\n", "사용자가 부족합니다"),
    ],
)
def test_evaluate_recommender_rejects_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("ml_evaluate_recommender", interactions=str(path), epochs=1)


def test_evaluate_recommender_exits_non_zero_with_one_line_for_a_missing_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "ml_evaluate_recommender", "--interactions", str(tmp_path / "none.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "파일이 없습니다" in result.stderr


def test_django_start_up_imports_neither_torch_nor_mlflow():
    code = (
        "import django, sys; django.setup();"
        "import escape_ai.urls, ml.apis, ml.urls, ml.inference, ml.tracking, ml.selectors;"
        "from django.urls import resolve; resolve('/healthz');"
        "print(sorted(m for m in ('torch', 'mlflow') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "escape_ai.settings.test"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_weekly_retraining_is_scheduled_on_a_registered_task(settings):
    from celery.schedules import crontab

    from escape_ai.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["ml-retrain-weekly"]
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].day_of_week == {1}  # Monday by default (ML_RETRAIN_DAY_OF_WEEK)
    app.loader.import_default_modules()
    task = app.tasks[entry["task"]]
    assert task.acks_late and task.soft_time_limit >= 1800
