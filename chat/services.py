"""The chat pipeline for one message: NLU → dialogue state → retrieval → grounded reply → record.

One implementation, two entry points: `conversation_stream` (an async generator of WebSocket frames, used by the
consumer) and `conversation_reply` (the same run collected, for `POST /chat/`).

Frames: {"type": "token", "text"} … {"type": "recommendations", "rooms": [...]} {"type": "done", "message_id",
"session_id", "suggestions": [{"label", "message"}]}. What to answer is planned in `chat.planning`. Errors are
raised as `ChatError` subclasses carrying an HTTP status and a Korean message; the consumer turns them into
{"type": "error", "message"} frames.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import time
import unicodedata
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
from chat.dialogue import state_normalised, state_public
from chat.llm.budget import TokenBudgetExceeded, token_budget_check
from chat.llm.calls import LLMCallFailed, LLMUsage, llm_astream
from chat.llm.grounding import SentenceGrounder, sentences_split
from chat.llm.prompts import reply_messages
from chat.llm.providers import ProviderChoice, ProviderUnavailable, chat_model_get, provider_choice
from chat.models import ChatMessage, ChatSession, RecommendationFeedback
from chat.nlu.analyze import amessage_analyze_detailed, nlu_tokens_bound
from chat.nlu.local import local_analyze
from chat.nlu.schema import MessageAnalysis
from chat.party_mode import PartyNotFound
from chat.planning import Plan, Turn, plan_turn
from chat.replies import BUDGET_EXCEEDED, reply_chunks, room_facts
from chat.selectors import catalogue_room_names, message_get_for_user, session_get
from escape_ai.logging import chat_session_id_var
from rooms.models import Room, slot_time_text
from rooms.serializers import RoomOutputSerializer

logger = logging.getLogger(__name__)


class ChatError(Exception):
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ChatInputInvalid(ChatError):
    status = 400


class ChatSessionNotFound(ChatError):
    status = 404


class ChatPartyNotFound(ChatError):
    status = 404


class ChatBudgetExceeded(ChatError):
    status = 429


class FeedbackInvalid(ChatError):
    status = 400


class FeedbackTargetNotFound(ChatError):
    status = 404


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
    # Invisible format characters (zero-width, bidi overrides) hide words from every check that reads the
    # text: they are dropped at the door, so "시\u200b스템 프롬프트" is read as what it looks like.
    cleaned = "".join(char for char in text if unicodedata.category(char) != "Cf").strip()
    if not cleaned:
        raise ChatInputInvalid("메시지를 입력해 주세요.")
    if len(cleaned) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise ChatInputInvalid(f"메시지는 {settings.CHAT_MAX_MESSAGE_CHARS:,}자 이하로 입력해 주세요.")
    return cleaned


def _begin(
    *, user, session_id: int | None, text: str, llm: bool = False, party_id: int | None = None, window=None
) -> Turn:
    """Validate the message and the session; with an LLM provider, today's budget must cover the NLU call."""
    text = message_text_clean(text)
    if party_id is not None and (isinstance(party_id, bool) or not isinstance(party_id, int)):
        raise ChatInputInvalid("party_id는 정수여야 합니다.")
    session = None
    if session_id is not None:
        if isinstance(session_id, bool) or not isinstance(session_id, int):
            raise ChatInputInvalid("session_id는 정수여야 합니다.")
        session = session_get(user=user, session_id=session_id)
        if session is None:
            raise ChatSessionNotFound("대화를 찾을 수 없습니다.")
    try:
        token_budget_check(user_id=user.id, need=nlu_tokens_bound(text=text) if llm else 0)
    except TokenBudgetExceeded as exc:
        raise ChatBudgetExceeded(BUDGET_EXCEEDED) from exc
    state = state_normalised(session.state if session else None)
    return Turn(
        user=user,
        text=text,
        session=session,
        state=state,
        started=time.perf_counter(),
        party_id=party_id,
        window=window,
    )


def _plan(*, turn: Turn, analysis: MessageAnalysis) -> Plan:
    try:
        return plan_turn(turn=turn, analysis=analysis)
    except PartyNotFound as exc:
        raise ChatPartyNotFound(str(exc)) from exc


def _begin_local(
    *, user, session_id: int | None, text: str, party_id: int | None = None, window=None
) -> tuple[Turn, MessageAnalysis, Plan]:
    """The offline provider needs no await between steps: one trip to a worker thread does all of them."""
    turn = _begin(user=user, session_id=session_id, text=text, party_id=party_id, window=window)
    analysis = local_analyze(turn.text)
    return turn, analysis, _plan(turn=turn, analysis=analysis)


