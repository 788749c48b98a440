"""/metrics, the @monitored decorator, the JSONL files and the helpers other apps call."""

import asyncio
import base64
import json
import multiprocessing

import pytest

from analytics import metrics
from analytics.metrics import (
    chat_message_observe,
    llm_call_observe,
    monitored,
    recommendation_observe,
    search_observe,
)
from analytics.tests.support import metric_value


def _scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        base, _, label_text = metric.partition("{")
        if base == name and all(f'{k}="{v}"' in label_text for k, v in labels.items()):
            total += float(value)
    return total


def test_metrics_move_after_the_actions_that_should_move_them(client, metrics_jsonl_dir):
    before = _scrape(client)

    chat_message_observe("recommend")
    llm_call_observe("openai", "gpt-4o-mini", input_tokens=120, output_tokens=30, cost_usd=0.002, latency_s=0.8)
    llm_call_observe("openai", "gpt-4o-mini", latency_s=5.0, error="TimeoutError", fallback=True)
    search_observe("keyword", 0.012)
    recommendation_observe("shown", 3)
    recommendation_observe("clicked")

    after = _scrape(client)
    moved = [
        ("escape_ai_chat_messages_total", {"intent": "recommend"}, 1),
        ("escape_ai_llm_calls_total", {"provider": "openai", "outcome": "ok"}, 1),
        ("escape_ai_llm_calls_total", {"provider": "openai", "outcome": "error"}, 1),
        ("escape_ai_llm_tokens_total", {"direction": "input"}, 120),
        ("escape_ai_llm_tokens_total", {"direction": "output"}, 30),
        ("escape_ai_llm_cost_usd_total", {"model": "gpt-4o-mini"}, 0.002),
        ("escape_ai_llm_latency_seconds_count", {"provider": "openai"}, 2),
        ("escape_ai_llm_errors_total", {"error_type": "TimeoutError"}, 1),
        ("escape_ai_llm_fallbacks_total", {"provider": "openai"}, 1),
        ("escape_ai_errors_total", {"error_type": "TimeoutError", "source": "llm"}, 1),
        ("escape_ai_search_seconds_count", {"leg": "keyword"}, 1),
        ("escape_ai_recommendations_total", {"kind": "shown"}, 3),
        ("escape_ai_recommendations_total", {"kind": "clicked"}, 1),
    ]
    for name, labels, delta in moved:
        assert _sample(after, name, **labels) - _sample(before, name, **labels) == pytest.approx(delta), name


def test_monitored_records_latency_errors_and_one_jsonl_line_per_call(metrics_jsonl_dir):
    @monitored("chat.reply")
    def reply(text):
        if text == "boom":
            raise ValueError("bad")
        return text.upper()

    @monitored("rooms.search")
    async def search(query):
        await asyncio.sleep(0)
        return [query]

    before_reply = metric_value("escape_ai_chat_reply_seconds_count")
    before_errors = metric_value("escape_ai_operation_errors_total", operation="chat.reply", error_type="ValueError")

    assert reply("hi") == "HI"
    with pytest.raises(ValueError, match="bad"):
        reply("boom")
    assert asyncio.run(search("강남")) == ["강남"]

    assert metric_value("escape_ai_chat_reply_seconds_count") == before_reply + 2
    assert metric_value("escape_ai_operation_seconds_count", operation="rooms.search") >= 1
    assert (
        metric_value("escape_ai_operation_errors_total", operation="chat.reply", error_type="ValueError")
        == before_errors + 1
    )
    [path] = metrics_jsonl_dir.glob("*.jsonl")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(line["metric"], line["ok"]) for line in lines] == [
        ("chat.reply", True),
        ("chat.reply", False),
        ("rooms.search", True),
    ]
    assert lines[1]["error_type"] == "ValueError" and lines[0]["seconds"] >= 0


def _write_many(directory: str, worker: int, count: int) -> None:
    from django.conf import settings

    settings.METRICS_JSONL_DIR = directory
    for n in range(count):
        metrics.jsonl_write({"metric": "load", "worker": worker, "n": n, "pad": "가" * 300})


