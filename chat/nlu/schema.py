"""The one structured result of understanding a message, whichever provider produced it.

A message is read on its own; what it refers to ("두 번째 거", "거기") and what a relative change means ("한 명 더",
"좀 더 쉬운 거") is resolved against the conversation by `chat.dialogue`. New kinds of condition (a party, a time
window) are new optional fields here, a slot spec in `chat.dialogue.SLOTS`, and words in the offline NLU.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from chat.nlu.when import When
from rooms.vocabulary import canonical_genre, canonical_region

Intent = Literal["room_recommendation", "room_inquiry", "general_chat"]
Difficulty = Literal["easy", "normal", "hard"]
Fear = Literal["low", "mid", "high"]
Activity = Literal["high", "low"]
INTENTS: tuple[str, ...] = ("room_recommendation", "room_inquiry", "general_chat")
# Changes relative to what the conversation holds or showed.
ADJUSTMENTS: tuple[str, ...] = (
    "easier",  # 좀 더 쉬운 거: below the difficulty of the rooms shown
    "harder",
    "less_scary",  # 덜 무서운: below their fear
    "scarier",
    "other_region",  # 다른 지역: not this region (asks which)
    "any_region",  # 어디든 괜찮아요
    "more",  # 다른 거 없어?: other rooms, same conditions
    "drop_players",  # 인원 상관없이
    "drop_genres",
    "drop_difficulty",
    "drop_fear",
    "drop_activity",
    "drop_price",
    "drop_when",  # 시간 상관없어: any day and time
)
# The facts a question about a room can ask for.
TOPICS: tuple[str, ...] = (
    "duration",
    "price",
    "difficulty",
    "fear",
    "players",
    "location",
    "booking",
    "reviews",
    "activity",
)


def _canonical_genres(values: list[str]) -> list[str]:
    """Canonical, de-duplicated, in order; unknown words are dropped (an LLM may invent genres)."""
    out: list[str] = []
    for value in values or []:
        genre = canonical_genre(str(value))
        if genre and genre not in out:
            out.append(genre)
    return out


def _known(values, allowed: tuple[str, ...]) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        if value in allowed and value not in out:
            out.append(value)
    return out


class Entities(BaseModel):
    """Slots of a message. Names are canonical (rooms.vocabulary); absent values are null or []."""

    model_config = ConfigDict(extra="ignore")

    region: str | None = Field(default=None, description="지역 (canonical, e.g. 강남, 홍대) or null")
    genres: list[str] = Field(default_factory=list, description="원하는 장르 (canonical, e.g. 공포, 추리)")
    exclude_genres: list[str] = Field(default_factory=list, description="원하지 않는 장르 (e.g. '공포 말고' → 공포)")
    players: int | None = Field(default=None, description="인원 수 (1-20) or null")
    difficulty: Difficulty | None = Field(default=None, description="easy, normal, hard or null")
    room_name: str | None = Field(default=None, description="문의하는 테마 이름 (room_inquiry) or null")
    max_price: int | None = Field(default=None, description="1인 최대 가격 (원) or null")
    fear: Fear | None = Field(
        default=None, description="공포도: low(안 무서운, 쫄보), mid(조금 무서운), high(엄청 무서운) or null"
    )
    activity: Activity | None = Field(
        default=None, description="활동성: high(활동적인, 몸 쓰는), low(앉아서 푸는) or null"
    )
    reference: str | None = Field(
        default=None,
        description="앞서 보여 준 테마를 가리킴: it(거기, 그거, 그 방), 1/2/3…(첫 번째, 두 번째 거), last or null",
    )
    players_delta: int | None = Field(default=None, description="인원 변화 (한 명 더 → 1, 한 명 빠졌어 → -1) or null")
    adjust: list[str] = Field(
        default_factory=list,
        description=f"상대적 변경: {', '.join(ADJUSTMENTS)} 중에서 (e.g. '좀 더 쉬운 거' → easier)",
    )
    topics: list[str] = Field(
        default_factory=list, description=f"테마에 대해 묻는 것: {', '.join(TOPICS)} 중에서 (e.g. '무서워요?' → fear)"
    )
    # The time window asked for. Always read by `chat.nlu.when` from the text, whichever provider analysed it (an
    # LLM does not know the date, and the window must be the same every time): kept out of the LLM's schema.
    when: SkipJsonSchema[When | None] = Field(default=None, exclude=False)

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value):
        if value in (None, ""):
            return None
        return canonical_region(str(value))

    @field_validator("genres", "exclude_genres", mode="before")
    @classmethod
    def _genres(cls, value):
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        return _canonical_genres(value)

    @field_validator("players", mode="before")
    @classmethod
    def _players(cls, value):
        if value in (None, ""):
            return None
        players = int(value)
        return players if 1 <= players <= 20 else None

    @field_validator("players_delta", mode="before")
    @classmethod
    def _players_delta(cls, value):
        if value in (None, "", 0):
            return None
        delta = int(value)
        return delta if -19 <= delta <= 19 else None

    @field_validator("max_price", mode="before")
    @classmethod
    def _max_price(cls, value):
        if value in (None, ""):
            return None
        price = int(value)
        return price if 1_000 <= price <= 1_000_000 else None

    @field_validator("room_name", mode="before")
    @classmethod
    def _room_name(cls, value):
        if value is None:
            return None
        name = " ".join(str(value).split())[:100]
        return name or None

    @field_validator("fear", "activity", "difficulty", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if value in ("", "null", "none") else value

    @field_validator("reference", mode="before")
    @classmethod
    def _reference(cls, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("it", "last") or (text.isdigit() and 1 <= int(text) <= 10):
            return text
        return None

    @field_validator("adjust", mode="before")
    @classmethod
    def _adjust(cls, value):
        return _known(value, ADJUSTMENTS)

    @field_validator("topics", mode="before")
    @classmethod
    def _topics(cls, value):
        return _known(value, TOPICS)

    def model_post_init(self, __context) -> None:
        # A genre cannot be wanted and excluded at once: the exclusion is the later, stronger wish.
        if self.exclude_genres:
            self.genres = [genre for genre in self.genres if genre not in self.exclude_genres]

    def has_condition(self) -> bool:
        """Whether the message says anything about which rooms to search (a condition or a change)."""
        return any(
            (
                self.region,
                self.genres,
                self.exclude_genres,
                self.players,
                self.difficulty,
                self.max_price,
                self.fear,
                self.activity,
                self.players_delta,
                self.adjust,
                self.when,
            )
        )


class MessageAnalysis(BaseModel):
    """방탈출 채팅 메시지 분석 결과: 의도(intent)와 조건(entities)."""

    model_config = ConfigDict(extra="ignore")

    intent: Intent = Field(description="room_recommendation, room_inquiry or general_chat")
    entities: Entities = Field(default_factory=Entities)

    def as_contract(self) -> dict:
        """The tooling contract: every key present, null or [] when absent."""
        return {"intent": self.intent, "entities": self.entities.model_dump(mode="json")}