async def _llm_sentences(
    *, turn: Turn, plan: Plan, choice: ProviderChoice, usage: LLMUsage, to_thread: Callable
) -> AsyncIterator[str]:
    """The LLM's reply sentence by sentence as it is generated, each checked before it is let through (the rooms
    it names were retrieved; nothing of the instructions leaks). From the first sentence that fails, or when the
    provider fails, the grounded template answers instead, so nothing unchecked ever reaches the user."""
    try:
        model = chat_model_get()
        messages = reply_messages(
            text=turn.text,
            task=plan.llm_task or "",
            rooms=[
                room_facts(room, reason=plan.personal.get(room.id), open_slots=plan.slots.get(room.id))
                for room in plan.rooms
            ],
            state=state_public(plan.state),
            lang=plan.lang,
            draft=plan.template,
        )
    except (ProviderUnavailable, NotImplementedError, ValueError) as exc:
        usage.fallback, usage.error = True, type(exc).__name__
        yield plan.template
        return
    grounder = SentenceGrounder(
        rooms={room.id: room.name for room in plan.rooms},
        catalogue_names=await to_thread(catalogue_room_names)(),
        max_chars=settings.CHAT_REPLY_MAX_CHARS,
    )
    call = LLMUsage(provider=choice.provider, model=choice.model)
    stream = llm_astream(model, messages, choice=choice, usage=call, user_id=turn.user_id)
    said, buffer = False, ""
    try:
        async for piece in stream:
            finished, buffer = sentences_split(buffer + piece)
            for sentence in finished:
                checked = grounder.check(sentence)
                if not checked.ok:
                    logger.warning("LLM sentence rejected", extra={"problems": checked.problems})
                    usage.fallback, usage.error = True, "ungrounded"
                    yield ("\n" if said else "") + plan.template
                    return
                if checked.text:
                    said = True
                    yield checked.text
                if grounder.full:  # the reply has its length (CHAT_REPLY_MAX_CHARS): the rest is not said
                    return
        rest = grounder.check(buffer) if buffer.strip() else None
        if rest is not None and rest.ok and (rest.text or grounder.full):
            said = said or bool(rest.text)
            if rest.text:
                yield rest.text
        elif rest is not None or not said:  # the end failed the check, or the model said nothing usable
            usage.fallback, usage.error = True, "ungrounded" if rest is not None else "empty"
            yield ("\n" if said else "") + plan.template
    except LLMCallFailed as exc:
        usage.fallback, usage.error = True, exc.reason
        yield ("\n" if said else "") + plan.template
    finally:
        await stream.aclose()
        usage.merge(call)


def _record(
    *, user, turn: Turn, analysis: MessageAnalysis, plan: Plan, reply: str, usage: LLMUsage
) -> ConversationResult:
    latency_ms = int((time.perf_counter() - turn.started) * 1000)
    entities = analysis.entities.model_dump(mode="json")
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
    _metrics_observe(intent=analysis.intent, plan=plan, usage=usage)
    return ConversationResult(
        session=session,
        message=message,
        reply=reply,
        intent=analysis.intent,
        entities=entities,
        rooms=plan.rooms,
        recommendations=recommendation_cards(plan.rooms, slots=plan.slots if plan.windowed else None),
        suggestions=suggestions,
    )


def slot_card(slot) -> dict:
    """One open slot on a card: when, its price, and the booking page for it (the slot's own, else the store's)."""
    return {
        "id": slot.id,
        "starts_at": slot.starts_at.isoformat(),
        "label": slot_time_text(slot.starts_at),
        "price": slot.effective_price,
        "booking_url": slot.effective_booking_url,
    }


def recommendation_cards(rooms: list[Room], *, slots: dict[int, list] | None = None) -> list[dict]:
    """The rooms' cards (the rooms API's fields); with a time window asked, each with up to three open slots."""
    cards = [dict(card) for card in RoomOutputSerializer(rooms, many=True).data]
    if slots is not None:
        for card in cards:
            card["slots"] = [slot_card(slot) for slot in slots.get(card["id"], [])]
    return cards


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
    plan: Plan,
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
                # the model that wrote the reply: cost per successful recommendation is counted per model
                "provider": usage.provider,
                "model": usage.model,
            },
        )


def _metrics_observe(*, intent: str, plan: Plan, usage: LLMUsage) -> None:
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
        metrics.recommendation_shown_observe(usage.provider, usage.model, len(plan.rooms))


