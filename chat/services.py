"""The chat pipeline for one message: NLU → dialogue state → retrieval → grounded reply → record.

One implementation, two entry points: `conversation_stream` (an async generator of WebSocket frames, used by the
consumer) and `conversation_reply` (the same run collected, for `POST /chat/`).

Frames: {"type": "token", "text"} … {"type": "recommendations", "rooms": [...]} {"type": "done", "message_id",
"session_id"}. Errors are raised as `ChatError` subclasses carrying an HTTP status and a Korean message; the
consumer turns them into {"type": "error", "message"} frames.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from analytics import metrics
from analytics.services import EventRejected, event_record
from chat.dialogue import (
    StateUpdate,
    state_filters,
    state_focus,
    state_normalised,
    state_public,
    state_shown,
    state_update,
)
from chat.llm.budget import TokenBudgetExceeded, token_budget_check, token_budget_spend
from chat.llm.calls import LLMCallFailed, LLMUsage, llm_ainvoke
from chat.llm.grounding import reply_ground
from chat.llm.prompts import reply_messages
from chat.llm.providers import ProviderChoice, ProviderUnavailable, chat_model_get, provider_choice
from chat.models import ChatMessage, ChatSession, RecommendationFeedback
from chat.nlu.analyze import amessage_analyze_detailed
from chat.nlu.local import local_analyze, text_language
from chat.nlu.schema import MessageAnalysis
from chat.ranking import RankedRooms, rooms_rank
from chat.replies import (
    BUDGET_EXCEEDED,
    Relaxation,
    Suggestion,
    ask_players_reply,
    ask_region_reply,
    dead_end_reply,
    general_reply,
    inquiry_many_reply,
    inquiry_reply,
    missing_name_reply,
    no_such_room_reply,
    recommendation_reply,
    reply_words,
    room_facts,
    unknown_room_reply,
    which_room_reply,
    with_greeting,
)
from chat.selectors import catalogue_room_names, message_get_for_user, room_name_suggestions, session_get
from escape_ai.logging import chat_session_id_var
from ml.selectors import user_played_room_ids
from rooms.models import Room
from rooms.selectors.rooms import (
    NAME_AMBIGUITY_MARGIN,
    NameMatch,
    room_count,
    room_count_by_region,
    room_match_by_name,
)
from rooms.serializers import RoomOutputSerializer
from rooms.vocabulary import REGION_NAMES, regions_nearest

logger = logging.getLogger(__name__)

# A name lookup at or above this score is the room the user meant; below it, only a suggestion.
ROOM_NAME_FOUND_SCORE = 0.5
# Regions offered when asking where (the ones with the most rooms come first).
REGION_CHIPS = 5


class ChatError(Exception):
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ChatInputInvalid(ChatError):
    status = 400


class ChatSessionNotFound(ChatError):
    status = 404


class ChatBudgetExceeded(ChatError):
    status = 429


class FeedbackInvalid(ChatError):
    status = 400


class FeedbackTargetNotFound(ChatError):
    status = 404


@dataclass
class _Turn:
    user: Any
    text: str
    session: ChatSession | None
    state: dict
    started: float

    @property
    def user_id(self) -> int:
        return self.user.id


@dataclass
class _Plan:
    # recommendation | ask_region | ask_players | dead_end | inquiry | which_room | unknown_room | general
    kind: str
    state: dict
    template: str
    rooms: list[Room] = field(default_factory=list)
    ran_search: bool = False
    found: int | None = None  # rooms the search found (before the cut to the few shown)
    llm_task: str | None = None  # None: the template is the reply, no LLM involved
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.state.get("lang") or "ko"

    @property
    def shows_cards(self) -> bool:
        return self.kind in ("recommendation", "inquiry") and bool(self.rooms)


@dataclass
class ConversationResult:
    session: ChatSession
    message: ChatMessage
    reply: str
    intent: str
    entities: dict
    rooms: list[Room]
    recommendations: list[dict]
    suggestions: list[dict] = field(default_factory=list)


@dataclass
class _Run:
    """What a run produced, for `conversation_reply` (the stream only yields frames)."""

    result: ConversationResult | None = None


def message_text_clean(text: Any) -> str:
    if not isinstance(text, str):
        raise ChatInputInvalid("메시지는 문자열이어야 합니다.")
    cleaned = text.strip()
    if not cleaned:
        raise ChatInputInvalid("메시지를 입력해 주세요.")
    if len(cleaned) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise ChatInputInvalid(f"메시지는 {settings.CHAT_MAX_MESSAGE_CHARS:,}자 이하로 입력해 주세요.")
    return cleaned


def _begin(*, user, session_id: int | None, text: str) -> _Turn:
    text = message_text_clean(text)
    session = None
    if session_id is not None:
        if isinstance(session_id, bool) or not isinstance(session_id, int):
            raise ChatInputInvalid("session_id는 정수여야 합니다.")
        session = session_get(user=user, session_id=session_id)
        if session is None:
            raise ChatSessionNotFound("대화를 찾을 수 없습니다.")
    try:
        token_budget_check(user_id=user.id)
    except TokenBudgetExceeded as exc:
        raise ChatBudgetExceeded(BUDGET_EXCEEDED) from exc
    state = state_normalised(session.state if session else None)
    return _Turn(user=user, text=text, session=session, state=state, started=time.perf_counter())


def _plan(*, turn: _Turn, analysis: MessageAnalysis) -> _Plan:
    chosen = _pending_choice(turn=turn, analysis=analysis)
    if chosen is not None:
        # The message answered "which one?": it is a question about that room, whatever it reads like alone.
        analysis.intent = "room_inquiry"
        analysis.entities.room_name = chosen.rooms[0].name
        return chosen
    update = state_update(state=turn.state, analysis=analysis, text=turn.text)
    if analysis.intent == "general_chat":
        # Conditions said in passing still count ("초보인데 팁 있어?" → easy next time).
        template = general_reply(
            text=turn.text,
            difficulty=analysis.entities.difficulty,
            lang=update.state["lang"],
            example=_example_room_name(),
        )
        return _Plan(kind="general", state=update.state, template=template, llm_task="general_chat: 친절하게 답하기")
    if analysis.intent == "room_inquiry":
        return _plan_inquiry(turn=turn, analysis=analysis, update=update)
    plan = _plan_recommendation(turn=turn, analysis=analysis, update=update)
    plan.template = with_greeting(plan.template, text=turn.text, lang=plan.lang)
    return plan


# --- questions about rooms ----------------------------------------------------------------------------------------
def _plan_inquiry(*, turn: _Turn, analysis: MessageAnalysis, update: StateUpdate) -> _Plan:
    entities = analysis.entities
    state = update.state
    lang = state["lang"]
    topics = list(entities.topics)
    if entities.room_name:
        return _plan_named(turn=turn, name=entities.room_name, topics=topics, players=entities.players, state=state)
    if update.referents:
        rooms = _rooms_in_order(update.referents)
        if len(rooms) == 1:
            return _answer_room(room=rooms[0], topics=topics, players=entities.players, state=state)
        if rooms:
            template = inquiry_many_reply(rooms=rooms, topics=topics, lang=lang, players=entities.players)
            return _Plan(
                kind="inquiry", state=state, template=template, rooms=rooms, llm_task=_inquiry_task(rooms, topics)
            )
    missing = next((note.split(":", 1)[1] for note in update.notes if note.startswith("no_such_room:")), None)
    if missing is not None:
        template = no_such_room_reply(reference=missing, count=len(state["shown"]), lang=lang)
        return _Plan(kind="unknown_room", state=state, template=template)
    return _Plan(kind="unknown_room", state=state, template=missing_name_reply(example=_example_room_name(), lang=lang))


def _plan_named(*, turn: _Turn, name: str, topics: list[str], players: int | None, state: dict) -> _Plan:
    lang = state["lang"]
    matches = room_match_by_name(text=name)
    exact = [match for match in matches if match.exact]
    if len(exact) == 1:
        return _answer_room(room=exact[0].room, topics=topics, players=players, state=state)
    if not matches or matches[0].score < ROOM_NAME_FOUND_SCORE:
        suggestions = [match.room for match in matches[:3]] or room_name_suggestions(name=name)
        template, chips = unknown_room_reply(name=name, suggestions=suggestions, lang=lang)
        pending = _choice_pending(suggestions, topics, players) if suggestions else None
        return _Plan(kind="unknown_room", state={**state, "pending": pending}, template=template, suggestions=chips)
    close = exact or _close_matches(matches)
    if len(close) == 1:
        return _answer_room(room=close[0].room, topics=topics, players=players, state=state)
    options = [match.room for match in close[:5]]
    template, chips = which_room_reply(name=name, options=options, lang=lang)
    return _Plan(
        kind="which_room",
        state={**state, "pending": _choice_pending(options, topics, players)},
        template=template,
        suggestions=chips,
    )


def _close_matches(matches: list[NameMatch]) -> list[NameMatch]:
    best = matches[0].score
    return [match for match in matches if match.score >= best - NAME_AMBIGUITY_MARGIN]


def _choice_pending(rooms: list[Room], topics: list[str], players: int | None) -> dict:
    return {
        "kind": "room_choice",
        "options": [room.id for room in rooms],
        "topics": topics,
        "players": players,
    }


def _pending_choice(*, turn: _Turn, analysis: MessageAnalysis) -> _Plan | None:
    """The answer to "which one?": an option's store or name in the message, or its number ("두 번째")."""
    pending = turn.state.get("pending") or {}
    if pending.get("kind") != "room_choice":
        return None
    options = _rooms_in_order(pending.get("options") or [])
    if not options:
        return None
    compact = "".join(turn.text.split()).lower()
    chosen = None
    reference = analysis.entities.reference
    if reference and reference != "it":
        index = len(options) - 1 if reference == "last" else int(reference) - 1
        chosen = options[index] if 0 <= index < len(options) else None
    if chosen is None:
        chosen = _option_named(options, compact)
    if chosen is None and analysis.intent == "room_inquiry" and analysis.entities.room_name:
        exact = [match.room for match in room_match_by_name(text=analysis.entities.room_name) if match.exact]
        inside = [room for room in exact if room.id in pending["options"]]
        chosen = inside[0] if len(inside) == 1 else None
    if chosen is None:
        return None
    state = {**turn.state, "pending": None, "lang": text_language(turn.text) if turn.text else turn.state["lang"]}
    if not any(char.isalpha() and not char.isascii() for char in turn.text) and state["lang"] == "ko":
        state["lang"] = turn.state["lang"]
    topics = analysis.entities.topics or pending.get("topics") or []
    return _answer_room(room=chosen, topics=list(topics), players=pending.get("players"), state=state)


