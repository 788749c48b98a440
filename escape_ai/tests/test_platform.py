import json
import logging
import os

import pytest
from django.db import connection

from escape_ai.logging import JsonFormatter, request_id_var


@pytest.mark.django_db
def test_healthz_reports_every_service_up(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name for name, item in body["services"].items() if item["ok"]} == {"database", "redis", "broker"}


@pytest.mark.django_db
def test_healthz_is_503_naming_the_service_that_is_down(client, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
    assert response.json()["services"]["database"]["ok"] is True


@pytest.mark.django_db
def test_database_has_pgvector_and_trigram_extensions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        names = {row[0] for row in cursor.fetchall()}
    assert {"vector", "pg_trgm"} <= names


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_keeps_a_safe_incoming_one(client):
    generated = client.get("/healthz")
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert len(generated["X-Request-ID"]) == 32
    assert kept["X-Request-ID"] == "abc-123"
    assert replaced["X-Request-ID"] != "bad id\nwith newline"


def test_json_log_line_carries_request_id():
    token = request_id_var.set("req-42")
    try:
        record = logging.LogRecord("escape_ai", logging.INFO, __file__, 1, "안녕 %s", ("세계",), None)
        from escape_ai.logging import ContextFilter

        ContextFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)

    assert line["message"] == "안녕 세계"
    assert line["request_id"] == "req-42"
    assert line["level"] == "INFO"


@pytest.mark.django_db
def test_openapi_schema_lists_auth_paths(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert {"/auth/register", "/auth/login", "/auth/refresh", "/auth/logout", "/auth/me"} <= set(
        response.json()["paths"]
    )
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_unknown_api_error_never_leaks_a_stack_trace(api_client, user):
    response = api_client.post("/auth/login", "not json at all", content_type="application/json")

    assert response.status_code == 400
    assert "Traceback" not in response.content.decode()


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL: no embedded server")
def test_embedded_server_build_check_tells_the_installed_binary_from_another():
    from types import SimpleNamespace

    from escape_ai import embedded_db
    from escape_ai.settings.paths import PGDATA_DIR

    running = embedded_db._running_info(PGDATA_DIR)
    assert embedded_db._runs_installed_build(running) is True
    assert embedded_db._runs_installed_build(SimpleNamespace(pid=os.getpid())) is False  # this python process


def test_schema_generates_without_warnings_and_states_the_contract(tmp_path):
    import yaml
    from django.core.management import call_command

    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))  # raises on any warning
    schema = yaml.safe_load(path.read_text())

    paths = schema["paths"]
    assert "/rooms/search" in paths and "/rooms/search/" not in paths
    assert "/rooms/{room_id}/reviews" in paths and "/rooms/{room_id}/reviews/" not in paths
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids)) == 35  # 21 (slots among them), the play log and parties: 14
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert schema["info"]["x-client-package-name"].isidentifier()
    for path_name in ("/rooms/", "/chat/sessions/", "/rooms/{room_id}/reviews"):
        page = schema["components"]["schemas"][
            paths[path_name]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        ]
        assert set(page["required"]) == {"count", "next", "previous", "results"}
    error_ref = {"$ref": "#/components/schemas/Error"}
    for item in paths.values():
        for operation in item.values():
            responses = operation["responses"]
            assert responses["429"]["headers"]["Retry-After"]["required"] is True
            for code, response in responses.items():
                if code.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == error_ref, (operation, code)


@pytest.mark.django_db
def test_the_slashed_spelling_redirects_308_to_the_canonical_path(api_client, user):
    from testing.factories import RoomFactory

    room = RoomFactory()
    search = api_client.get("/rooms/search/?q=%EA%B3%B5%ED%8F%AC")
    review = api_client.post(f"/rooms/{room.id}/reviews/", {"rating": 5}, format="json")

    assert search.status_code == 308 and search["Location"] == "/rooms/search?q=%EA%B3%B5%ED%8F%AC"
    assert review.status_code == 308 and review["Location"] == f"/rooms/{room.id}/reviews"


@pytest.mark.django_db
def test_healthz_opens_no_amqp_connection_per_call(client, settings):
    """A listener of our own stands in for the broker's port and counts the TCP connections it gets."""
    import socket
    import threading
    import time

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(time.monotonic())
            conn.close()  # not AMQP: the check fails at once and the broker is reported down

    threading.Thread(target=accept, daemon=True).start()
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{listener.getsockname()[1]}//"
    settings.HEALTH_BROKER_CACHE_SECONDS = 1.5
    try:
        bodies = [client.get("/healthz").json() for _ in range(10)]
        first_window = len(accepted)
        print(f"healthz: 10 calls, {first_window} connection(s) to the broker port")
        time.sleep(1.6)
        after = client.get("/healthz").json()
    finally:
        listener.close()

    assert all(body["down"] == ["broker"] for body in bodies)  # the failure is cached too
    # One check in the window (kombu may retry its TCP connect once inside it), not ten.
    assert 1 <= first_window <= 2, accepted
    assert "age_s" in bodies[-1]["services"]["broker"] and "age_s" not in bodies[0]["services"]["broker"]
    assert len(accepted) > first_window and "age_s" not in after["services"]["broker"]  # checked again


@pytest.mark.django_db(transaction=True)
def test_an_asgi_requests_connections_close_when_it_ends():
    """Each ASGI request runs in a thread of its own: its connections close with it instead of lingering idle
    until the garbage collector finds them (which ran the server out of connection slots under load)."""
    import threading

    from django.core.handlers.asgi import ASGIHandler
    from django.core.signals import request_finished
    from django.db import connection
    from django.test.client import ClientHandler

    seen = {}

    def request_thread(handler, key):
        connection.ensure_connection()
        opened = connection.connection is not None
        request_finished.send(sender=handler)
        seen[key] = (opened, connection.connection is None)
        connection.close()

    for handler, key in ((ASGIHandler, "asgi"), (ClientHandler, "test client")):
        thread = threading.Thread(target=request_thread, args=(handler, key))
        thread.start()
        thread.join()
    assert seen == {"asgi": (True, True), "test client": (True, False)}
