"""Reply templates in Korean and English: the offline provider's replies, and the fallback whenever an LLM reply
is rejected.

A recommendation is one line of summary and one line per room saying why it fits; the facts and the booking link
live on the cards, never as a raw URL in the text. Every example a reply gives ('4명', '좀 더 쉬운 거', a chip) is
something the assistant understands when typed (`chat/tests/test_replies.py` types each one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chat.dialogue import DIFFICULTY_RANGES, FEAR_RANGES, state_normalised
from chat.nlu.local import normalise
from chat.nlu.when import when_english, when_of
from rooms.models import Room, slot_time_text
from rooms.vocabulary import REGION_SLUGS

BUDGET_EXCEEDED = "오늘 사용할 수 있는 대화량을 모두 썼어요. 내일 다시 이용해 주세요."

REGION_EN: dict[str, str] = {region: slug.capitalize() for region, slug in REGION_SLUGS.items()}
GENRE_EN: dict[str, str] = {
    "공포": "horror",
    "스릴러": "thriller",
    "추리": "detective",
    "미스터리": "mystery",
    "감성": "emotional",
    "코믹": "comedy",
    "판타지": "fantasy",
    "SF": "sci-fi",
    "모험": "adventure",
    "잠입": "heist",
    "드라마": "drama",
    "로맨스": "romance",
    "액션": "action",
    "역사": "historical",
}
ANYWHERE = {"ko": "어디든 괜찮아요", "en": "anywhere is fine"}

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
_GREETING_CUES = ("안녕", "반가", "하이", "ㅎㅇ", "hello", "hi", "hey")
_THANKS_CUES = ("고마", "감사", "땡큐", "ㄱㅅ", "ㄳ", "이걸로할", "여기로할", "결정했", "thank", "thx", "ty")
_TIP_CUES = ("팁", "조언", "요령", "노하우", "잘하는법", "잘하려면", "처음", "초보", "힌트", "준비", "tip", "advice")


@dataclass(frozen=True)
class Suggestion:
    """A chip under a reply: what it says, and the message it sends (a message a user could type)."""

    label: str
    message: str

    def as_dict(self) -> dict:
        return {"label": self.label, "message": self.message}


def _compact(text: str) -> str:
    return "".join(normalise(text).split()).lower()


def _final_consonant(word: str) -> int:
    last = word.rstrip()[-1:]
    if last and "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28
    return {"0": 21, "1": 8, "3": 16, "6": 1, "7": 8, "8": 8, "l": 8, "r": 8, "m": 16, "n": 4}.get(last.lower(), 0)


def josa(word: str, pair: str) -> str:
    """`word` with the particle form its last sound takes: josa('강남', '으로/로') == '강남으로'."""
    with_final, without_final = pair.split("/")
    final = _final_consonant(word)
    if with_final == "으로":
        return word + ("로" if final in (0, 8) else "으로")
    return word + (with_final if final else without_final)


def region_name(region: str, lang: str) -> str:
    return REGION_EN.get(region, region) if lang == "en" else region


def genre_name(genre: str, lang: str) -> str:
    return GENRE_EN.get(genre, genre) if lang == "en" else genre


def room_facts(room: Room, *, reason: str | None = None, open_slots: list | None = None) -> dict:
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
        "description": (room.description or "")[:200],
    }
    if reason:
        facts["why_for_this_user"] = reason
    if open_slots:
        facts["open_slots"] = [slot_time_text(slot.starts_at) for slot in open_slots]
    return facts


def party_span(room: Room, lang: str) -> str:
    """'2-4' / '2~4', or just '2' for a room that takes exactly two."""
    if room.min_players == room.max_players:
        return str(room.min_players)
    return f"{room.min_players}-{room.max_players}" if lang == "en" else f"{room.min_players}~{room.max_players}"


# --- conditions in words ---------------------------------------------------------------------------------------
def _bounds_text(value, words: dict, label_ko: str, label_en: str, lang: str) -> str | None:
    if isinstance(value, list | tuple):
        low, high = value
        lowest, highest = min(r[0] for r in words.values()), max(r[1] for r in words.values())
        if lang == "en":
            if low <= lowest:
                return f"{label_en} ≤ {high}"
            return f"{label_en} ≥ {low}" if high >= highest else f"{label_en} {low}-{high}"
        if low <= lowest:
            return f"{label_ko} {high} 이하"
        return f"{label_ko} {low} 이상" if high >= highest else f"{label_ko} {low}~{high}"
    return None


_DIFFICULTY_WORDS = {
    "ko": {"easy": "쉬운 난이도", "normal": "보통 난이도", "hard": "어려운 난이도"},
    "en": {"easy": "easy", "normal": "medium difficulty", "hard": "hard"},
}
_FEAR_WORDS = {
    "ko": {"low": "안 무서운", "mid": "조금 무서운", "high": "아주 무서운"},
    "en": {"low": "not scary", "mid": "a bit scary", "high": "very scary"},
}
_ACTIVITY_WORDS = {
    "ko": {"high": "활동적인", "low": "앉아서 푸는"},
    "en": {"high": "active", "low": "sit-down puzzles"},
}


def state_describe(state: dict, lang: str = "ko") -> str:
    """The conditions in words: '강남 · 4명 · 공포 · 안 무서운' / 'Gangnam · 4 people · horror · not scary'."""
    state = state_normalised(state)
    parts: list[str] = []
    if state["region"]:
        parts.append(region_name(state["region"], lang))
    elif state["any_region"]:
        parts.append("all regions" if lang == "en" else "전 지역")
    if state["players"]:
        players = state["players"]
        parts.append(f"{players} {'person' if players == 1 else 'people'}" if lang == "en" else f"{players}명")
    if state["genres"]:
        parts.append("·".join(genre_name(genre, lang) for genre in state["genres"]))
    if state["fear"]:
        fear = state["fear"]
        parts.append(
            _FEAR_WORDS[lang][fear]
            if isinstance(fear, str)
            else _bounds_text(fear, FEAR_RANGES, "공포도", "fear", lang)
        )
    if state["difficulty"]:
        level = state["difficulty"]
        parts.append(
            _DIFFICULTY_WORDS[lang][level]
            if isinstance(level, str)
            else _bounds_text(level, DIFFICULTY_RANGES, "난이도", "difficulty", lang)
        )
    if state["activity"]:
        parts.append(_ACTIVITY_WORDS[lang][state["activity"]])
    if state["max_price"]:
        price = state["max_price"]
        parts.append(f"under ₩{price:,}" if lang == "en" else f"1인 {price:,}원 이하")
    excluded = [genre for genre in state["exclude_genres"] if not (genre == "공포" and state["fear"] == "low")]
    if excluded:
        names = "·".join(genre_name(genre, lang) for genre in excluded)
        parts.append(f"no {names}" if lang == "en" else f"{names} 제외")
    when = when_of(state.get("when"))
    if when:
        parts.insert(0, f"open {when_english(when)}" if lang == "en" else f"{when.label} 예약 가능")
    return " · ".join(part for part in parts if part)


def room_slots_sentence(*, when, slots: list, nearest: list, lang: str = "ko") -> str:
    """A room's open slots in the window asked ("토 12/5 19시 전후에 예약 가능한 회차: 19:10, 19:40."), or that there
    is none and the nearest open ones."""
    en = lang == "en"
    label = when_english(when) if en else when.label
    if slots:
        times = ", ".join(slot_time_text(slot.starts_at, lang) for slot in slots)
        return (
            f"Open {label}: {times} (book from the card)."
            if en
            else f"{label}에 예약 가능한 회차: {times} (카드에서 바로 예약할 수 있어요)."
        )
    if nearest:
        times = ", ".join(slot_time_text(slot.starts_at, lang) for slot in nearest)
        return (
            f"Nothing open {label}; the nearest open times: {times}."
            if en
            else f"{label}에는 예약 가능한 회차가 없어요. 가장 가까운 빈 회차: {times}."
        )
    return f"Nothing open {label}." if en else f"{label}에는 예약 가능한 회차가 없어요."


def no_slots_reply(
    *,
    state: dict,
    lang: str,
    same: list[tuple[Room, list]],
    others: list[tuple[Room, list]],
) -> tuple[str, list]:
    """Nothing is open in the window asked: say so, then the same rooms' nearest open slots and the other rooms
    open at that time (their cards carry the slots and the booking links)."""
    when = when_of(state.get("when"))
    en = lang == "en"
    label = when_english(when) if en else when.label
    rest = state_describe({**state, "when": None}, lang)
    if en:
        head = f"Nothing is open {label}" + (f" for {rest}." if rest else ".")
    else:
        head = f"{label}에는 " + (f"{rest} 조건으로 " if rest else "") + "예약 가능한 회차가 없어요."
    lines = [head]
    if same:
        lines.append("The nearest open times for these rooms:" if en else "같은 테마의 가장 가까운 빈 회차예요.")
        for room, slots in same:
            times = ", ".join(slot_time_text(slot.starts_at, lang) for slot in slots)
            lines.append(f"· {room.name} ({room.store.name}): {times}")
    if others:
        lines.append(
            f"Other rooms open {label} (other conditions relaxed):"
            if en
            else f"{label}에 예약 가능한 다른 테마예요 (다른 조건은 빼고 찾았어요)."
        )
        for room, slots in others:
            times = ", ".join(slot_time_text(slot.starts_at, lang) for slot in slots)
            lines.append(f"· {room.name} ({room.store.name}): {times}")
    chips = [Suggestion(_DROP_MESSAGES["when"][lang], _DROP_MESSAGES["when"][lang])]
    return "\n".join(lines), chips


# --- recommendations -------------------------------------------------------------------------------------------
def room_reasons(room: Room, state: dict, lang: str, *, well_rated: bool = False, changed: list[str] = ()) -> list[str]:
    """Why a room fits the conditions, most telling first (two are shown): the levels asked for (fear, activity,
    difficulty), what sets it apart among rooms that all fit (its fear as a horror room, a second genre, many good
    reviews), and the party size only when nothing else is said."""
    state = state_normalised(state)
    en = lang == "en"
    found: list[tuple[str, str]] = []  # (slot, reason)
    fear, activity, difficulty = state["fear"], state["activity"], state["difficulty"]
    if fear == "low" or (fear is None and "공포" in state["exclude_genres"]):
        if room.fear == 0:
            found.append(("fear", "nothing scary in it" if en else "무서운 요소가 없어요"))
        else:
            found.append(
                ("fear", f"fear {room.fear}/5, hardly scary" if en else f"공포도 {room.fear}/5로 거의 안 무서워요")
            )
    elif fear == "high" or (isinstance(fear, list) and fear[0] >= 3):
        found.append(("fear", f"fear {room.fear}/5, truly scary" if en else f"공포도 {room.fear}/5로 제대로 무서워요"))
    elif fear or "공포" in state["genres"]:
        found.append(("fear", f"fear {room.fear}/5" if en else f"공포도 {room.fear}/5"))
    if activity == "high":
        found.append(
            (
                "activity",
                f"activity {room.activity}/5, lots of moving"
                if en
                else f"활동성 {room.activity}/5, 몸 쓰는 구간이 많아요",
            )
        )
    elif activity == "low":
        found.append(
            (
                "activity",
                f"activity {room.activity}/5, mostly sitting" if en else f"활동성 {room.activity}/5, 앉아서 풀어요",
            )
        )
    level = room.difficulty
    if difficulty == "easy":
        found.append(
            ("difficulty", f"difficulty {level}/5, good for beginners" if en else f"난이도 {level}/5로 입문용이에요")
        )
    elif difficulty == "hard":
        found.append(
            ("difficulty", f"difficulty {level}/5 for veterans" if en else f"난이도 {level}/5로 고인물용이에요")
        )
    elif difficulty:
        found.append(("difficulty", f"difficulty {level}/5" if en else f"난이도 {level}/5"))
    if well_rated:
        rating = f"{float(room.rating):.1f}"
        found.append(
            (
                "rating",
                f"rated {rating} from {room.review_count} reviews"
                if en
                else f"후기 {room.review_count}개에 평점 {rating}",
            )
        )
    if state["max_price"]:
        found.append(("max_price", f"₩{room.price:,} each" if en else f"1인 {room.price:,}원"))
    if state["genres"]:
        extra = [genre for genre in room.genres if genre not in state["genres"]]
        if extra:
            names = "·".join(genre_name(genre, lang) for genre in extra)
            found.append(("genres", f"with {names} too" if en else f"{names} 요소도 있어요"))
    # What sets it apart when the conditions say little: no scares, lots of moving, a long game.
    if fear is None and "공포" not in state["genres"] and room.fear == 0:
        found.append(("extra", "no scares" if en else "무서운 요소 없음"))
    if activity is None and room.activity >= 4:
        found.append(("extra", "lots of moving around" if en else "몸 쓰는 구간이 많아요"))
    if room.duration_minutes >= 90:
        found.append(
            ("extra", f"a long {room.duration_minutes}-minute game" if en else f"{room.duration_minutes}분짜리 긴 테마")
        )
    players = state["players"]
    if players == 1:
        found.append(("players", "fine to play alone" if en else "혼자 할 수 있어요"))
    elif players and players >= 6:
        found.append(("players", f"takes up to {room.max_players}" if en else f"{room.max_players}명까지 돼요"))
    elif players:
        span = party_span(room, lang) if en else party_span(room, lang) + "인"
        found.append(("players", f"takes {span} players" if en else f"{span} 테마예요"))
    if not difficulty:
        found.append(("extra", f"difficulty {level}/5" if en else f"난이도 {level}/5"))
    # What this turn just asked for comes first ("활동적인거" → the activity, before the fear asked earlier).
    found.sort(key=lambda item: item[0] not in changed)
    return [reason for _, reason in found[:2]]


# What a tip suggests, per condition the user has not set; each example is a message the assistant understands.
TIPS: dict[str, dict[str, str]] = {
    "players": {
        "ko": "인원을 알려 주시면 딱 맞는 방만 골라요. 예: '4명'",
        "en": "Tell me your party size, e.g. 'we are 4'.",
    },
    "difficulty": {
        "ko": "너무 어려워 보이면 '좀 더 쉬운 거'라고 해 보세요.",
        "en": "If these look hard, say 'something easier'.",
    },
    "fear": {"ko": "무서운 게 걱정되면 '덜 무서운 거'라고 해 보세요.", "en": "Worried about scares? Say 'less scary'."},
    "genres": {"ko": "장르도 고를 수 있어요. 예: '추리로'", "en": "You can pick a genre too, e.g. 'mystery instead'."},
    "region": {
        "ko": "다른 동네가 궁금하면 '다른 지역'이라고 해 보세요.",
        "en": "For another neighbourhood, say 'another area'.",
    },
    "max_price": {"ko": "예산이 있으면 '2만원 이하'처럼 알려 주세요.", "en": "Have a budget? Say 'under 25000 won'."},
    "more": {
        "ko": "다른 테마도 보고 싶으면 '다른 거 없어?'라고 해 보세요.",
        "en": "Want other rooms? Say 'show me more'.",
    },
}


def recommendation_tip(state: dict, lang: str, *, last: str | None = None) -> str:
    """Which tip to give: a condition the user has not set yet (never one they gave), not the one given last time."""
    state = state_normalised(state)
    unset = [
        key
        for key, missing in (
            ("players", not state["players"]),
            ("fear", "공포" in state["genres"] and not state["fear"]),
            ("difficulty", not state["difficulty"]),
            ("genres", not state["genres"] and not state["exclude_genres"]),
            ("max_price", not state["max_price"]),
            ("region", bool(state["region"])),
            ("more", True),
        )
        if missing
    ]
    fresh = [key for key in unset if key != last]
    return (fresh or unset)[0]


def recommendation_reply(
    *,
    state: dict,
    rooms: list[Room],
    lang: str = "ko",
    notes: list[str] = (),
    well_rated: set[int] = frozenset(),
    changed: list[str] = (),
    last_tip: str | None = None,
    personal: dict[int, str] | None = None,
) -> tuple[str, str]:
    """One line of summary (with what changed), one line per room saying why it fits, and one tip; and the tip's
    key (the next reply gives another). `personal`: why a room suits this signed-in user, from the recommender's
    strongest signals (ml.inference.room_reasons, Korean), added to the room's line in Korean replies."""
    conditions = state_describe(state, lang)
    count = len(rooms)
    if lang == "en":
        summary = (
            f"{count} room{'s' if count != 1 else ''} for {conditions}." if conditions else f"{count} top-rated rooms."
        )
    else:
        summary = f"{conditions} 조건에 맞는 테마 {count}개예요." if conditions else f"평점이 좋은 테마 {count}개예요."
    lead = [note for note in (_note_text(note, state, lang) for note in notes) if note]
    lines = [" ".join([*lead, summary])]
    for index, room in enumerate(rooms, start=1):
        reasons = room_reasons(room, state, lang, well_rated=room.id in well_rated, changed=changed)
        line = f"{index}. {room.name} ({room.store.name}) — {', '.join(reasons)}"
        if personal and personal.get(room.id) and lang != "en":
            line += f". {personal[room.id]}"
        lines.append(line)
    tip = recommendation_tip(state, lang, last=last_tip)
    lines.append(TIPS[tip][lang])
    return "\n".join(lines), tip


