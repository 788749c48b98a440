"""The one structured result of understanding a message, whichever provider produced it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rooms.vocabulary import canonical_genre, canonical_region

Intent = Literal["room_recommendation", "room_inquiry", "general_chat"]
Difficulty = Literal["easy", "normal", "hard"]
INTENTS: tuple[str, ...] = ("room_recommendation", "room_inquiry", "general_chat")


def _canonical_genres(values: list[str]) -> list[str]:
    """Canonical, de-duplicated, in order; unknown words are dropped (an LLM may invent genres)."""
    out: list[str] = []
    for value in values or []:
        genre = canonical_genre(str(value))
        if genre and genre not in out:
            out.append(genre)
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

    def model_post_init(self, __context) -> None:
        # A genre cannot be wanted and excluded at once: the exclusion is the later, stronger wish.
        if self.exclude_genres:
            self.genres = [genre for genre in self.genres if genre not in self.exclude_genres]


class MessageAnalysis(BaseModel):
    """방탈출 채팅 메시지 분석 결과: 의도(intent)와 조건(entities)."""

    model_config = ConfigDict(extra="ignore")

    intent: Intent = Field(description="room_recommendation, room_inquiry or general_chat")
    entities: Entities = Field(default_factory=Entities)

    def as_contract(self) -> dict:
        """The tooling contract: every key present, null or [] when absent."""
        return {"intent": self.intent, "entities": self.entities.model_dump()}