def _option_named(options: list[Room], compact: str) -> Room | None:
    """The one option whose store and name, else store, else store brand or branch ("건대점") the message says."""

    def squeeze(text: str) -> str:
        return "".join(text.split()).lower()

    tests = (
        lambda room: squeeze(room.store.name) in compact and squeeze(room.name) in compact,
        lambda room: squeeze(room.store.name) in compact,
        lambda room: squeeze(room.name) == compact,
        lambda room: any(len(word) >= 2 and word.lower() in compact for word in room.store.name.split()),
    )
    for test in tests:
        named = [room for room in options if test(room)]
        if len(named) == 1:
            return named[0]
    return None


def _answer_room(*, room: Room, topics: list[str], players: int | None, state: dict) -> _Plan:
    review = None
    if "reviews" in topics:
        text = room.reviews.exclude(text="").order_by("-created_at").values_list("text", flat=True).first()
        review = text[:80] if text else None
    state = state_focus({**state, "pending": None}, room)
    template = inquiry_reply(room=room, topics=topics, lang=state["lang"], players=players, recent_review=review)
    return _Plan(kind="inquiry", state=state, template=template, rooms=[room], llm_task=_inquiry_task([room], topics))


def _inquiry_task(rooms: list[Room], topics: list[str]) -> str:
    ids = ", ".join(f"[room:{room.id}]" for room in rooms)
    return f"inquiry: {ids}에 대해 묻는 것({', '.join(topics) or '개요'})에 답하기"