def _note_text(note: str, state: dict, lang: str) -> str | None:
    state = state_normalised(state)
    en = lang == "en"
    if note.startswith("favourite_region:"):
        region = note.split(":", 1)[1]
        if en:
            return f"Searching {region_name(region, lang)}, your favourite area."
        return f"선호 지역인 {josa(region, '으로/로')} 찾았어요."
    if note == "any_region_assumed":
        return "Searching every area." if en else "지역은 정하지 않고 전 지역에서 찾았어요."
    if note == "difficulty_lowest":
        return "These are already the easiest rooms." if en else "이미 가장 쉬운 난이도예요."
    if note == "difficulty_highest":
        return "These are already the hardest rooms." if en else "이미 가장 어려운 난이도예요."
    if note == "fear_lowest":
        return "These have no scares at all." if en else "이미 무서운 요소가 없는 테마예요."
    if note == "fear_highest":
        return "These are already the scariest." if en else "이미 가장 무서운 테마예요."
    if note == "players_changed" and state["players"]:
        players = state["players"]
        return f"Now for {players}." if en else f"{players}명 기준으로 다시 찾았어요."
    if note == "easier":
        return "Easier ones:" if en else "더 쉬운 테마로 골랐어요."
    if note == "harder":
        return "Harder ones:" if en else "더 어려운 테마로 골랐어요."
    if note == "less_scary":
        return "Less scary ones:" if en else "덜 무서운 테마로 골랐어요."
    if note == "scarier":
        return "Scarier ones:" if en else "더 무서운 테마로 골랐어요."
    if note == "more":
        return "Other rooms for the same conditions:" if en else "같은 조건의 다른 테마예요."
    return None


