"""docker-compose.yml cannot run here (no Docker engine); its structure is checked instead."""

from pathlib import Path

import yaml

from escape_ai.settings.paths import BASE_DIR

COMPOSE = yaml.safe_load(Path(BASE_DIR / "docker-compose.yml").read_text())


def test_compose_has_the_whole_stack():
    assert {"postgres", "redis", "rabbitmq", "web", "worker", "beat"} <= set(COMPOSE["services"])
    assert "pgvector" in COMPOSE["services"]["postgres"]["image"]


def test_app_services_point_at_the_compose_services():
    for name in ("web", "worker", "beat"):
        env = COMPOSE["services"][name]["environment"]
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert "@rabbitmq:5672" in env["CELERY_BROKER_URL"]
        assert env["DJANGO_SETTINGS_MODULE"] == "escape_ai.settings.production"


def test_worker_and_beat_run_celery_on_our_app():
    assert COMPOSE["services"]["worker"]["command"][:4] == ["celery", "-A", "escape_ai", "worker"]
    assert COMPOSE["services"]["beat"]["command"][:4] == ["celery", "-A", "escape_ai", "beat"]
