"""`/ws/chat/`: one JSON message in ({"message", "session_id"?, "party_id"?, "available_from"?, "available_to"?}),
frames out.

Frames: {"type": "token", "text"} as the reply is produced, {"type": "recommendations", "rooms": [...]},
{"type": "done", "message_id", "session_id", "suggestions": [{"label", "message"}]} (chips: what to say next, each a
message the client sends as typed), and {"type": "error", "message"} for bad input; the connection stays open after
an error. An unauthenticated socket gets an error frame and is closed with code 4401.

Conditions (the web chat's chips): {"type": "state.get", "session_id"} answers {"type": "state", "session_id",
"state": {region, genres, exclude_genres, players, difficulty, fear, activity, max_price}} (difficulty and fear are a
word or a [low, high] range); {"type": "state.remove", "session_id", "slot", "value"?} drops one condition from the
session's dialogue state and answers the same frame.

Other sockets of the same user that follow a session (`/ws/chat/?session_id=N`, e.g. a second tab) receive each
finished reply through the Redis channel layer group `chat_session_<id>`.

Limits: a frame is at most `CHAT_WS_MAX_FRAME_BYTES` (8 KiB) of text; every frame, whatever its type, counts
against the user's `chat_frames` rate, and a chat message also against the `chat` rate. Both answer with an
error frame and keep the connection. The socket is closed with 4401 when the credential it was opened with
ends: its access token (or the session) expires, or its user logs out (accounts tells the user's group
`auth_user_<id>`; see `chat.ws_auth` for the credentials).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.services import user_sockets_group
from accounts.tokens import access_token_is_revoked
from chat.dialogue import state_public
from chat.selectors import session_get
from chat.services import ChatError, conversation_stream, in_worker_thread, session_state_remove
from chat.throttling import chat_frame_rate_allow, chat_rate_allow
from escape_ai.exceptions import DATABASE_BUSY_DETAIL, database_busy, database_busy_signal
from escape_ai.logging import chat_session_id_var, user_id_var
from rooms.services import SLOT_WINDOW_FORMAT, SlotWindowError, slot_window_parse

logger = logging.getLogger(__name__)

UNAUTHENTICATED_CLOSE_CODE = 4401
_INTERNAL_ERROR = "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."
LOGGED_OUT = "로그아웃되어 연결을 닫습니다. 다시 로그인해 주세요."
EXPIRED = "로그인이 만료되어 연결을 닫습니다. 다시 로그인해 주세요."
TOO_MANY = "요청이 너무 많습니다. {wait}초 후에 다시 시도해 주세요."


def _window(content: dict):
    """`available_from`/`available_to` of a message frame, checked as the API checks them (strings or null)."""
    bounds = [content.get("available_from"), content.get("available_to")]
    for index, value in enumerate(bounds):
        if value is not None and not isinstance(value, str):
            field = ("available_from", "available_to")[index]
            raise SlotWindowError({field: [SLOT_WINDOW_FORMAT]})
    return slot_window_parse(*bounds)


def _first_message(detail) -> str:
    """The first message of a validation error's detail ({field: [message]})."""
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail)