# --- asking ------------------------------------------------------------------------------------------------------
def ask_region_reply(*, state: dict, lang: str, regions: list[str], avoid: str | None = None) -> tuple[str, list]:
    """Which region? with chips of popular regions and "anywhere"."""
    conditions = state_describe(state, lang)
    choices = [region for region in regions if region != avoid][:5]
    if lang == "en":
        text = "Which area should I search? Tell me a neighbourhood (e.g. Gangnam, Hongdae), or say 'anywhere is fine'."
        if conditions:
            text = f"Got it: {conditions}. " + text
        chips = [Suggestion(region_name(region, lang), region_name(region, lang)) for region in choices]
    else:
        text = "어느 지역에서 찾을까요? 가까운 동네를 알려 주시거나 '어디든 괜찮아요'라고 해 주세요."
        if conditions:
            text = f"{conditions} 조건으로 찾을게요. " + text
        chips = [Suggestion(region, region) for region in choices]
    chips.append(Suggestion(ANYWHERE[lang], ANYWHERE[lang]))
    return text, chips


def ask_players_reply(*, lang: str) -> tuple[str, list]:
    if lang == "en":
        text = "How many of you are going in total? Then I'll adjust the rooms."
        return text, [Suggestion(f"{n} people", f"we are {n}") for n in (2, 3, 4, 5)]
    text = "지금 모두 몇 명인지 알려 주시면 인원에 맞게 다시 찾아 드릴게요."
    return text, [Suggestion(f"{n}명", f"{n}명") for n in (2, 3, 4, 5)]


