"""/ws/chat/ for every client: tokens without Origin, cookies with it, tickets, logout and expiry, frame limits.

Through the real ASGI application (escape_ai.asgi: origin check, auth stack, consumer) and the Redis channel
layer; the logouts go through the real HTTP views, which tell the sockets through the channel layer.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tokens import tokens_issue
from chat.consumers import EXPIRED, LOGGED_OUT, UNAUTHENTICATED_CLOSE_CODE
from escape_ai.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)
FIRST_FRAME_TIMEOUT = 60


@pytest.fixture(autouse=True)
def _no_connection_outlives_its_test():
    settings_dict = connections["default"].settings_dict
    previous = settings_dict["CONN_MAX_AGE"]
    settings_dict["CONN_MAX_AGE"] = 0
    yield
    settings_dict["CONN_MAX_AGE"] = previous


def socket(path: str, headers: list | None = None) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=headers or [])


async def converse(comm, payload, timeout: float = FIRST_FRAME_TIMEOUT) -> list[dict]:
    if isinstance(payload, str):
        await comm.send_to(text_data=payload)
    else:
        await comm.send_json_to(payload)
    frames = []
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] in ("done", "error"):
            return frames


async def closed_with(comm, message: str, timeout: float = 10) -> None:
    assert await comm.receive_json_from(timeout=timeout) == {"type": "error", "message": message}
    assert (await comm.receive_output(timeout=timeout))["code"] == UNAUTHENTICATED_CLOSE_CODE


async def access(user) -> str:
    return (await database_sync_to_async(tokens_issue)(user=user))["access"]


async def session_cookie(user) -> tuple[Client, bytes]:
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    return client, f"sessionid={client.cookies['sessionid'].value}".encode()


# --- who may connect ------------------------------------------------------------------------------


async def test_a_token_client_with_no_origin_header_streams(committed_catalogue, user):
    token = await access(user)
    for comm in (
        socket(f"/ws/chat/?token={token}"),
        socket("/ws/chat/", headers=[(b"authorization", f"Bearer {token}".encode())]),
    ):
        connected, _ = await comm.connect()
        assert connected
        frames = await converse(comm, {"message": "홍대 추리 테마 추천해줘"})
        assert [f["type"] for f in frames if f["type"] != "token"] == ["recommendations", "done"]
        assert sum(f["type"] == "token" for f in frames) > 3
        await comm.disconnect()


async def test_a_cookie_client_from_a_foreign_or_missing_origin_is_refused(committed_catalogue, user):
    _, cookie = await session_cookie(user)
    for origin in ([(b"origin", b"https://evil.example")], []):
        comm = socket("/ws/chat/", headers=[(b"cookie", cookie), *origin])
        connected, _ = await comm.connect()
        assert connected is False  # refused before the handshake completes (HTTP 403)
    comm = socket("/ws/chat/", headers=[(b"cookie", cookie), (b"origin", b"http://testserver")])
    assert (await comm.connect())[0]
    assert (await converse(comm, {"message": "안녕"}))[-1]["type"] == "done"
    await comm.disconnect()


async def test_a_token_decides_alone_even_beside_a_cookie(committed_catalogue, user):
    """A foreign page cannot ride the cookie by adding a bogus token: the token wins and fails."""
    _, cookie = await session_cookie(user)
    comm = socket("/ws/chat/?token=forged", headers=[(b"cookie", cookie), (b"origin", b"https://evil.example")])
    assert (await comm.connect())[0]
    await closed_with(comm, "토큰이 유효하지 않거나 만료되었습니다. 다시 로그인해 주세요.")


# --- one-time tickets ---------------------------------------------------------------------------


async def test_a_ticket_opens_one_socket_without_origin_and_only_once(committed_catalogue, user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {await access(user)}")
    response = await database_sync_to_async(api.post)("/chat/ws-ticket")
    assert response.status_code == 201
    body = response.json()
    assert body["expires_in"] == 30 and body["url"] == f"/ws/chat/?ticket={body['ticket']}"

    first = socket(body["url"])
    assert (await first.connect())[0]
    assert (await converse(first, {"message": "안녕"}))[-1]["type"] == "done"

    again = socket(body["url"])
    assert (await again.connect())[0]
    await closed_with(again, "연결 티켓이 유효하지 않거나 이미 사용되었습니다. 새 티켓을 받아 주세요.")
    await first.disconnect()


async def test_a_ticket_expires_unused(committed_catalogue, user, settings):
    settings.CHAT_WS_TICKET_SECONDS = 1
    client, _ = await session_cookie(user)
    response = await database_sync_to_async(client.post)("/chat/ws-ticket")  # the web chat's way: the cookie
    assert response.status_code == 201
    import asyncio

    await asyncio.sleep(1.5)
    comm = socket(response.json()["url"])
    assert (await comm.connect())[0]
    await closed_with(comm, "연결 티켓이 유효하지 않거나 이미 사용되었습니다. 새 티켓을 받아 주세요.")


async def test_a_ticket_needs_a_signed_in_caller(committed_catalogue):
    response = await database_sync_to_async(APIClient().post)("/chat/ws-ticket")
    assert response.status_code == 401


# --- closing at logout and expiry ---------------------------------------------------------------


async def test_an_api_logout_closes_the_sockets_of_that_token_only(committed_catalogue, user):
    logging_out = await access(user)
    staying = await access(user)
    closing = socket(f"/ws/chat/?token={logging_out}")
    other = socket(f"/ws/chat/?token={staying}")
    assert (await closing.connect())[0] and (await other.connect())[0]

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {logging_out}")
    assert (await database_sync_to_async(api.post)("/auth/logout", {}, format="json")).status_code == 204

    await closed_with(closing, LOGGED_OUT)
    assert await other.receive_nothing(timeout=0.5)  # the user's other login keeps its socket
    assert (await converse(other, {"message": "안녕"}))[-1]["type"] == "done"
    await other.disconnect()
    # The revoked token cannot open a new socket either.
    again = socket(f"/ws/chat/?token={logging_out}")
    assert (await again.connect())[0]
    await closed_with(again, "토큰이 유효하지 않거나 만료되었습니다. 다시 로그인해 주세요.")


async def test_a_site_logout_closes_the_sockets_of_that_session(committed_catalogue, user):
    client, cookie = await session_cookie(user)
    comm = socket("/ws/chat/", headers=[(b"cookie", cookie), (b"origin", b"http://testserver")])
    assert (await comm.connect())[0]
    ticket = (await database_sync_to_async(client.post)("/chat/ws-ticket")).json()["url"]
    by_ticket = socket(ticket)
    assert (await by_ticket.connect())[0]

    assert (await database_sync_to_async(client.post)("/logout/")).status_code == 302

    await closed_with(comm, LOGGED_OUT)
    await closed_with(by_ticket, LOGGED_OUT)  # opened with a ticket that session asked for


async def test_a_socket_closes_when_its_token_expires(committed_catalogue, user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=2))
    comm = socket(f"/ws/chat/?token={token}")
    assert (await comm.connect())[0]
    assert (await converse(comm, {"message": "안녕"}))[-1]["type"] == "done"

    await closed_with(comm, EXPIRED, timeout=10)


# --- frame limits -------------------------------------------------------------------------------


async def test_an_oversize_frame_is_refused_and_the_socket_stays(committed_catalogue, user):
    comm = socket(f"/ws/chat/?token={await access(user)}")
    assert (await comm.connect())[0]
    big = '{"message": "' + "가" * 3000 + '"}'  # 9 KiB of UTF-8 in 3,015 characters
    assert await converse(comm, big, timeout=10) == [
        {"type": "error", "message": "메시지가 너무 큽니다. 한 번에 8KiB 이하로 보내 주세요."}
    ]
    await comm.send_to(bytes_data=b"\x00" * 10)
    assert await comm.receive_json_from(timeout=10) == {"type": "error", "message": "JSON 텍스트 프레임만 받습니다."}
    assert (await converse(comm, {"message": "안녕"}))[-1]["type"] == "done"
    await comm.disconnect()


async def test_every_frame_type_is_rate_limited(committed_catalogue, user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat_frames": "4/min"},
    }
    comm = socket(f"/ws/chat/?token={await access(user)}")
    assert (await comm.connect())[0]
    session_id = (await converse(comm, {"message": "강남 공포 테마"}))[-1]["session_id"]
    await comm.send_json_to({"type": "state.get", "session_id": session_id})
    assert (await comm.receive_json_from(timeout=10))["type"] == "state"
    await comm.send_json_to({"type": "state.remove", "session_id": session_id, "slot": "region"})
    assert (await comm.receive_json_from(timeout=10))["state"]["region"] is None
    assert (await converse(comm, "not json", timeout=10))[0]["message"].startswith('{"message"')

    # Four frames a minute: the fifth, of whatever type, is refused.
    for frame in ({"type": "state.get", "session_id": session_id}, {"type": "state.remove"}, {"message": "안녕"}):
        answer = await converse(comm, frame, timeout=10)
        assert answer == [{"type": "error", "message": answer[0]["message"]}]
        assert answer[0]["message"].startswith("요청이 너무 많습니다.")
    await comm.disconnect()
