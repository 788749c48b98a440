"""An LLM reply streams sentence by sentence as the model writes it, each sentence checked before it is sent."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from chat.llm.grounding import SentenceGrounder, sentences_split
from chat.llm.prompts import REPLY_SYSTEM
from chat.llm.providers import chat_model_override
from chat.models import ChatMessage
from chat.replies import reply_chunks
from chat.services import conversation_stream
from chat.tests.conftest import fake_model, nlu_message, reply_message

pytestmark = pytest.mark.django_db(transaction=True)


class TimedFakeModel:
    """Wraps the fake model's stream to note when it produced its last piece."""

    def __init__(self, model):
        self.model = model
        self.finished_at: float | None = None

    def __getattr__(self, name):
        return getattr(self.model, name)

    async def astream(self, messages, **kwargs):
        async for chunk in self.model.astream(messages, **kwargs):
            yield chunk
        self.finished_at = time.perf_counter()


async def frames_of(stream) -> list[tuple[float, dict]]:
    return [(time.perf_counter(), frame) async for frame in stream]


def _reply_text(frames) -> str:
    return "".join(frame["text"] for _, frame in frames if frame["type"] == "token")


async def test_the_first_frame_leaves_before_the_model_has_finished(user, committed_catalogue):
    detective = committed_catalogue["탐정 사무소"]
    reply = (
        f"홍대에서 둘이라면 [room:{detective.id}]가 잘 맞아요. "
        "추리 장치가 많고 평점도 높아요. 두 분이서도 충분히 풀 수 있는 난이도예요."
    )
    # 0.03 s before each word or space of the streamed reply: it takes well over a second to write.
    model = fake_model(
        nlu_message("room_recommendation", region="홍대", genres=["추리"]), reply_message(reply), delay=0.03
    )
    timed = TimedFakeModel(model)

    with chat_model_override(timed, provider="openai", model_name="gpt-4o-mini"):
        frames = await frames_of(conversation_stream(user=user, session_id=None, text="홍대 둘이 추리"))

    tokens = [(at, frame) for at, frame in frames if frame["type"] == "token"]
    assert [frame["type"] for _, frame in frames[len(tokens) :]] == ["recommendations", "done"]
    assert tokens[0][0] < timed.finished_at - 0.5  # the first sentence went out while the model still wrote
    text = _reply_text(frames)
    assert text == reply.replace(f"[room:{detective.id}]", "탐정 사무소")
    stored = await sync_to_async(ChatMessage.objects.get)(id=frames[-1][1]["message_id"])
    assert stored.text == text and not stored.fallback
    assert (stored.input_tokens, stored.output_tokens) == (520, 110)


async def test_a_sentence_that_fails_its_check_is_replaced_by_the_grounded_template(user, committed_catalogue):
    detective = committed_catalogue["탐정 사무소"]
    outside = committed_catalogue["검은 숲"]
    model = fake_model(
        nlu_message("room_recommendation", region="홍대", genres=["추리"]),
        reply_message(f"[room:{detective.id}]를 추천해요. 그리고 [room:{outside.id}]도 가 보세요. 재밌어요."),
    )

    with chat_model_override(model, provider="openai", model_name="gpt-4o-mini"):
        frames = await frames_of(conversation_stream(user=user, session_id=None, text="홍대 추리"))

    text = _reply_text(frames)
    stored = await sync_to_async(ChatMessage.objects.get)(id=frames[-1][1]["message_id"])
    first, template = text.split("\n", 1)
    assert first == "탐정 사무소를 추천해요. "
    assert "검은 숲" not in text and "재밌어요" not in text  # nothing from the failed sentence on
    assert template.startswith("홍대") and "탐정 사무소" in template  # the grounded template takes over
    assert stored.text == text and stored.fallback


async def test_a_client_that_leaves_mid_reply_still_leaves_the_whole_turn_stored(user, committed_catalogue):
    detective = committed_catalogue["탐정 사무소"]
    reply = f"[room:{detective.id}]가 좋아요. 추리 장치가 많아요. 둘이서도 충분해요."
    model = fake_model(
        nlu_message("room_recommendation", region="홍대", genres=["추리"]), reply_message(reply), delay=0.02
    )

    with chat_model_override(model, provider="openai", model_name="gpt-4o-mini"):
        stream = conversation_stream(user=user, session_id=None, text="홍대 둘이 추리").__aiter__()
        first = await stream.__anext__()
        await stream.aclose()  # the socket closed after the first frame
        deadline = time.monotonic() + 20
        while not await sync_to_async(ChatMessage.objects.filter(role="assistant").exists)():
            assert time.monotonic() < deadline, "the turn was not stored"
            await asyncio.sleep(0.1)

    stored = await sync_to_async(ChatMessage.objects.get)(role="assistant")
    assert first["type"] == "token"
    assert stored.text == reply.replace(f"[room:{detective.id}]", "탐정 사무소")
    assert await sync_to_async(ChatMessage.objects.filter(role="user", text="홍대 둘이 추리").exists)()


def test_sentences_are_split_where_they_end_and_the_rest_waits():
    finished, rest = sentences_split("첫 문장이에요. 두 번째 문장! 세 번째는 아직")
    assert finished == ["첫 문장이에요. ", "두 번째 문장! "] and rest == "세 번째는 아직"
    finished, rest = sentences_split("목록\n- 하나\n- 둘")
    assert finished == ["목록\n", "- 하나\n"] and rest == "- 둘"
    # A sentence end with nothing after it yet may be an abbreviation or a number: it waits for more text.
    assert sentences_split("가격은 2.5") == ([], "가격은 2.5")
    assert sentences_split("끝났어요.") == ([], "끝났어요.")


def test_an_echo_of_the_instructions_split_over_two_sentences_is_caught():
    # A line of the instructions that is several sentences, the first harmless alone: streamed, it arrives as
    # separate checks, and only together are they the echo.
    for line in REPLY_SYSTEM.splitlines():
        line = line.strip("- ").strip()
        if len(line) > 30 and ". " in line:
            first, second = line[: line.index(". ") + 2], line[line.index(". ") + 2 :]
            if SentenceGrounder(rooms={}, catalogue_names={}).check(first).ok:
                break
    else:
        raise AssertionError("no two-sentence line of the instructions to split")
    grounder = SentenceGrounder(rooms={}, catalogue_names={})

    assert grounder.check(first).ok  # half a line of the instructions is not yet an echo
    assert "echoes the system prompt" in grounder.check(second).problems


def test_every_streamed_piece_rejoins_exactly():
    text = "홍대에서 둘이라면 탐정 사무소가 잘 맞아요. 추리 장치가 많고 평점도 높아요.\n- 70분"
    assert "".join(reply_chunks(text)) == text