@dataclass(frozen=True)
class Relaxation:
    """A condition that, left out, lets rooms match: which, the message that leaves it out, and how many."""

    slot: str
    count: int
    region: str | None = None  # for a region alternative


_DROP_MESSAGES = {
    "players": {"ko": "인원 상관없이", "en": "any number of people"},
    "genres": {"ko": "장르 상관없이", "en": "any genre"},
    "difficulty": {"ko": "난이도 상관없이", "en": "any difficulty"},
    "fear": {"ko": "공포도 상관없이", "en": "scary is ok"},
    "activity": {"ko": "활동성 상관없이", "en": "any activity level"},
    "max_price": {"ko": "가격 상관없이", "en": "any price"},
    "exclude_genres": {"ko": "공포도 괜찮아요", "en": "scary is ok"},
    "seen": {"ko": "처음부터 다시", "en": "start over"},
    "when": {"ko": "시간 상관없어", "en": "any time"},
}
_SLOT_WORDS = {
    "players": {"ko": "인원", "en": "party size"},
    "genres": {"ko": "장르", "en": "genre"},
    "difficulty": {"ko": "난이도", "en": "difficulty"},
    "fear": {"ko": "공포도", "en": "fear level"},
    "activity": {"ko": "활동성", "en": "activity"},
    "max_price": {"ko": "가격", "en": "price"},
    "exclude_genres": {"ko": "공포 제외", "en": "no-horror"},
    "region": {"ko": "지역", "en": "area"},
    "when": {"ko": "시간", "en": "time"},
}


