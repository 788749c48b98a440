"""A Python client generated from the schema (openapi-python-client) works against the running API.

This is what an API client's developer does: fetch /api/schema/, generate a typed client (the title is Korean,
so the package name is given in a config file, as docs/api.md says), then register, log in, list, search, open
a room, post a review and chat. Every answer must parse into its typed model, errors into `Error`.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

PACKAGE = "escape_ai_client"
CLIENT_CONFIG = f"package_name_override: {PACKAGE}\nproject_name_override: escape-ai-client\npost_hooks: []\n"


def _generate(url: str, workdir: Path):
    schema = workdir / "schema.json"
    with urllib.request.urlopen(f"{url}/api/schema/?format=json", timeout=30) as response:  # noqa: S310 (loopback)
        schema.write_bytes(response.read())
    config = workdir / "client.yaml"
    config.write_text(CLIENT_CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    command = [str(generator), "generate", "--path", str(schema), "--config", str(config), "--meta", "none"]
    done = subprocess.run(  # noqa: S603
        [*command, "--output-path", str(workdir / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout  # the generator understood every part of the schema
    sys.path.insert(0, str(workdir))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))


@pytest.fixture
def catalogue(transactional_db):
    from testing.factories import small_catalogue_build

    return small_catalogue_build()


def test_a_generated_client_registers_searches_reviews_and_chats(contract_server, catalogue, tmp_path):
    client_package = _generate(contract_server, tmp_path)
    from escape_ai_client.api.auth import auth_login_create, auth_me_retrieve, auth_register_create
    from escape_ai_client.api.chat import chat_create, chat_sessions_list
    from escape_ai_client.api.rooms import (
        rooms_list,
        rooms_retrieve,
        rooms_reviews_create,
        rooms_reviews_list,
        rooms_search_retrieve,
    )
    from escape_ai_client.models import (
        ChatInput,
        ChatOutput,
        Error,
        LoginInput,
        PaginatedReviewOutputList,
        PaginatedRoomOutputList,
        PaginatedSessionListOutputList,
        RecommendationCard,
        RegisterInput,
        ReviewSaved,
        RoomDetailOutput,
        RoomOutput,
        RoomReviewsInput,
        RoomSearchHit,
        RoomSearchResult,
        Session,
        UserOutput,
    )

    public = client_package.Client(base_url=contract_server, raise_on_unexpected_status=True)
    password = "Generated-Client-2026!"  # noqa: S105 (a test user)

    registered = auth_register_create.sync_detailed(
        client=public, body=RegisterInput(username="suji", email="suji@example.com", password=password)
    )
    assert registered.status_code == 201 and isinstance(registered.parsed, Session)
    assert registered.parsed.user.username == "suji"
    taken = auth_register_create.sync_detailed(
        client=public, body=RegisterInput(username="suji", email="other@example.com", password=password)
    )
    assert taken.status_code == 409 and isinstance(taken.parsed, Error)
    assert taken.parsed.errors.additional_properties["username"] == ["이미 사용 중인 아이디입니다."]

    logged_in = auth_login_create.sync_detailed(client=public, body=LoginInput(username="suji", password=password))
    assert logged_in.status_code == 200 and isinstance(logged_in.parsed, Session)
    api = client_package.AuthenticatedClient(
        base_url=contract_server, token=logged_in.parsed.access, raise_on_unexpected_status=True
    )
    me = auth_me_retrieve.sync_detailed(client=api)
    assert isinstance(me.parsed, UserOutput) and me.parsed.id == registered.parsed.user.id

    listed = rooms_list.sync_detailed(client=api)
    assert listed.status_code == 200 and isinstance(listed.parsed, PaginatedRoomOutputList)
    assert listed.parsed.count == len(catalogue) and all(isinstance(room, RoomOutput) for room in listed.parsed.results)

    found = rooms_search_retrieve.sync_detailed(client=api, q="공포")
    assert found.status_code == 200 and isinstance(found.parsed, RoomSearchResult)
    assert found.parsed.count == len(found.parsed.results) > 0
    assert all(isinstance(hit, RoomSearchHit) for hit in found.parsed.results)

    room_id = found.parsed.results[0].id
    opened = rooms_retrieve.sync_detailed(client=api, room_id=room_id)
    assert opened.status_code == 200 and isinstance(opened.parsed, RoomDetailOutput)
    assert opened.parsed.id == room_id and opened.parsed.description
    missing = rooms_retrieve.sync_detailed(client=api, room_id=10**9)
    assert missing.status_code == 404 and isinstance(missing.parsed, Error)
    assert missing.parsed.detail == "테마를 찾을 수 없습니다."

    reviewed = rooms_reviews_create.sync_detailed(
        client=api, room_id=room_id, body=RoomReviewsInput(rating=5, text="분위기 최고", escaped=True)
    )
    assert reviewed.status_code == 201 and isinstance(reviewed.parsed, ReviewSaved)
    assert reviewed.parsed.room.review_count == opened.parsed.review_count + 1
    reviews = rooms_reviews_list.sync_detailed(client=api, room_id=room_id)
    assert isinstance(reviews.parsed, PaginatedReviewOutputList) and reviews.parsed.results[0].username == "suji"
    invalid = rooms_reviews_create.sync_detailed(client=api, room_id=room_id, body=RoomReviewsInput(rating=9))
    assert invalid.status_code == 400 and isinstance(invalid.parsed, Error)
    assert "rating" in invalid.parsed.errors.additional_properties

    chatted = chat_create.sync_detailed(client=api, body=ChatInput(message="강남에서 무서운 테마 추천해줘"))
    assert chatted.status_code == 200 and isinstance(chatted.parsed, ChatOutput)
    assert chatted.parsed.reply and chatted.parsed.recommendations
    assert all(isinstance(room, RecommendationCard) for room in chatted.parsed.recommendations)
    sessions = chat_sessions_list.sync_detailed(client=api)
    assert isinstance(sessions.parsed, PaginatedSessionListOutputList)
    assert [session.id for session in sessions.parsed.results] == [chatted.parsed.session_id]
