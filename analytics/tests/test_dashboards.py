"""Every Grafana panel must query metrics the application exports, and the stack must be wired."""

import json
import re
from pathlib import Path

import pytest
import yaml
from django_prometheus.middleware import Metrics
from prometheus_client import REGISTRY

import analytics.metrics  # noqa: F401 - registers our metrics
from escape_ai.settings.paths import BASE_DIR

DASHBOARDS = sorted((BASE_DIR / "grafana" / "dashboards").glob("*.json"))
_PROMQL_WORDS = {
    "sum", "avg", "min", "max", "count", "rate", "irate", "increase", "histogram_quantile", "by", "without",
    "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "topk", "bottomk",
    "abs", "clamp_min", "clamp_max", "round", "delta", "deriv", "avg_over_time", "max_over_time", "sum_over_time",
    "vector", "scalar", "time", "label_replace", "le",
}  # fmt: skip


def exported_metric_names() -> set[str]:
    """Names the app exports, with the suffixes Prometheus sees (_total, _bucket, _sum, _count, _created)."""
    Metrics.get_instance()  # django-prometheus registers its metrics with the first middleware
    return set(REGISTRY._names_to_collectors)


def queried_metric_names(expr: str) -> set[str]:
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # label values and legend strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors, $__rate_interval
    expr = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", "", expr)  # grouping labels
    tokens = set(re.findall(r"(?<![\w$.])[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    return {token for token in tokens if token not in _PROMQL_WORDS}


def panel_queries() -> list[tuple[str, str, str]]:
    found = []
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                found.append((path.name, panel["title"], target["expr"]))
    return found


def test_the_four_dashboards_exist_and_have_panels():
    assert {path.stem for path in DASHBOARDS} == {"business", "performance", "cost", "errors"}
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] and dashboard["panels"], path.name
        assert all(panel.get("targets") for panel in dashboard["panels"]), path.name


def test_every_panel_queries_only_exported_metrics():
    exported = exported_metric_names()
    missing = [
        (name, title, metric)
        for name, title, expr in panel_queries()
        for metric in queried_metric_names(expr)
        if metric not in exported
    ]
    assert missing == []
    assert {"escape_ai_chat_reply_seconds_bucket", "escape_ai_llm_cost_usd_total"} <= exported


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (
            'sum by (le, leg) (rate(escape_ai_search_seconds_bucket{leg="x"}[5m]))',
            {"escape_ai_search_seconds_bucket"},
        ),
        (
            "sum(rate(escape_ai_not_a_metric_total[$__rate_interval])) / sum(rate(up[5m]))",
            {"escape_ai_not_a_metric_total", "up"},
        ),
    ],
)
def test_the_checker_finds_the_metric_names_in_a_query(expr, expected):
    assert queried_metric_names(expr) == expected
    assert ("escape_ai_not_a_metric_total" in exported_metric_names()) is False


def test_grafana_and_prometheus_are_provisioned_and_in_compose():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    assert {"prometheus", "grafana"} <= set(compose["services"])
    grafana_mounts = " ".join(compose["services"]["grafana"]["volumes"])
    assert "./grafana/provisioning" in grafana_mounts and "./grafana/dashboards" in grafana_mounts
    datasource = yaml.safe_load((BASE_DIR / "grafana/provisioning/datasources/prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((BASE_DIR / "grafana/provisioning/dashboards/escape_ai.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    scrape = yaml.safe_load((BASE_DIR / "prometheus/prometheus.yml").read_text())
    targets = {t for job in scrape["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    assert targets == {"web:8000", "worker:9808", "events-worker:9808"}
    assert compose["services"]["events-worker"]["environment"]["ANALYTICS_EVENTS_WORKER"] == "true"
    assert Path(BASE_DIR / "prometheus/prometheus.yml").read_text().count("/run/secrets/metrics_password") == 1