def region_towards(region: str) -> str:
    """'홍대로', '강남으로', '대학로에서' (not '대학로로'): a message that moves the search to `region`."""
    return f"{region}에서" if region.endswith("로") else josa(region, "으로/로")


def relaxation_message(relaxation: Relaxation, lang: str) -> str:
    if relaxation.region:
        return region_name(relaxation.region, lang) if lang == "en" else region_towards(relaxation.region)
    return _DROP_MESSAGES[relaxation.slot][lang]


def dead_end_reply(
    *, state: dict, lang: str, relaxations: list[Relaxation], seen_all: bool = False
) -> tuple[str, list]:
    """Nothing matches: which condition blocks it, and the nearest rooms with it relaxed (as chips)."""
    conditions = state_describe(state, lang)
    en = lang == "en"
    if seen_all:
        head = f"That's every room for {conditions}." if en else f"{conditions} 조건의 테마는 모두 보여 드렸어요."
    else:
        head = f"No room fits {conditions}." if en else f"{conditions} 조건에 맞는 테마가 없어요."
    lines = [head]
    chips: list[Suggestion] = []
    for relaxation in relaxations[:3]:
        message = relaxation_message(relaxation, lang)
        if relaxation.region:
            where = region_name(relaxation.region, lang)
            verb = "is" if relaxation.count == 1 else "are"
            line = (
                f"· In {where} there {verb} {relaxation.count} with the other conditions."
                if en
                else f"· 다른 조건 그대로 {where}에는 {relaxation.count}개가 있어요."
            )
            label = f"{message} ({relaxation.count})"
        else:
            word = _SLOT_WORDS[relaxation.slot][lang]
            line = (
                f"· Without the {word} condition: {relaxation.count} room{'s' if relaxation.count != 1 else ''}."
                if en
                else f"· {word} 조건을 빼면 {relaxation.count}개가 있어요."
            )
            label = f"{message} ({relaxation.count})"
        lines.append(line)
        chips.append(Suggestion(label, message))
    if relaxations:
        blocker = relaxations[0]
        if not blocker.region and not seen_all:
            word = _SLOT_WORDS[blocker.slot][lang]
            lines.insert(
                1,
                f"The {word} condition is what blocks it." if en else f"{josa(word, '이/가')} 걸림돌이에요.",
            )
        lines.append("Tap one below to see them." if en else "아래에서 골라 주시면 바로 보여 드릴게요.")
    else:
        lines.append(
            "Try fewer conditions, or say 'start over'." if en else "조건을 줄이거나 '처음부터 다시'라고 해 주세요."
        )
    return "\n".join(lines), chips


