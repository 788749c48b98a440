"""The chat page: the conversation so far is rendered on the server, new turns stream over /ws/chat/."""

from __future__ import annotations

import copy
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from chat.dialogue import state_public
from chat.models import ChatMessage
from chat.nlu.when import when_of
from chat.planning import window_slots
from chat.selectors import session_get, session_messages
from plays.selectors import party_get_for_member, party_list
from rooms.models import Room

HISTORY_LIMIT = 100
# The welcome screen's examples: (button label, the message it sends). Each one works as typed (a test sends them).
CHAT_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("강남 4명 공포 테마", "강남에서 4명이서 할만한 공포 테마"),
    ("홍대 추리 추천", "홍대 추리 테마 추천해줘"),
    ("방린이 둘, 안 무서운 곳", "방린이 둘이 갈 만한 안 무서운 곳"),
)


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
    _last_turn_slots(history, when=when_of((session.state or {}).get("when")))
    return history


def _last_turn_slots(history: list[dict], *, when) -> None:
    """With a time window in the conversation, the last answer's cards show their open slots in it (as they are
    now: a reloaded page shows what can still be booked)."""
    last = next((turn for turn in reversed(history) if turn["role"] == ChatMessage.Role.ASSISTANT), None)
    if when is None or last is None or not last["rooms"]:
        return
    slots = window_slots(room_ids=[room.id for room in last["rooms"]], when=when)
    rooms = []
    for room in last["rooms"]:
        room = copy.copy(room)  # the same room may be a card of an earlier turn too, without slots
        room.open_slots = slots.get(room.id, [])  # templates/rooms/_card.html shows them
        rooms.append(room)
    last["rooms"] = rooms


def _examples(request: HttpRequest) -> list[dict]:
    """The examples as the page shows them: a button that sends the message, or (signed out) a link to log in that
    comes back with the message ready to send."""
    login = reverse("login")
    home = reverse("chat-home")
    examples = []
    for label, message in CHAT_EXAMPLES:
        after_login = f"{home}?{urlencode({'ask': message})}"
        examples.append(
            {"label": label, "message": message, "login_url": f"{login}?{urlencode({'next': after_login})}"}
        )
    return examples


@require_GET
def chat_home_view(request: HttpRequest) -> HttpResponse:
    session, history, state, suggestions = None, [], {}, []
    raw = request.GET.get("session", "")
    if request.user.is_authenticated and raw.isdigit() and int(raw) < 2**63:
        # Someone else's session id is treated as no session: a fresh conversation.
        session = session_get(user=request.user, session_id=int(raw))
        if session is not None:
            history = chat_history(session=session)
            state = state_public(session.state)
            # The last reply's chips, while they still answer it.
            if history and history[-1]["role"] == ChatMessage.Role.ASSISTANT:
                suggestions = list((session.state or {}).get("suggestions") or [])
    # An example chosen before logging in comes back ready to send (never sent on its own).
    ask = request.GET.get("ask", "")[: settings.CHAT_MAX_MESSAGE_CHARS] if request.user.is_authenticated else ""
    parties, requested = [], None
    if request.user.is_authenticated:
        parties = list(party_list(user=request.user)[:20])
        raw_party = request.GET.get("party", "")
        if (
            raw_party.isdigit() and int(raw_party) < 2**63
        ):  # ?party=N from a party's page: party mode from the next message
            requested = party_get_for_member(user=request.user, party_id=int(raw_party))
    current = (state.get("party") or {}).get("id") if state else None
    context = {
        "session": session,
        "history": history,
        "state": state,
        "suggestions": suggestions,
        "examples": _examples(request),
        "ask": ask,
        "parties": parties,
        "requested_party": requested,
        "selected_party_id": requested.id if requested else current,
    }
    return render(request, "chat/chat.html", context)