def session_group(session_id: int) -> str:
    return f"chat_session_{session_id}"


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        self.groups_joined: set[str] = set()
        self.expiry: asyncio.TimerHandle | None = None
        self.ended = False
        self.credential: dict = {}
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self._end(self.scope.get("auth_error") or "로그인이 필요합니다.")
            return
        self.credential = self.scope.get("credential") or {}
        # Joined before the revocation check: a logout from now on reaches this socket, one before it is seen here.
        await self._join_group(user_sockets_group(user_id=self.user.id))
        jti = self.credential.get("jti")
        if jti and await in_worker_thread(access_token_is_revoked)(jti=jti):
            await self._end(LOGGED_OUT)
            return
        if self.credential.get("exp"):
            delay = max(0.0, self.credential["exp"] - time.time())
            self.expiry = asyncio.get_running_loop().call_later(delay, self._expired)
        follow = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("session_id")
        if follow and follow[0].isdigit():
            session = await in_worker_thread(session_get)(user=self.user, session_id=int(follow[0]))
            if session is not None:
                await self._join(session.id)

    async def disconnect(self, code):
        if getattr(self, "expiry", None) is not None:
            self.expiry.cancel()
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    def _expired(self) -> None:
        # Kept on the consumer: the loop holds only a weak reference to a task.
        self.expiry_task = asyncio.get_running_loop().create_task(self._end(EXPIRED))

    async def _end(self, message: str) -> None:
        """An error frame, then close with 4401 (the client should log in again, not reconnect)."""
        if self.ended:
            return
        self.ended = True
        await self.send_json({"type": "error", "message": message})
        await self.close(code=UNAUTHENTICATED_CLOSE_CODE)

    async def auth_revoked(self, event):
        """accounts' logout: close if it ended this socket's own credential (not the user's other logins)."""
        mine = self.credential
        if (event.get("jti") and event["jti"] == mine.get("jti")) or (
            event.get("session") and event["session"] == mine.get("session")
        ):
            await self._end(LOGGED_OUT)

    async def _join_group(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def _join(self, session_id: int) -> None:
        await self._join_group(session_group(session_id))

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.user is None or not self.user.is_authenticated or self.ended:
            return
        allowed, wait = await in_worker_thread(chat_frame_rate_allow)(user_id=self.user.id)
        if not allowed:
            await self._error(TOO_MANY.format(wait=wait))
            return
        limit = settings.CHAT_WS_MAX_FRAME_BYTES
        if bytes_data is not None or text_data is None:
            await self._error("JSON 텍스트 프레임만 받습니다.")
            return
        if len(text_data) > limit or len(text_data.encode()) > limit:
            await self._error(f"메시지가 너무 큽니다. 한 번에 {limit // 1024}KiB 이하로 보내 주세요.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self._error('{"message": "..."} 형태의 JSON을 보내 주세요.')
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        if content.get("type") in ("state.get", "state.remove"):
            await self._state_message(content)
            return
        session_id = content.get("session_id")
        if session_id is not None and (isinstance(session_id, bool) or not isinstance(session_id, int)):
            await self._error("session_id는 정수여야 합니다.")
            return
        party_id = content.get("party_id")
        if party_id is not None and (isinstance(party_id, bool) or not isinstance(party_id, int)):
            await self._error("party_id는 정수여야 합니다.")
            return
        try:
            window = _window(content)
        except SlotWindowError as exc:
            await self._error(_first_message(exc.detail))
            return
        allowed, wait = await in_worker_thread(chat_rate_allow)(user_id=self.user.id)
        if not allowed:
            await self._error(TOO_MANY.format(wait=wait))
            return
        user_id_var.set(self.user.id)
        stream = conversation_stream(
            user=self.user, session_id=session_id, text=content.get("message"), party_id=party_id, window=window
        )
        reply: list[str] = []
        try:
            async for frame in stream:
                await self.send_json(frame)
                if frame["type"] == "token":
                    reply.append(frame["text"])
                else:
                    await self._share(stream, frame, reply)
        except ChatError as exc:
            await self._error(exc.message)
        except Exception as exc:
            if database_busy(exc):  # every pooled connection in use: a busy moment, not a fault
                database_busy_signal.send(sender=ChatConsumer, source="chat")
                await self._error(DATABASE_BUSY_DETAIL)
                return
            logger.exception("chat stream failed")
            await self._error(_INTERNAL_ERROR)

    async def _share(self, stream, frame: dict, reply: list[str]) -> None:
        """Pass the finished reply to the session's other sockets (one token frame, then the frame itself)."""
        result = stream.result
        if result is None:
            return
        chat_session_id_var.set(result.session.id)
        await self._join(result.session.id)
        group = session_group(result.session.id)
        messages = []
        if reply:
            messages.append({"type": "token", "text": "".join(reply)})
            reply.clear()
        messages.append(frame)
        for message in messages:
            await self.channel_layer.group_send(
                group, {"type": "chat.frame", "frame": message, "sender": self.channel_name}
            )

    async def chat_frame(self, event):
        if event.get("sender") != self.channel_name:
            await self.send_json(event["frame"])

    async def _state_message(self, content: dict) -> None:
        session_id = content.get("session_id")
        try:
            if content["type"] == "state.remove":
                session = await in_worker_thread(session_state_remove)(
                    user=self.user, session_id=session_id, slot=content.get("slot"), value=content.get("value")
                )
            else:
                valid = isinstance(session_id, int) and not isinstance(session_id, bool)
                get = in_worker_thread(session_get)
                session = await get(user=self.user, session_id=session_id) if valid else None
                if session is None:
                    await self._error("대화를 찾을 수 없습니다.")
                    return
        except ChatError as exc:
            await self._error(exc.message)
            return
        await self.send_json({"type": "state", "session_id": session.id, "state": state_public(session.state)})

    async def _error(self, message: str) -> None:
        await self.send_json({"type": "error", "message": message})