def _rooms_in_order(room_ids: list[int]) -> list[Room]:
    rooms = Room.objects.select_related("store").filter(is_active=True).in_bulk(room_ids)
    return [rooms[room_id] for room_id in room_ids if room_id in rooms]


def _example_room_name() -> str | None:
    """A real room's name for examples in canned replies ("… 몇 분이야?" must work when typed)."""
    names = catalogue_room_names()
    if not names:
        return None
    room = Room.objects.filter(is_active=True).order_by("-review_count", "id").values_list("name", flat=True).first()
    return room


# --- recommendations ----------------------------------------------------------------------------------------------
def _plan_recommendation(*, turn: _Turn, analysis: MessageAnalysis, update: StateUpdate) -> _Plan:
    state = update.state
    lang = state["lang"]
    notes: list[str] = []
    if "delta_without_players" in update.notes:
        template, chips = ask_players_reply(lang=lang)
        return _Plan(kind="ask_players", state=state, template=template, suggestions=chips)
    if not state["region"] and not state["any_region"]:
        favourite = _favourite_region(turn.user)
        asked_before = (turn.state.get("pending") or {}).get("kind") == "region"
        if favourite and (state.get("pending") or {}).get("avoid") != favourite:
            state = {**state, "region": favourite}
            notes.append(f"favourite_region:{favourite}")
        elif asked_before:
            # Asked once already and the answer named no region: every region will do.
            state = {**state, "any_region": True, "pending": None}
            notes.append("any_region_assumed")
        else:
            avoid = (state.get("pending") or {}).get("avoid")
            template, chips = ask_region_reply(
                state=state, lang=lang, regions=_region_choices(state, avoid), avoid=avoid
            )
            pending = {"kind": "region", "avoid": avoid}
            return _Plan(kind="ask_region", state={**state, "pending": pending}, template=template, suggestions=chips)

    entities = analysis.entities
    for adjustment in ("easier", "harder", "less_scary", "scarier", "more"):
        if adjustment in entities.adjust:
            notes.append(adjustment)
    for note in update.notes:
        if note.endswith(("_lowest", "_highest")):
            notes.append(note)
    if "players" in update.changed and turn.state.get("players") and state["players"]:
        notes.append("players_changed")

    started = time.perf_counter()
    played = tuple(user_played_room_ids(user_id=turn.user_id))
    previous_ids = [room["id"] for room in turn.state.get("shown") or []]
    asked_again = not update.changed and previous_ids and not entities.adjust and not notes
    if asked_again:
        # The same request again ("노힌트로 깰만한 빡센거" after the hard rooms were shown): others, if there are any.
        state = {**state, "seen": list(dict.fromkeys([*state["seen"], *previous_ids]))}
        notes.append("more")
    ranked = _search(turn=turn, state=state, played=played)
    if asked_again and not ranked.rooms:
        state = {**state, "seen": []}
        notes.remove("more")
        ranked = _search(turn=turn, state=state, played=played)
    relative = {"easier", "harder", "less_scary", "scarier"} & set(entities.adjust)
    if ranked.rooms and [room.id for room in ranked.rooms] == previous_ids and relative:
        # A change that would show the very same rooms ("좀 더 쉬운 거" at the bottom): show others instead.
        ranked = _search(turn=turn, state=state, played=(*played, *previous_ids))
    metrics.search_observe("chat_hybrid", time.perf_counter() - started)
    if not ranked.rooms:
        moved = "region" in update.changed and bool(turn.state.get("region"))
        return _plan_dead_end(
            state=state, played=played, seen_all="more" in entities.adjust, changed=update.changed, moved=moved
        )
    state = state_shown(state, ranked.rooms)
    template, tip = recommendation_reply(
        state=state,
        rooms=ranked.rooms,
        lang=lang,
        notes=notes,
        well_rated=ranked.well_rated,
        changed=update.changed,
        last_tip=turn.state.get("last_tip"),
    )
    state = {**state, "last_tip": tip}
    return _Plan(
        kind="recommendation",
        state=state,
        template=template,
        rooms=ranked.rooms,
        ran_search=True,
        found=ranked.found,
        llm_task="recommend: <rooms>의 테마를 조건에 맞게 추천하기",
    )


