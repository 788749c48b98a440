"""Chat fixtures: a tiny catalogue, LangChain fake chat models, fake provider keys."""

from __future__ import annotations

import asyncio
import re

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from chat.llm.calls import breaker
from chat.selectors import catalogue_room_names_forget
from rooms.models import Room
from testing.factories import RoomFactory, StoreFactory, catalogue_build

ROOMS = [
    # name, region, genres, difficulty, fear, min, max, minutes, price, rating, reviews
    ("검은 숲", "강남", ["공포"], 3, 4, 2, 4, 70, 25000, 4.6, 40),
    ("지하 납골당", "강남", ["공포", "스릴러"], 4, 5, 3, 5, 80, 27000, 4.2, 30),
    ("시간 여행자의 서재", "강남", ["추리", "판타지"], 2, 0, 2, 4, 60, 22000, 4.4, 25),
    ("탐정 사무소", "홍대", ["추리"], 3, 1, 2, 4, 70, 24000, 4.8, 50),
    ("사라진 화가", "홍대", ["미스터리", "추리"], 4, 1, 2, 6, 75, 26000, 4.1, 12),
    ("비밀 연구소", "홍대", ["SF", "잠입"], 5, 2, 4, 6, 90, 30000, 4.3, 20),
    ("꽃집 아가씨", "신촌", ["감성", "로맨스"], 1, 0, 2, 2, 60, 20000, 4.0, 8),
]


@pytest.fixture(autouse=True)
def _fresh_llm_state(settings):
    """Fake keys so that a real provider call could only fail; a closed breaker; no cached names."""
    settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
    settings.ANTHROPIC_API_KEY = "sk-ant-test-not-a-real-key"
    settings.GOOGLE_API_KEY = "test-not-a-real-key"
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # discard port: a real call is refused at once
    settings.LLM_PROVIDER = "local"
    settings.LLM_MODEL = ""
    settings.LLM_TIMEOUT_SECONDS = 2.0
    settings.LLM_MAX_RETRIES = 1
    breaker.reset()
    catalogue_room_names_forget()
    yield
    breaker.reset()
    catalogue_room_names_forget()


def _build_catalogue() -> dict[str, Room]:
    """The seven open rooms by name, and a closed one in 강남 that no answer may show."""
    stores = {
        region: StoreFactory(
            name=f"테스트{region}점",
            region=region,
            address=f"서울 {region} 테스트로 1",
            phone="",
            booking_url=f"https://booking.example.com/{number}",
        )
        for number, region in enumerate(("강남", "홍대", "신촌"), start=1)
    }
    rooms = catalogue_build(
        (
            {
                "store": stores[region],
                "name": name,
                "genres": genres,
                "difficulty": difficulty,
                "fear": fear,
                "min_players": low,
                "max_players": high,
                "duration_minutes": minutes,
                "price": price,
                "rating": rating,
                "review_count": reviews,
                "description": f"{region}의 {'·'.join(genres)} 테마 {name}.",
            }
            for name, region, genres, difficulty, fear, low, high, minutes, price, rating, reviews in ROOMS
        ),
        activity=3,
    )
    RoomFactory(
        store=stores["강남"],
        name="폐쇄된 방",
        genres=["공포"],
        difficulty=3,
        fear=3,
        activity=3,
        min_players=2,
        max_players=4,
        duration_minutes=60,
        price=20000,
        description="운영하지 않는 테마.",
        is_active=False,
    )
    return rooms


@pytest.fixture
def catalogue(db) -> dict[str, Room]:
    return _build_catalogue()


@pytest.fixture
def committed_catalogue(transactional_db) -> dict[str, Room]:
    """For WebSocket tests: the consumer reads in worker threads, which only see committed rows."""
    return _build_catalogue()


class FakeToolChatModel(GenericFakeChatModel):
    """GenericFakeChatModel that accepts tools, so `with_structured_output` works on recorded tool calls, and
    streams like a real provider: the text in pieces (word and space), `delay` seconds before each piece, and
    the token counts on the last chunk (OpenAI's `stream_usage`)."""

    delay: float = 0.0

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):
        return self

    async def _astream(self, messages, stop=None, run_manager=None, **kwargs):
        message = self._generate(messages, stop=stop, **kwargs).generations[0].message
        for piece in re.split(r"(\s)", message.content if isinstance(message.content, str) else ""):
            if piece:
                await asyncio.sleep(self.delay)
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=message.usage_metadata))


def nlu_message(intent: str, *, input_tokens: int = 120, output_tokens: int = 30, **entities) -> AIMessage:
    """A recorded structured-output answer: the tool call an OpenAI-style model returns."""
    return AIMessage(
        content="",
        tool_calls=[{"name": "MessageAnalysis", "args": {"intent": intent, "entities": entities}, "id": "call_1"}],
        usage_metadata={
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    )


def reply_message(text: str, *, input_tokens: int = 400, output_tokens: int = 80) -> AIMessage:
    return AIMessage(
        content=text,
        usage_metadata={
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    )


def fake_model(*messages, delay: float = 0.0) -> FakeToolChatModel:
    return FakeToolChatModel(messages=iter(messages), delay=delay)
