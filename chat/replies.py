"""Korean reply templates: the offline provider's replies, and the fallback whenever an LLM reply is rejected."""

from __future__ import annotations

import re
import unicodedata

from chat.dialogue import state_describe
from rooms.models import Room

CLARIFY = (
    "어느 지역에서, 몇 명이 함께 하실 건가요? "
    "예를 들어 '강남 4명'이나 '홍대 둘이 추리'처럼 알려 주시면 바로 찾아 드릴게요."
)
BUDGET_EXCEEDED = "오늘 사용할 수 있는 대화량을 모두 썼어요. 내일 다시 이용해 주세요."

_INJECTION_CUES = (
    "지시",
    "프롬프트",
    "명령",
    "규칙을무시",
    "설정을보여",
    "systemprompt",
    "ignoreprevious",
    "instruction",
)
_GREETING_CUES = ("안녕", "반가", "하이", "hello", "hi", "hey")
_THANKS_CUES = ("고마", "감사", "땡큐", "thank")
_TIP_CUES = ("팁", "조언", "요령", "노하우", "잘하는법", "잘하려면", "처음", "초보", "힌트", "tip", "advice")


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def room_facts(room: Room, *, reason: str | None = None) -> dict:
    """The facts of a room the reply may state (the LLM sees exactly these), with why it suits this user
    when the recommender says so."""
    facts = {
        "id": room.id,
        "name": room.name,
        "store": room.store.name,
        "region": room.region,
        "genres": list(room.genres),
        "difficulty": room.difficulty,
        "fear": room.fear,
        "activity": room.activity,
        "players": f"{room.min_players}~{room.max_players}명",
        "duration_minutes": room.duration_minutes,
        "price_per_person": room.price,
        "rating": round(float(room.rating), 1),
        "review_count": room.review_count,
        "booking_url": room.store.booking_url,
        "description": (room.description or "")[:200],
    }
    if reason:
        facts["why_for_this_user"] = reason
    return facts


def _room_line(index: int, room: Room) -> str:
    line = (
        f"{index}. {room.name} — {room.store.name} ({room.region}) · {'·'.join(room.genres)} · "
        f"난이도 {room.difficulty}/5 · 공포도 {room.fear}/5 · {room.min_players}~{room.max_players}명 · "
        f"{room.duration_minutes}분 · 1인 {room.price:,}원 · 평점 {float(room.rating):.1f}"
    )
    if room.store.booking_url:
        line += f" · 예약: {room.store.booking_url}"
    return line


def recommendation_reply(*, state: dict, rooms: list[Room], reasons: dict[int, str] | None = None) -> str:
    """The offline reply: one line of facts per room, and under it why the room suits this user when the
    recommender knows (`reasons`, from ml.inference.room_reasons)."""
    conditions = state_describe(state)
    if not rooms:
        where = f"{conditions} 조건에 맞는" if conditions else "조건에 맞는"
        return f"{where} 테마를 찾지 못했어요. 지역이나 장르, 인원 조건을 조금 넓혀 보시겠어요?"
    intro = (
        f"{conditions} 조건으로 테마 {len(rooms)}개를 골라 봤어요."
        if conditions
        else f"평점이 좋은 테마 {len(rooms)}개를 골라 봤어요."
    )
    lines = [intro]
    for index, room in enumerate(rooms, start=1):
        lines.append(_room_line(index, room))
        if reasons and reasons.get(room.id):
            lines.append(f"   → {reasons[room.id]}")
    lines.append("조건을 바꾸고 싶으면 '공포 말고', '4명', '홍대로'처럼 말씀해 주세요.")
    return "\n".join(lines)


def _difficulty_word(level: int) -> str:
    return "쉬운 편" if level <= 2 else "보통" if level == 3 else "어려운 편"