def _search(*, turn: _Turn, state: dict, played: tuple[int, ...]) -> RankedRooms:
    return rooms_rank(
        user_id=turn.user_id,
        filters=state_filters(state, exclude_room_ids=played),
        state=state,
        text=turn.text,
        limit=settings.CHAT_RECOMMENDATION_LIMIT,
    )


def _region_choices(state: dict, avoid: str | None) -> list[str]:
    """Regions to offer as chips: those with rooms for these conditions, the popular hubs first, or the nearest to
    the region the user wants to leave."""
    having = {region for region, _ in room_count_by_region(filters=state_filters(state))}
    order = regions_nearest(avoid) if avoid else list(REGION_NAMES)
    return [region for region in order if region in having][:REGION_CHIPS]


def _favourite_region(user) -> str | None:
    regions = list(getattr(user, "favorite_regions", None) or [])
    return regions[0] if regions else None


def _plan_dead_end(
    *, state: dict, played: tuple[int, ...], seen_all: bool, changed: list[str], moved: bool = False
) -> _Plan:
    """Nothing fits: find which condition blocks it by leaving each out in turn, and offer the nearest."""
    relaxations: list[Relaxation] = []
    for slot in ("players", "genres", "difficulty", "fear", "activity", "max_price"):
        if state.get(slot):
            relaxed = {**state, slot: [] if slot == "genres" else None}
            count = room_count(filters=state_filters(relaxed, exclude_room_ids=played))
            if count:
                relaxations.append(Relaxation(slot=slot, count=count))
    if "공포" in state.get("exclude_genres", []):
        relaxed = {
            **state,
            "exclude_genres": [genre for genre in state["exclude_genres"] if genre != "공포"],
            "fear": None if state.get("fear") == "low" else state.get("fear"),
        }
        count = room_count(filters=state_filters(relaxed, exclude_room_ids=played))
        if count:
            relaxations.append(Relaxation(slot="exclude_genres", count=count))
    if state.get("region"):
        # The nearest regions where the other conditions find rooms.
        counts = dict(room_count_by_region(filters=state_filters(state, exclude_room_ids=played)))
        for region in [region for region in regions_nearest(state["region"]) if counts.get(region)][:2]:
            relaxations.append(Relaxation(slot="region", count=counts[region], region=region))
    # A condition this turn just set blocks first ("좀 더 쉬운 거" went below every room), then the one whose removal
    # brings back the most rooms; two of those and the nearest region, which leads when the user just moved.
    conditions = sorted(
        (item for item in relaxations if item.slot != "region"),
        key=lambda item: (item.slot not in changed, -item.count),
    )[:2]
    regions = [item for item in relaxations if item.slot == "region"][:1]
    relaxations = regions + conditions if moved else conditions + regions
    template, chips = dead_end_reply(state=state, lang=state["lang"], relaxations=relaxations, seen_all=seen_all)
    return _Plan(kind="dead_end", state=state, template=template, ran_search=True, found=0, suggestions=chips)


