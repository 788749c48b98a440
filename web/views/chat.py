"""The chat page: the conversation so far is rendered on the server, new turns stream over /ws/chat/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chat.dialogue import state_public
from chat.models import ChatMessage
from chat.selectors import session_get, session_messages
from rooms.models import Room

HISTORY_LIMIT = 100


def chat_history(*, session) -> list[dict]:
    """The session's turns with each assistant turn's recommended rooms, in the order they were shown."""
    messages = list(session_messages(session=session))[-HISTORY_LIMIT:]
    room_ids = {room_id for message in messages for room_id in (message.recommended_room_ids or [])}
    rooms = Room.objects.select_related("store").in_bulk(room_ids)
    history = []
    for message in messages:
        turn = {"id": message.id, "role": message.role, "text": message.text, "rooms": []}
        if message.role == ChatMessage.Role.ASSISTANT:
            turn["rooms"] = [rooms[room_id] for room_id in message.recommended_room_ids or [] if room_id in rooms]
        history.append(turn)
    return history


@require_GET
def chat_home_view(request: HttpRequest) -> HttpResponse:
    session, history, state = None, [], {}
    raw = request.GET.get("session", "")
    if request.user.is_authenticated and raw.isdigit() and int(raw) < 2**63:
        # Someone else's session id is treated as no session: a fresh conversation.
        session = session_get(user=request.user, session_id=int(raw))
        if session is not None:
            history = chat_history(session=session)
            state = state_public(session.state)
    return render(request, "chat/chat.html", {"session": session, "history": history, "state": state})
