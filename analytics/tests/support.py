"""Helpers for analytics tests: polling and reading metric values as /metrics would report them."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, multiprocess


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def metric_value(sample_name: str, **labels: str) -> float:
    """Sum of the samples named `sample_name` whose labels include `labels`, over every process."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    total = 0.0
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