def _begin_local(*, user, session_id: int | None, text: str) -> tuple[_Turn, MessageAnalysis, _Plan]:
    """The offline provider needs no await between steps: one trip to a worker thread does all of them."""
    turn = _begin(user=user, session_id=session_id, text=text)
    analysis = local_analyze(turn.text)
    return turn, analysis, _plan(turn=turn, analysis=analysis)


async def _llm_reply(*, turn: _Turn, plan: _Plan, choice: ProviderChoice, usage: LLMUsage, to_thread: Callable) -> str:
    """The LLM's reply if it passes the grounding check, else the template (and the fallback is counted)."""
    try:
        model = chat_model_get()
        messages = reply_messages(
            text=turn.text,
            task=plan.llm_task or "",
            rooms=[room_facts(room) for room in plan.rooms],
            state=state_public(plan.state),
            lang=plan.lang,
            draft=plan.template,
        )
        result, call_usage = await llm_ainvoke(model, messages, choice=choice)
        usage.merge(call_usage)
    except LLMCallFailed as exc:
        usage.merge(exc.usage)
        usage.fallback = True
        usage.error = exc.reason
        return plan.template
    except (ProviderUnavailable, NotImplementedError, ValueError) as exc:
        usage.fallback = True
        usage.error = type(exc).__name__
        return plan.template
    content = result.content if isinstance(result.content, str) else ""
    names = await to_thread(catalogue_room_names)()
    grounded = reply_ground(text=content, rooms={room.id: room.name for room in plan.rooms}, catalogue_names=names)
    if not grounded.ok:
        logger.warning("LLM reply rejected", extra={"problems": grounded.problems, "provider": choice.provider})
        usage.fallback = True
        usage.error = "ungrounded"
        return plan.template
    return grounded.text