# --- one room ----------------------------------------------------------------------------------------------------
def _difficulty_word(level: int, lang: str) -> str:
    if lang == "en":
        return "on the easy side" if level <= 2 else "medium" if level == 3 else "on the hard side"
    return "쉬운 편" if level <= 2 else "보통" if level == 3 else "어려운 편"


def _fear_feel(fear: int, lang: str) -> str:
    if lang == "en":
        return "hardly scary" if fear <= 1 else "quite scary" if fear >= 4 else "some tension, not too scary"
    return (
        "무서운 요소는 거의 없어요"
        if fear <= 1
        else "꽤 무서운 편이에요"
        if fear >= 4
        else "적당히 긴장감이 있는 정도예요"
    )


def _topic_sentence(room: Room, topic: str, lang: str, *, players: int | None, recent_review: str | None) -> str:
    en = lang == "en"
    if topic == "duration":
        return f"It takes {room.duration_minutes} minutes." if en else f"플레이 시간은 {room.duration_minutes}분이에요."
    if topic == "price":
        return f"₩{room.price:,} per person." if en else f"가격은 1인 {room.price:,}원이에요."
    if topic == "difficulty":
        word = _difficulty_word(room.difficulty, lang)
        if en:
            return f"Difficulty {room.difficulty}/5, {word}."
        return f"난이도는 5점 만점에 {room.difficulty}점으로 {word}이에요."
    if topic == "fear":
        feel = _fear_feel(room.fear, lang)
        return f"Fear {room.fear}/5: {feel}." if en else f"공포도는 5점 만점에 {room.fear}점, {feel}."
    if topic == "activity":
        if en:
            level = room.activity
            feel = "lots of moving around" if level >= 4 else "mostly solving in place" if level <= 2 else "some moving"
            return f"Activity {level}/5: {feel}."
        feel = (
            "몸 쓰는 구간이 많아요"
            if room.activity >= 4
            else "앉아서 푸는 문제 위주예요"
            if room.activity <= 2
            else "적당히 움직여요"
        )
        return f"활동성은 5점 만점에 {room.activity}점, {feel}."
    if topic == "players":
        span = party_span(room, lang) if en else party_span(room, lang) + "명"
        if players is not None:
            fits = room.min_players <= players <= room.max_players
            if en:
                return f"{'Yes' if fits else 'No'}: it takes {span} players."
            return f"{players}명{'도 할 수 있어요' if fits else '은 안 돼요'}. {span}이 함께 할 수 있어요."
        return f"It takes {span} players." if en else f"{span}이 함께 할 수 있어요."
    if topic == "location":
        address = room.store.address
        if en:
            return f"It's at {room.store.name} ({region_name(room.region, lang)}){f', {address}' if address else ''}."
        return f"{room.store.name}({room.region})에 있어요.{f' 주소는 {address}예요.' if address else ''}"
    if topic == "booking":
        if room.store.booking_url:
            if en:
                return f"Book with the 'Book' button on the card ({room.store.name})."
            return f"예약은 카드의 '예약하기' 버튼으로 할 수 있어요 ({room.store.name})."
        phone = f" ({room.store.phone})" if room.store.phone else ""
        if en:
            return f"There's no booking link yet; please contact {room.store.name}{phone}."
        return f"등록된 예약 링크가 없어요. {room.store.name}에 직접 문의해 주세요{phone}."
    if topic == "reviews":
        if not room.review_count:
            return "No reviews yet." if en else "아직 등록된 후기가 없어요."
        rating = f"{float(room.rating):.1f}"
        sentence = (
            f"Rated {rating}/5 from {room.review_count} reviews."
            if en
            else f"평점은 5점 만점에 {rating}점이고 후기는 {room.review_count}개예요."
        )
        if recent_review:
            sentence += f' {"Latest" if en else "최근 후기"}: "{recent_review}"'
        return sentence
    genres = "·".join(genre_name(genre, lang) for genre in room.genres)
    if en:
        return (
            f"A {genres} room at {room.store.name} ({region_name(room.region, lang)}): difficulty {room.difficulty}/5, "
            f"fear {room.fear}/5, {room.min_players}-{room.max_players} players, {room.duration_minutes} minutes, "
            f"₩{room.price:,} per person, rated {float(room.rating):.1f}."
        )
    return (
        f"{room.store.name}({room.region})의 {genres} 테마로, 난이도 {room.difficulty}/5, 공포도 {room.fear}/5, "
        f"{room.min_players}~{room.max_players}명, {room.duration_minutes}분, 1인 {room.price:,}원이에요. "
        f"평점은 {float(room.rating):.1f}점이에요."
    )