def test_jsonl_lines_stay_whole_with_several_processes_writing(metrics_jsonl_dir):
    # Forked processes all append to the same daily file at once.
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_many, args=(str(metrics_jsonl_dir), w, 400)) for w in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(30)
        assert process.exitcode == 0

    [path] = metrics_jsonl_dir.glob("*.jsonl")
    lines = path.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # a torn or interleaved line would not parse
    assert len(records) == 1600
    assert {(r["worker"], r["n"]) for r in records} == {(w, n) for w in range(4) for n in range(400)}


def test_metrics_are_refused_to_addresses_outside_the_allow_list(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 403
    assert "허용되지 않은" in refused.content.decode()


def test_metrics_through_a_reverse_proxy_need_basic_auth_even_from_loopback(client, settings):
    settings.METRICS_BASIC_AUTH = "prometheus:s3cret-pass"
    good = base64.b64encode(b"prometheus:s3cret-pass").decode()

    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 401
    proxied = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7", HTTP_AUTHORIZATION=f"Basic {good}"
    )
    assert proxied.status_code == 200


def test_metrics_accept_basic_auth_when_configured(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_BASIC_AUTH = "prometheus:s3cret-pass"
    good = base64.b64encode(b"prometheus:s3cret-pass").decode()
    bad = base64.b64encode(b"prometheus:wrong").decode()

    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {good}").status_code == 200
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {bad}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert client.get("/metrics").status_code == 401


def test_recommendation_kind_is_checked():
    with pytest.raises(ValueError, match="unknown recommendation kind"):
        recommendation_observe("ignored")


@pytest.mark.django_db
def test_unhandled_api_error_is_counted_by_type(api_client, staff_user, monkeypatch):
    from analytics import apis

    def explode(**kwargs):
        raise ZeroDivisionError

    # The failure is injected into our own selector (not a service client), to make a view crash.
    monkeypatch.setattr(apis, "insights_compute", explode)
    api_client.force_authenticate(staff_user)
    before = metric_value("escape_ai_errors_total", error_type="ZeroDivisionError", source="http")

    response = api_client.get("/analytics/insights")

    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()
    assert metric_value("escape_ai_errors_total", error_type="ZeroDivisionError", source="http") == before + 1


@pytest.mark.django_db
def test_celery_task_runtime_and_failures_are_measured_by_signals(settings):
    from analytics.tasks import events_flush_task

    name = events_flush_task.name
    ran = metric_value("escape_ai_celery_task_seconds_count", task=name, state="SUCCESS")
    failed = metric_value("escape_ai_celery_task_failures_total", task=name, error_type="TypeError")

    assert events_flush_task.apply().successful()
    settings.ANALYTICS_FLUSH_BATCH_SIZE = "many"  # a misconfiguration: the task fails
    assert events_flush_task.apply().failed()

    assert metric_value("escape_ai_celery_task_seconds_count", task=name, state="SUCCESS") == ran + 1
    assert metric_value("escape_ai_celery_task_failures_total", task=name, error_type="TypeError") == failed + 1
    assert metric_value("escape_ai_errors_total", error_type="TypeError", source="celery") >= 1


def test_monitored_measures_an_async_generator_until_it_is_exhausted(metrics_jsonl_dir):
    @monitored("chat.stream")
    async def stream(words):
        for word in words:
            await asyncio.sleep(0)
            yield word

    async def consume():
        return [word async for word in stream(["강남", "공포"])]

    before = metric_value("escape_ai_operation_seconds_count", operation="chat.stream")

    assert asyncio.run(consume()) == ["강남", "공포"]

    assert metric_value("escape_ai_operation_seconds_count", operation="chat.stream") == before + 1
    [path] = metrics_jsonl_dir.glob("*.jsonl")
    assert json.loads(path.read_text().splitlines()[-1])["metric"] == "chat.stream"