def _record(
    *, user, turn: _Turn, analysis: MessageAnalysis, plan: _Plan, reply: str, usage: LLMUsage
) -> ConversationResult:
    latency_ms = int((time.perf_counter() - turn.started) * 1000)
    entities = analysis.entities.model_dump()
    room_ids = [room.id for room in plan.rooms]
    suggestions = [suggestion.as_dict() for suggestion in plan.suggestions]
    # The chips of the last reply stay with the session, so a reloaded page can show them again.
    plan.state = {**plan.state, "suggestions": suggestions}
    with transaction.atomic():
        session = turn.session
        if session is None:
            session = ChatSession.objects.create(user=user, title=turn.text[:40], state=plan.state)
        else:
            # One UPDATE, no read-modify-write: the state is this turn's merge of what the session held.
            session.state = plan.state
            session.updated_at = timezone.now()
            ChatSession.objects.filter(pk=session.pk).update(state=session.state, updated_at=session.updated_at)
        user_message = ChatMessage(
            session=session, role=ChatMessage.Role.USER, text=turn.text, intent=analysis.intent, entities=entities
        )
        message = ChatMessage(
            session=session,
            role=ChatMessage.Role.ASSISTANT,
            text=reply,
            intent=analysis.intent,
            entities=entities,
            recommended_room_ids=room_ids,
            latency_ms=latency_ms,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=usage.cost_usd,
            provider=usage.provider,
            model=usage.model,
            fallback=usage.fallback,
        )
        ChatMessage.objects.bulk_create([user_message, message])  # one round trip; ids come back on PostgreSQL
        _events_record(
            user_id=user.id,
            session=session,
            user_message=user_message,
            message=message,
            plan=plan,
            usage=usage,
            latency_ms=latency_ms,
        )
    if usage.total_tokens:
        token_budget_spend(user_id=user.id, tokens=usage.total_tokens)
    _metrics_observe(intent=analysis.intent, plan=plan, usage=usage)
    return ConversationResult(
        session=session,
        message=message,
        reply=reply,
        intent=analysis.intent,
        entities=entities,
        rooms=plan.rooms,
        recommendations=RoomOutputSerializer(plan.rooms, many=True).data,
        suggestions=suggestions,
    )


def _event(**kwargs) -> None:
    # Analytics must never break a conversation: a rejected event is logged and counted by analytics itself.
    try:
        event_record(**kwargs)
    except EventRejected:
        logger.warning("chat event rejected", extra={"event_type": kwargs.get("type")})


