"""The OpenAPI schema is the contract: schemathesis holds the running API to it, operation by operation.

schemathesis (its CLI, against uvicorn on loopback and the test database) runs every operation of the
schema, the auth endpoints included, through all its phases (the schema's examples, coverage of each
constraint's edges, random fuzzing, and stateful sequences that follow the links it infers between
responses and requests) with all its checks, and must report no failure. The auth endpoints' throttles and
the login guard are raised for the run (a fuzzer is a brute-force attacker by design); everything else is
as deployed. Identities: `minji` and `jiho` (ordinary users, peers that must not see each other's objects)
and `staff`, which schemathesis escalates to for staff-only operations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PASSWORD = "Contract!Escape-2026"  # noqa: S105 (test users only)
USERS = {"minji": False, "jiho": False, "staff": True}  # name: is_staff
# The run's size: examples per operation and phase. Raise it (or change the seed) to search harder.
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "12"))
SEED = int(os.environ.get("CONTRACT_SEED", "14"))
# 20 paths of 21 operations (POST /chat/ws-ticket included; /auth/me: GET and PATCH; GET /rooms/{id}/slots), and
# the play log's and parties' 9 paths of 14 operations.
SCHEMA_OPERATIONS = 35


@pytest.fixture
def contract_data(transactional_db):
    """Three users, a small catalogue with reviews, a conversation of minji's, a play of hers and a party of hers
    with jiho in it, committed for the server. Returns the users and the rooms (the hooks get the rooms' names)."""
    from testing.factories import (
        ChatMessageFactory,
        ChatSessionFactory,
        ReviewFactory,
        UserFactory,
        small_catalogue_build,
    )

    users = {}
    for name, is_staff in USERS.items():
        users[name] = UserFactory(username=name, email=f"{name}@example.com", is_staff=is_staff)
        users[name].set_password(PASSWORD)
        users[name].save()
    rooms = small_catalogue_build()
    first = next(iter(rooms.values()))
    ReviewFactory(room=first, user=users["jiho"], rating=4)
    session = ChatSessionFactory(user=users["minji"])
    ChatMessageFactory(session=session, role="user", text="강남 공포 테마 추천해줘")
    ChatMessageFactory(session=session, role="assistant", text="추천해요", recommended_room_ids=[first.id])
    from datetime import date

    from plays.services import party_create, party_join, play_log

    play_log(user=users["minji"], room=first, played_on=date(2025, 1, 1), escaped=True)
    party = party_create(user=users["minji"], name="계약 파티")
    party_join(user=users["jiho"], invite_code=party.invite_code)
    return {"users": users, "rooms": rooms}


def _wfc_document() -> dict:
    def entry(name: str) -> dict:
        return {
            "name": name,
            "loginEndpointAuth": {
                "endpoint": "/auth/login",
                "verb": "POST",
                "contentType": "application/json",
                "payloadUserPwd": {
                    "username": name,
                    "usernameField": "username",
                    "password": PASSWORD,
                    "passwordField": "password",
                },
                "token": {
                    "extractFrom": "body",
                    "extractSelector": "/access",
                    "sendIn": "header",
                    "sendName": "Authorization",
                    "sendTemplate": "Bearer {token}",
                },
            },
        }

    # Document order is the escalation order: an ordinary user first, staff where minji is refused.
    return {"auth": [entry("minji"), entry("staff"), entry("jiho")]}


def _run_schemathesis(url: str, workdir: Path, rooms: dict) -> tuple[subprocess.CompletedProcess, dict]:
    wfc = workdir / "wfc.json"
    wfc.write_text(json.dumps(_wfc_document()))
    config = workdir / "schemathesis.toml"
    config.write_text(
        "\n".join(
            [
                'hooks = "testing.contract_hooks"',
                "[auth.wfc]",
                f'path = "{wfc}"',
                'peers = ["minji", "jiho"]',
            ]
        )
    )
    report = workdir / "report.json"
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{url}/api/schema/",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # One worker: with two, schemathesis's generator threads hit a CPython 3.11 race in `ast`
        # ("AST constructor recursion depth mismatch"), a runtime error that is not the API's.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        # A loaded CI machine (2 cores shared) is slow at times; this is a contract test, not a benchmark.
        "--max-response-time",
        "30",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(settings.BASE_DIR),
        "ANALYTICS_INSIGHTS_MAX_DAYS": str(settings.ANALYTICS_INSIGHTS_MAX_DAYS),
        # Rooms that exist, for the hooks to log plays of (a schema cannot say which ids exist).
        "CONTRACT_ROOMS": json.dumps(
            [{"id": room.id, "name": room.name, "store": room.store.name} for room in rooms.values()],
            ensure_ascii=False,
        ),
    }
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=workdir)  # noqa: S603
    log = Path(settings.BASE_DIR) / "var" / "log" / "contract-schemathesis.log"
    log.write_text(done.stdout + done.stderr)
    body = json.loads(report.read_text()) if report.exists() else {}
    return done, body


def test_schemathesis_finds_no_failure_in_any_operation(contract_server, contract_data, tmp_path):
    done, report = _run_schemathesis(contract_server, tmp_path, contract_data["rooms"])
    output = done.stdout[-20000:] + done.stderr[-5000:]  # the whole run is in var/log/contract-schemathesis.log

    assert done.returncode == 0, output
    assert report["complete"] and report["exit_code"] == 0, output
    assert report["operations"]["tested"] == report["operations"]["total"] == SCHEMA_OPERATIONS, report["operations"]
    assert report["failures"] == [] and report["errors"] == [], output
    assert report["test_cases"]["with_failures"] == 0 and report["test_cases"]["generated"] > 50 * SCHEMA_OPERATIONS
    # Every phase ran (the schema has no examples of its own, so that phase has nothing to run).
    assert {name: phase["status"] for name, phase in report["phases"].items()} == {
        "examples": "skip",
        "coverage": "success",
        "fuzzing": "success",
        "stateful": "success",
    }
    assert report["warnings"]["missing_auth"] == [] and report["warnings"]["rate_limited"] == []
