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


def _published(service: str) -> list[str]:
    return [str(port) for port in COMPOSE["services"][service].get("ports", [])]


def test_only_the_proxy_is_published_on_every_interface():
    for name in COMPOSE["services"]:
        for port in _published(name):
            if name != "proxy":
                assert port.startswith("127.0.0.1:"), (name, port)
    assert _published("proxy") == ["80:80", "443:443"]
    web = COMPOSE["services"]["web"]["environment"]
    assert web["BEHIND_PROXY"] == "true"  # TLS ends at the proxy, which sets X-Forwarded-Proto
    caddyfile = (BASE_DIR / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile


def test_rabbitmq_and_prometheus_take_credentials_from_the_environment():
    rabbitmq = COMPOSE["services"]["rabbitmq"]["environment"]
    assert rabbitmq["RABBITMQ_DEFAULT_USER"].startswith("${RABBITMQ_USER:?")
    assert rabbitmq["RABBITMQ_DEFAULT_PASS"].startswith("${RABBITMQ_PASSWORD:?")
    broker = COMPOSE["services"]["web"]["environment"]["CELERY_BROKER_URL"]
    assert "guest" not in broker and "${RABBITMQ_PASSWORD" in broker
    prometheus = COMPOSE["services"]["prometheus"]
    assert "--web.config.file=/tmp/web.yml" in prometheus["command"][0]
    assert prometheus["environment"]["PROMETHEUS_PASSWORD_BCRYPT"].startswith("${PROMETHEUS_PASSWORD_BCRYPT:?")


def test_the_event_buffers_redis_keeps_an_append_only_file_on_a_volume():
    redis = COMPOSE["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert redis["volumes"] == ["redis_data:/data"] and "redis_data" in COMPOSE["volumes"]
    setup = (BASE_DIR / "scripts" / "setup.sh").read_text()
    assert "--appendonly yes --appendfsync everysec" in setup and "CONFIG SET appendonly yes" in setup