def _events_record(
    *,
    user_id: int,
    session: ChatSession,
    user_message: ChatMessage,
    message: ChatMessage,
    plan: _Plan,
    usage: LLMUsage,
    latency_ms: int,
) -> None:
    """Buffered after commit by `event_record` itself (nothing is recorded for a rolled-back turn).

    A `chat.message` event describes the whole turn (the user's message and the reply): ml learns session
    quality from these events, never from chat's tables."""
    _event(
        type="chat.message",
        user_id=user_id,
        chat_session_id=session.id,
        payload={
            "message_id": message.id,
            "user_message_id": user_message.id,
            "user_text_chars": len(user_message.text),
            "reply_chars": len(message.text),
            "room_ids": list(message.recommended_room_ids),
            "intent": message.intent,
            "entities": message.entities,
            "ran_search": plan.ran_search,
            "result_count": (plan.found if plan.found is not None else len(plan.rooms)) if plan.ran_search else None,
            "latency_ms": latency_ms,
            "provider": usage.provider,
            "model": usage.model,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cost_usd": float(usage.cost_usd),
            "fallback": usage.fallback,
        },
    )
    if plan.kind == "recommendation" and plan.rooms:
        _event(
            type="recommendation.shown",
            user_id=user_id,
            chat_session_id=session.id,
            payload={
                "room_ids": [room.id for room in plan.rooms],
                "region": plan.state.get("region"),
                "genres": list(plan.state.get("genres") or []),
                "message_id": message.id,
            },
        )


def _metrics_observe(*, intent: str, plan: _Plan, usage: LLMUsage) -> None:
    metrics.chat_message_observe(intent)
    if usage.calls or usage.fallback:
        metrics.llm_call_observe(
            usage.provider,
            usage.model,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=float(usage.cost_usd),
            latency_s=usage.latency_s if usage.calls else None,
            error=usage.error,
            fallback=usage.fallback,
        )
    if plan.kind == "recommendation" and plan.rooms:
        metrics.recommendation_observe("shown", len(plan.rooms))


@metrics.monitored("chat.reply")  # latency of one whole turn, errors by type, one JSONL line each
async def _run(*, user, session_id: int | None, text: str, run: _Run, to_thread: Callable) -> AsyncIterator[dict]:
    choice = provider_choice()
    usage = LLMUsage(provider=choice.provider, model=choice.model)
    if choice.is_local:
        turn, analysis, plan = await to_thread(_begin_local)(user=user, session_id=session_id, text=text)
        reply = plan.template
    else:
        turn = await to_thread(_begin)(user=user, session_id=session_id, text=text)
        outcome = await amessage_analyze_detailed(text=turn.text, choice=choice)
        analysis = outcome.analysis
        usage.merge(outcome.usage)
        plan = await to_thread(_plan)(turn=turn, analysis=analysis)
        # A provider that just failed the NLU call would most likely fail again: answer from the template.
        if plan.llm_task and not usage.fallback:
            reply = await _llm_reply(turn=turn, plan=plan, choice=choice, usage=usage, to_thread=to_thread)
        else:
            reply = plan.template
    if turn.session is not None:
        chat_session_id_var.set(turn.session.id)

    # Stored before streaming: a client that disconnects mid-reply still leaves a complete conversation.
    result = await to_thread(_record)(user=user, turn=turn, analysis=analysis, plan=plan, reply=reply, usage=usage)
    run.result = result
    for word in reply_words(reply):
        yield {"type": "token", "text": word}
    if plan.kind in ("recommendation", "inquiry", "dead_end"):
        yield {"type": "recommendations", "rooms": result.recommendations}
    yield {
        "type": "done",
        "message_id": result.message.id,
        "session_id": result.session.id,
        "suggestions": result.suggestions,
    }


def in_worker_thread(func: Callable) -> Callable:
    """`func` as a coroutine run in a worker thread (not the single thread-sensitive one, so many sockets chat
    at once), releasing obsolete database connections before and after like a request does.

    The clean-up runs inside the call's own context: asgiref re-homes context-local storage into it, where
    Channels' `database_sync_to_async` (which cleans up outside it) would miss the connection and leak it.
    """

    @functools.wraps(func)
    def run(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False, executor=_chat_executor())


@functools.lru_cache(maxsize=1)
def _chat_executor() -> ThreadPoolExecutor:
    # Most of a turn is spent waiting on PostgreSQL and Redis (the GIL is free meanwhile): more threads than the
    # loop's default (cores + 4) keep more turns in flight. Each thread keeps at most one database connection.
    return ThreadPoolExecutor(max_workers=settings.CHAT_WORKER_THREADS, thread_name_prefix="chat")