def inquiry_reply(
    *,
    room: Room,
    topics: list[str],
    lang: str = "ko",
    players: int | None = None,
    recent_review: str | None = None,
) -> str:
    sentences = [
        _topic_sentence(room, topic, lang, players=players, recent_review=recent_review)
        for topic in (topics or ["overview"])
    ]
    head = f"{room.name} ({room.store.name}):" if lang == "en" else f"'{room.name}'({room.store.name}) 테마예요."
    return " ".join([head, *sentences])


def inquiry_many_reply(*, rooms: list[Room], topics: list[str], lang: str = "ko", players: int | None = None) -> str:
    """A bare question after a list ("가격은?"): the answer for each room shown, one line each."""
    head = "For the rooms above:" if lang == "en" else "방금 보여 드린 테마들이에요."
    lines = [head]
    for index, room in enumerate(rooms, start=1):
        answer = " ".join(
            _topic_sentence(room, topic, lang, players=players, recent_review=None) for topic in (topics or ["reviews"])
        )
        lines.append(f"{index}. {room.name} — {answer}")
    return "\n".join(lines)


def which_room_reply(*, name: str, options: list[Room], lang: str = "ko") -> tuple[str, list]:
    """Several rooms answer to the name: ask which, naming the stores."""
    if lang == "en":
        text = f"Several rooms are called '{name}'. Which one do you mean?"
    else:
        text = f"'{name}'(이)라는 테마가 여러 개 있어요. 어느 쪽인가요?"
    lines = [text]
    chips = []
    for index, room in enumerate(options, start=1):
        where = region_name(room.region, lang)
        lines.append(f"{index}. {room.name} — {room.store.name} ({where})")
        chips.append(Suggestion(f"{room.name} · {room.store.name}", f"{room.store.name} {room.name}"))
    return "\n".join(lines), chips


def unknown_room_reply(*, name: str, suggestions: list[Room], lang: str = "ko") -> tuple[str, list]:
    chips = [
        Suggestion(f"{room.name} · {room.store.name}", f"{room.store.name} {room.name}") for room in suggestions[:3]
    ]
    if lang == "en":
        if suggestions:
            names = ", ".join(f"'{room.name}' ({room.store.name})" for room in suggestions[:3])
            return f"I couldn't find a room called '{name}'. Did you mean {names}?", chips
        return f"I couldn't find a room called '{name}'. Could you check the name?", chips
    if suggestions:
        names = ", ".join(f"'{room.name}'({room.store.name})" for room in suggestions[:3])
        return f"'{name}' 테마는 찾지 못했어요. 혹시 {names} 중 하나를 말씀하신 건가요?", chips
    return f"'{name}' 테마는 찾지 못했어요. 테마 이름을 다시 한 번 확인해 주시겠어요?", chips