def inquiry_reply(*, room: Room, topics: list[str], recent_review: str | None = None) -> str:
    name = room.name
    sentences: list[str] = []
    for topic in topics or ["overview"]:
        if topic == "duration":
            sentences.append(f"플레이 시간은 {room.duration_minutes}분이에요.")
        elif topic == "price":
            sentences.append(f"가격은 1인 {room.price:,}원이에요.")
        elif topic == "difficulty":
            sentences.append(f"난이도는 5점 만점에 {room.difficulty}점으로 {_difficulty_word(room.difficulty)}이에요.")
        elif topic == "fear":
            feel = (
                " 무서운 요소는 거의 없어요."
                if room.fear <= 1
                else " 꽤 무서운 편이에요."
                if room.fear >= 4
                else " 적당히 긴장감이 있는 정도예요."
            )
            sentences.append(f"공포도는 5점 만점에 {room.fear}점이에요.{feel}")
        elif topic == "players":
            sentences.append(f"{room.min_players}~{room.max_players}명이 함께 할 수 있어요.")
        elif topic == "location":
            address = f" 주소는 {room.store.address}예요." if room.store.address else ""
            sentences.append(f"{room.store.name}({room.region})에 있어요.{address}")
        elif topic == "booking":
            if room.store.booking_url:
                sentences.append(f"예약은 {room.store.booking_url} 에서 할 수 있어요.")
            else:
                sentences.append(f"등록된 예약 링크가 없어요. {room.store.name}에 직접 문의해 주세요.")
        elif topic == "reviews":
            if room.review_count:
                sentences.append(f"평점은 5점 만점에 {float(room.rating):.1f}점이고 후기는 {room.review_count}개예요.")
                if recent_review:
                    sentences.append(f'최근 후기: "{recent_review}"')
            else:
                sentences.append("아직 등록된 후기가 없어요.")
        else:
            sentences.append(
                f"{room.store.name}({room.region})의 {'·'.join(room.genres)} 테마로, 난이도 {room.difficulty}/5, "
                f"공포도 {room.fear}/5, {room.min_players}~{room.max_players}명, {room.duration_minutes}분, "
                f"1인 {room.price:,}원이에요. 평점은 {float(room.rating):.1f}점이에요."
            )
    return f"'{name}' 테마 정보예요. " + " ".join(sentences)


def unknown_room_reply(*, name: str, suggestions: list[Room]) -> str:
    if suggestions:
        names = ", ".join(f"'{room.name}'({room.store.name})" for room in suggestions[:3])
        return f"'{name}' 테마는 찾지 못했어요. 혹시 {names} 중 하나를 말씀하신 건가요?"
    return f"'{name}' 테마는 찾지 못했어요. 테마 이름을 다시 한 번 확인해 주시겠어요?"


def missing_name_reply() -> str:
    return "어떤 테마가 궁금하신지 테마 이름을 함께 알려 주세요. 예: '검은 숲 테마 몇 분이야?'"


def general_reply(*, text: str, difficulty: str | None = None) -> str:
    compact = _compact(text)
    if any(cue in compact for cue in _INJECTION_CUES):
        return (
            "죄송하지만 내부 설정이나 지시 내용은 알려 드릴 수 없어요. "
            "방탈출 테마 추천이나 테마 정보라면 기꺼이 도와드릴게요!"
        )
    if any(cue in compact for cue in _TIP_CUES):
        reply = (
            "방탈출 팁을 알려 드릴게요. 처음에는 방 안의 단서와 자물쇠를 함께 훑어보고 찾은 것을 모두 공유하세요. "
            "쓴 단서는 한곳에 모아 두면 헷갈리지 않아요. 막히면 힌트를 쓰는 것도 좋은 전략이에요. "
            "처음이라면 난이도 2~3, 공포도가 낮은 테마부터 시작해 보세요."
        )
        if difficulty == "easy":
            reply += " '초보 둘이 강남'처럼 말씀해 주시면 입문용 테마를 찾아 드릴게요."
        return reply
    if any(cue in compact for cue in _THANKS_CUES):
        return "천만에요! 즐거운 탈출 되세요. 다른 테마가 궁금하면 언제든 물어봐 주세요."
    if any(re.search(rf"(?<![a-z]){cue}(?![a-z])", compact) for cue in _GREETING_CUES):
        return (
            "안녕하세요! 방탈출 테마 추천 도우미예요. "
            "지역, 인원, 좋아하는 장르를 알려 주시면 딱 맞는 테마를 찾아 드릴게요."
        )
    return (
        "저는 방탈출 테마를 추천하고 테마 정보를 알려 드리는 도우미예요. "
        "'홍대에서 둘이 할 만한 추리 테마'나 '검은 숲 테마 몇 분이야?'처럼 말씀해 주세요."
    )


# A token frame carries a phrase: about this many characters, never across a sentence's end.
CHUNK_CHARS = 24
_SENTENCE_END = re.compile(r"[.!?。…]\s*$|\n\s*$")


def reply_chunks(text: str) -> list[str]:
    """The reply cut into phrases (a few per sentence), whitespace kept, so the stream re-joins to exactly the
    reply: fewer frames than words, and each still reads as a piece of a sentence."""
    chunks, current = [], ""
    for word in re.findall(r"\S+\s*|\s+", text):
        current += word
        if len(current) >= CHUNK_CHARS or _SENTENCE_END.search(current):
            chunks.append(current)
            current = ""
    if current:
        chunks.append(current)
    return chunks