@metrics.monitored("chat.reply")  # latency of one whole turn, errors by type, one JSONL line each
async def _run(
    *,
    user,
    session_id: int | None,
    text: str,
    run: _Run,
    to_thread: Callable,
    party_id: int | None = None,
    window=None,
) -> AsyncIterator[dict]:
    choice = provider_choice()
    usage = LLMUsage(provider=choice.provider, model=choice.model)
    sentences: AsyncIterator[str] | None = None
    if choice.is_local:
        started = time.perf_counter()
        turn, analysis, plan = await to_thread(_begin_local)(
            user=user, session_id=session_id, text=text, party_id=party_id, window=window
        )
        reply = plan.template
        # The offline provider's work (understanding and the grounded template) is its "call": it counts in the
        # LLM families like any provider, at no cost.
        usage.calls, usage.latency_s = 1, time.perf_counter() - started
    else:
        turn = await to_thread(_begin)(
            user=user, session_id=session_id, text=text, llm=True, party_id=party_id, window=window
        )
        outcome = await amessage_analyze_detailed(text=turn.text, choice=choice, user_id=turn.user_id)
        analysis = outcome.analysis
        usage.merge(outcome.usage)
        plan = await to_thread(_plan)(turn=turn, analysis=analysis)
        # A provider that just failed the NLU call would most likely fail again: answer from the template.
        if plan.llm_task and not usage.fallback:
            sentences = _llm_sentences(turn=turn, plan=plan, choice=choice, usage=usage, to_thread=to_thread)
        else:
            reply = plan.template
    if plan.note:  # our own words (the party, played rooms left out): said first, never checked as the LLM's
        if sentences is None:
            reply = f"{plan.note}\n{reply}"
        else:
            sentences = _said_first(f"{plan.note}\n", sentences)
    if turn.session is not None:
        chat_session_id_var.set(turn.session.id)

    def record(reply: str) -> ConversationResult:
        return _record(user=user, turn=turn, analysis=analysis, plan=plan, reply=reply, usage=usage)

    if sentences is None:
        # Stored before streaming: a client that disconnects mid-reply still leaves a complete conversation.
        result = await to_thread(record)(reply)
        run.result = result
        for chunk in reply_chunks(reply):
            yield {"type": "token", "text": chunk}
    else:
        result = None
        async for item in _streamed_then_stored(sentences=sentences, record=to_thread(record)):
            if isinstance(item, ConversationResult):
                result = run.result = item
            else:
                for chunk in reply_chunks(item):
                    yield {"type": "token", "text": chunk}
    if plan.kind in ("recommendation", "inquiry", "dead_end"):
        yield {"type": "recommendations", "rooms": result.recommendations}
    yield {
        "type": "done",
        "message_id": result.message.id,
        "session_id": result.session.id,
        "suggestions": result.suggestions,
    }


async def _said_first(first: str, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    yield first
    async for sentence in rest:
        yield sentence


async def _streamed_then_stored(*, sentences: AsyncIterator[str], record: Callable) -> AsyncIterator:
    """Each sentence as it is checked, then the stored turn. A task of its own reads the model and stores the
    whole reply, so a client that leaves mid-reply (its stream closed or cancelled) still leaves a complete
    conversation behind."""
    queue: asyncio.Queue = asyncio.Queue()

    async def produce() -> None:
        parts: list[str] = []
        try:
            async for sentence in sentences:
                parts.append(sentence)
                queue.put_nowait(sentence)
            # Stored without the whitespace after its last sentence (a reply cut at its length ends on one).
            queue.put_nowait(await record("".join(parts).rstrip()))
        except Exception as exc:  # noqa: BLE001 - handed to the reader, who raises it
            queue.put_nowait(exc)

    producer = asyncio.ensure_future(produce())
    _producers.add(producer)
    producer.add_done_callback(_producers.discard)
    while True:
        item = await queue.get()
        if isinstance(item, Exception):
            raise item
        yield item
        if isinstance(item, ConversationResult):
            return


# Producers outlive a closed stream (see _streamed_then_stored); a reference keeps each until it is done.
_producers: set[asyncio.Future] = set()


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

    def __init__(self, *, user, session_id: int | None, text: str, party_id: int | None = None, window=None):
        self._run = _Run()

        self._frames = _run(
            user=user,
            session_id=session_id,
            text=text,
            run=self._run,
            to_thread=in_worker_thread,
            party_id=party_id,
            window=window,
        )

    @property
    def result(self) -> ConversationResult | None:
        return self._run.result

    def __aiter__(self) -> AsyncIterator[dict]:
        return self._frames


def conversation_stream(
    *, user, session_id: int | None, text: str, party_id: int | None = None, window=None
) -> ConversationStream:
    """The frames of one message, for the WebSocket consumer: `async for frame in conversation_stream(...)`.

    Raises `ChatError` (before any frame) on bad input, an unknown session or a spent token budget.
    `window`: (start, end) from `rooms.services.slot_window_parse`; it wins over a time the message names.
    """
    return ConversationStream(user=user, session_id=session_id, text=text, party_id=party_id, window=window)


def conversation_reply(
    *, user, session_id: int | None, text: str, party_id: int | None = None, window=None
) -> ConversationResult:
    """One message end to end (the REST path). Raises `ChatError` subclasses on bad input. `window`: as for
    `conversation_stream`."""
    run = _Run()

    async def collect() -> None:
        # Thread-sensitive: the sync steps run back in the caller's thread, on the request's database connection
        # (plain sync_to_async: Channels' variant would close that connection between steps).
        async for _ in _run(
            user=user,
            session_id=session_id,
            text=text,
            run=run,
            to_thread=sync_to_async,
            party_id=party_id,
            window=window,
        ):
            pass

    # The turn's chat session is in the log and event context while the turn runs, not in the caller's after it.
    contextvars.copy_context().run(async_to_sync(collect))
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
        raise FeedbackTargetNotFound("이 추천에 포함되지 않은 테마입니다.")  # no such recommendation: 404
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