def missing_name_reply(*, example: str | None, lang: str = "ko") -> str:
    """A question about a room without saying which (and nothing shown to point at)."""
    if lang == "en":
        sample = f" For example: 'how long is {example}?'" if example else ""
        return f"Which room do you mean? Tell me its name.{sample}"
    sample = f" 예: '{example} 몇 분이야?'" if example else ""
    return f"어떤 테마가 궁금하신지 테마 이름을 함께 알려 주세요.{sample}"


def no_such_room_reply(*, reference: str, count: int, lang: str = "ko") -> str:
    if lang == "en":
        return f"I only showed {count} room{'s' if count != 1 else ''}. Which one do you mean?"
    if not count:
        return "아직 보여 드린 테마가 없어요. 테마 이름이나 조건을 알려 주세요."
    return f"보여 드린 테마는 {count}개예요. 몇 번째 테마가 궁금하세요?"


# --- everything else ---------------------------------------------------------------------------------------------
def general_reply(*, text: str, difficulty: str | None = None, lang: str = "ko", example: str | None = None) -> str:
    compact = _compact(text)
    en = lang == "en"
    if any(cue in compact for cue in _INJECTION_CUES):
        if en:
            return "Sorry, I can't share my internal settings or instructions. Happy to help with escape rooms, though!"
        return (
            "죄송하지만 내부 설정이나 지시 내용은 알려 드릴 수 없어요. "
            "방탈출 테마 추천이나 테마 정보라면 기꺼이 도와드릴게요!"
        )
    if any(cue in compact for cue in _TIP_CUES):
        if en:
            reply = (
                "Some tips: sweep the room together first and share every clue you find. Keep used clues in one "
                "place so they don't confuse you. Using a hint when stuck is a fine strategy. First time? Start "
                "with difficulty 2-3 and a low fear level."
            )
            if difficulty == "easy":
                reply += " Say 'easy room for 2 in Gangnam' and I'll find beginner rooms."
            return reply
        reply = (
            "방탈출 팁을 알려 드릴게요. 처음에는 방 안의 단서와 자물쇠를 함께 훑어보고 찾은 것을 모두 공유하세요. "
            "쓴 단서는 한곳에 모아 두면 헷갈리지 않아요. 막히면 힌트를 쓰는 것도 좋은 전략이에요. "
            "처음이라면 난이도 2~3, 공포도가 낮은 테마부터 시작해 보세요."
        )
        if difficulty == "easy":
            reply += " '초보 둘이 강남'처럼 말씀해 주시면 입문용 테마를 찾아 드릴게요."
        return reply
    if any(cue in compact for cue in _THANKS_CUES):
        if en:
            return "You're welcome! Have a great escape. Ask me anytime about other rooms."
        return "천만에요! 즐거운 탈출 되세요. 다른 테마가 궁금하면 언제든 물어봐 주세요."
    if any(re.search(rf"(?<![a-z]){cue}(?![a-z])", compact) for cue in _GREETING_CUES):
        if en:
            return "Hi! I recommend escape rooms. Tell me the area, how many of you, and the genre you like."
        return (
            "안녕하세요! 방탈출 테마 추천 도우미예요. "
            "지역, 인원, 좋아하는 장르를 알려 주시면 딱 맞는 테마를 찾아 드릴게요."
        )
    if en:
        sample = f" or 'how long is {example}?'" if example else ""
        return f"I recommend escape rooms and answer questions about them. Try 'mystery room in Hongdae for 2'{sample}."
    sample = f"나 '{example} 몇 분이야?'" if example else ""
    return (
        "저는 방탈출 테마를 추천하고 테마 정보를 알려 드리는 도우미예요. "
        f"'홍대에서 둘이 할 만한 추리 테마'{sample}처럼 말씀해 주세요."
    )


def with_greeting(reply: str, *, text: str, lang: str) -> str:
    """A greeting said along with a request ("ㅎㅇ 방탈출 추천좀") is returned before the answer."""
    compact = _compact(text)
    if any(re.search(rf"(?<![a-z]){cue}(?![a-z])", compact) for cue in _GREETING_CUES):
        return ("Hi! " if lang == "en" else "안녕하세요! ") + reply
    return reply


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