class ConversationStream:
    """The frames of one message; `result` (session, stored message) is set before the first frame."""

    def __init__(self, *, user, session_id: int | None, text: str):
        self._run = _Run()

        self._frames = _run(user=user, session_id=session_id, text=text, run=self._run, to_thread=in_worker_thread)

    @property
    def result(self) -> ConversationResult | None:
        return self._run.result

    def __aiter__(self) -> AsyncIterator[dict]:
        return self._frames


def conversation_stream(*, user, session_id: int | None, text: str) -> ConversationStream:
    """The frames of one message, for the WebSocket consumer: `async for frame in conversation_stream(...)`.

    Raises `ChatError` (before any frame) on bad input, an unknown session or a spent token budget.
    """
    return ConversationStream(user=user, session_id=session_id, text=text)


def conversation_reply(*, user, session_id: int | None, text: str) -> ConversationResult:
    """One message end to end (the REST path). Raises `ChatError` subclasses on bad input."""
    run = _Run()

    async def collect() -> None:
        # Thread-sensitive: the sync steps run back in the caller's thread, on the request's database connection
        # (plain sync_to_async: Channels' variant would close that connection between steps).
        async for _ in _run(user=user, session_id=session_id, text=text, run=run, to_thread=sync_to_async):
            pass

    async_to_sync(collect)()
    assert run.result is not None
    return run.result


def recommendation_feedback_record(*, user, message_id: int, room_id: int, kind: str) -> RecommendationFeedback:
    """Feedback on a room an assistant message recommended. Liking clears a dislike and the reverse."""
    if kind not in RecommendationFeedback.Kind.values:
        raise FeedbackInvalid("kind는 clicked, liked, disliked 중 하나여야 합니다.")
    message = message_get_for_user(user=user, message_id=message_id)
    if message is None:
        raise FeedbackTargetNotFound("추천을 찾을 수 없습니다.")
    if room_id not in (message.recommended_room_ids or []):
        raise FeedbackInvalid("이 추천에 포함되지 않은 테마입니다.")
    room = Room.objects.filter(id=room_id).first()
    if room is None:
        raise FeedbackTargetNotFound("테마를 찾을 수 없습니다.")
    opposite = {"liked": "disliked", "disliked": "liked"}.get(kind)
    with transaction.atomic():
        if opposite:
            RecommendationFeedback.objects.filter(user=user, message=message, room=room, kind=opposite).delete()
        try:
            with transaction.atomic():
                feedback, created = RecommendationFeedback.objects.get_or_create(
                    user=user, message=message, room=room, kind=kind
                )
        except IntegrityError:  # a concurrent identical request won the race: same outcome
            feedback, created = (
                RecommendationFeedback.objects.get(user=user, message=message, room=room, kind=kind),
                False,
            )
        if created:
            _event(
                type="recommendation.clicked",
                user_id=user.id,
                chat_session_id=message.session_id,
                payload={
                    "room_id": room.id,
                    "message_id": message.id,
                    "feedback": kind,
                    "region": room.region,
                    "genres": list(room.genres),
                },
            )
    if created and kind == "clicked":
        metrics.recommendation_observe("clicked", 1)
    return feedback


def session_state_remove(*, user, session_id: Any, slot: Any, value: Any = None) -> ChatSession:
    """Drop one condition from a session's dialogue state (the web chat's removable chips); the next turn
    searches without it."""
    from chat.dialogue import CONDITION_KEYS, state_remove

    if isinstance(session_id, bool) or not isinstance(session_id, int):
        raise ChatInputInvalid("session_id는 정수여야 합니다.")
    if slot not in CONDITION_KEYS:
        raise ChatInputInvalid("지울 수 없는 조건입니다.")
    if value is not None and not isinstance(value, str):
        raise ChatInputInvalid("value는 문자열이어야 합니다.")
    with transaction.atomic():
        session = ChatSession.objects.select_for_update().filter(user=user, id=session_id).first()
        if session is None:
            raise ChatSessionNotFound("대화를 찾을 수 없습니다.")
        session.state = {**(session.state or {}), **state_remove(state=session.state, slot=slot, value=value)}
        session.save(update_fields=["state", "updated_at"])
    return session
