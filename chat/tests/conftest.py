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
from rooms.selectors.rooms import catalogue_rating_mean_forget
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
    catalogue_rating_mean_forget()
    yield
    breaker.reset()
    catalogue_room_names_forget()
    catalogue_rating_mean_forget()


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


# The catalogue of the conversation tests: the failures need rooms that share a name across stores and
# cities (and a sequel), regions with rooms of every fear and activity level, and ratings from few and many reviews.
FAN_STORES = {
    "건대": "골목의비밀 건대점",
    "대전": "시간의문 대전점",
    "신촌": "탈출일기 신촌점",
    "강남": "잠긴서재 강남점",
    "강남2": "키이스케이프 강남",
    "홍대": "비밀의열쇠 홍대점",
}
FAN_ROOMS = [
    # store, name, genres, difficulty, fear, activity, min, max, price, rating, reviews
    ("대전", "수상한 분식집 대작전", ["코믹"], 2, 0, 3, 2, 4, 22000, 4.3, 40),
    ("건대", "수상한 분식집 대작전 2", ["코믹"], 3, 0, 4, 2, 6, 24000, 4.6, 120),
    ("신촌", "수상한 분식집의 대소동", ["코믹"], 2, 0, 2, 2, 4, 21000, 4.1, 30),
    ("강남", "수상한 분식집: 웃음 주의", ["코믹"], 1, 0, 2, 2, 4, 20000, 3.9, 21),
    ("건대", "사라진 박물관의 지도", ["미스터리"], 3, 0, 5, 3, 4, 25000, 4.7, 59),
    ("건대", "폭탄 지하철", ["액션"], 2, 1, 5, 2, 4, 24000, 4.3, 10),
    ("건대", "건대 흉가", ["공포"], 3, 2, 2, 2, 4, 25000, 3.9, 40),
    ("건대", "창고의 목격자", ["스릴러"], 3, 2, 3, 2, 5, 26000, 4.8, 80),
    ("건대", "정신병동의 비명", ["공포"], 4, 5, 3, 2, 5, 27000, 4.5, 50),
    ("건대", "외딴 모텔의 초대", ["스릴러"], 3, 3, 3, 2, 4, 25000, 4.2, 30),
    ("건대", "조용한 서재", ["추리"], 3, 0, 1, 2, 4, 23000, 4.0, 25),
    ("홍대", "폐병원 지하 3층", ["공포"], 5, 5, 3, 2, 4, 28000, 4.4, 60),
    ("홍대", "지하실의 속삭임", ["공포"], 4, 4, 2, 3, 5, 27000, 4.2, 40),
    ("홍대", "인형의 집", ["공포"], 2, 4, 2, 2, 4, 24000, 4.6, 90),
    ("홍대", "혼자 푸는 암호", ["추리"], 3, 0, 2, 1, 3, 20000, 4.0, 20),
    ("강남", "꽃집의 편지", ["감성"], 1, 0, 2, 2, 2, 22000, 5.0, 3),
    ("강남", "첫사랑 카페", ["감성"], 2, 0, 2, 2, 4, 23000, 4.7, 300),
    ("강남2", "탐정의 서재", ["추리"], 2, 0, 1, 2, 4, 22000, 3.9, 25),
    ("강남2", "우주선 K", ["SF"], 2, 1, 3, 2, 6, 23000, 3.7, 30),
    ("강남2", "검은 숲", ["공포"], 3, 4, 2, 2, 4, 25000, 4.4, 64),
    ("강남2", "지하 납골당", ["공포", "스릴러"], 4, 5, 3, 3, 5, 27000, 4.2, 30),
    ("강남", "저주받은 인형", ["공포"], 3, 4, 3, 2, 5, 25000, 4.5, 100),
    ("신촌", "신촌 탐정 사무소", ["추리"], 3, 1, 2, 2, 4, 23000, 4.2, 40),
]


@pytest.fixture
def fan_catalogue(db) -> dict[str, Room]:
    region_of = {"강남2": "강남"}
    stores = {
        key: StoreFactory(
            name=name,
            region=region_of.get(key, key),
            address=f"{region_of.get(key, key)} 어딘가 1길",
            phone="02-000-0000",
            booking_url=f"https://booking.example.com/{index}",
        )
        for index, (key, name) in enumerate(FAN_STORES.items(), start=1)
    }
    return catalogue_build(
        {
            "store": stores[store],
            "name": name,
            "genres": genres,
            "difficulty": difficulty,
            "fear": fear,
            "activity": activity,
            "min_players": low,
            "max_players": high,
            "price": price,
            "rating": rating,
            "review_count": reviews,
            "description": f"{name}: {'·'.join(genres)} 테마.",
        }
        for store, name, genres, difficulty, fear, activity, low, high, price, rating, reviews in FAN_ROOMS
    )
