"""The offline NLU: no key, no network, the same `MessageAnalysis` an LLM would give.

How it reads a message:
- Matching happens on a *compact* copy (lower case, no whitespace), so "홍대에서둘이" and "홍대 에서 둘 이" read the
  same; every match is a span in that copy, and a span once taken cannot be taken again (longest first), which
  stops "둘이대학로" from reading as 이대 (신촌).
- Kiwi morphemes decide what plain substrings cannot: whether "넷" is the number (고인물 넷) or part of a word
  (인터넷), and which morphemes of a candidate room name are content rather than particles.
- Regions and genres come from the one vocabulary (`rooms.vocabulary`); ASCII aliases match whole English words.
- Negation is read around each genre or difficulty: a cue after it ("공포 말고", "무서운 건 싫어", "무섭지 않은")
  up to the next entity, or before it ("안 무서운", "노공포", "no horror", "not scary").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from chat.nlu.schema import Entities, MessageAnalysis
from rooms.text import Morpheme, morphemes_tagged
from rooms.vocabulary import GENRES, REGIONS

_HANGUL = re.compile(r"[\uac00-\ud7a3]")

NATIVE_NUMBERS: dict[str, int] = {
    "하나": 1,
    "한": 1,
    "둘": 2,
    "두": 2,
    "셋": 3,
    "세": 3,
    "넷": 4,
    "네": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
    "열": 10,
}
# Said without a counter these still mean a party size ("고인물 넷", "셋이서"); 하나/한/열 need one.
_BARE_NUMBERS = {"둘": 2, "셋": 3, "넷": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9}
ENGLISH_NUMBERS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

DIFFICULTY_WORDS: dict[str, tuple[str, ...]] = {
    "easy": (
        "초보",
        "방린이",
        "방생아",
        "입문",
        "초심자",
        "뉴비",
        "쉬운",
        "쉽게",
        "쉬웠",
        "쉬워",
        "쉽고",
        "쉽지",
        "난이도낮",
        "낮은난이도",
        "처음인데",
        "처음이라",
        "처음해",
        "easy",
        "beginner",
        "beginners",
        "newbie",
    ),
    "hard": (
        "고인물",
        "숙련자",
        "숙련",
        "고수",
        "고난도",
        "고난이도",
        "어려운",
        "어렵",
        "어려워",
        "하드",
        "난이도높",
        "높은난이도",
        "매니아",
        "마니아",
        "hard",
        "difficult",
        "expert",
        "experts",
        "challenging",
    ),
    "normal": ("중간난이도", "보통난이도", "적당한난이도", "난이도보통", "난이도중간", "무난한", "normal", "medium"),
}
_OPPOSITE_DIFFICULTY = {"easy": "hard", "hard": "easy", "normal": None}

_NEGATION_AFTER = (
    "말고",
    "말구",
    "빼고",
    "빼줘",
    "빼면",
    "빼주",
    "제외",
    "싫",
    "별로",
    "않",
    "아닌",
    "아니",
    "말아",
    "없는",
    "없이",
    "노노",
    "금지",
    "안돼",
    "안되",
    "못하",
    "피하",
    "피해",
)
_NEGATION_BEFORE = ("안", "노", "안좀", "덜")
_ENGLISH_NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|non|without|except|avoid|hate|nothing|never|anything but|but not)\s+(?:too\s+|very\s+|so\s+)?-?$"
)
_NEGATION_WINDOW = 7

# Words that ask about one room's facts, by the fact they ask about.
TOPIC_CUES: dict[str, tuple[str, ...]] = {
    "duration": ("몇분", "분짜리", "플레이시간", "시간이얼마", "얼마나걸", "몇시간", "소요시간", "러닝타임", "howlong"),
    "price": ("얼마야", "얼마예", "얼마에", "얼마죠", "얼마인", "얼마나해", "얼마임", "가격", "비싸", "요금", "비용"),
    "difficulty": ("난이도", "어려워", "어렵나", "어려운가", "어렵다", "어려운편", "쉬워", "쉽나", "쉬운가", "쉬운편"),
    "fear": ("무서워", "무섭나", "무섭다", "무서운가", "무서운지", "무서운편", "공포도", "겁나", "쫄"),
    "players": ("몇명", "인원", "몇인", "몇사람"),
    "location": ("어디야", "어디에", "어디있", "어딨", "어디예", "어디에요", "위치", "주소", "가는길", "어떻게가"),
    "booking": ("예약",),
    "reviews": (
        "후기",
        "리뷰",
        "평점",
        "평가",
        "어때",
        "어땠",
        "재밌",
        "재미있",
        "괜찮아",
        "괜찮나",
        "할만해",
        "볼만해",
    ),
}
# Said of anything ("오늘 날씨 어때"): they make an inquiry only with "테마" or a quoted name.
_WEAK_TOPIC_CUES = ("어때", "어땠", "괜찮아", "괜찮나", "재밌", "재미있", "할만해", "볼만해")
_REC_CUES = (
    "추천",
    "찾아",
    "찾고",
    "찾는",
    "알려줘",
    "알려주",
    "골라",
    "할만한",
    "갈만한",
    "할만",
    "갈만",
    "가볼",
    "해볼",
    "하고싶",
    "가고싶",
    "괜찮은",
    "좋은테마",
    "테마있",
    "곳있",
    "데있",
    "방있",
    "어디가좋",
    "어디좋",
    "뭐있",
    "테마보여",
)
_ENGLISH_REC = re.compile(r"\b(?:recommend|suggest|find|looking for|want|room|rooms|escape)\b")
_GENERAL_CUES = (
    "안녕",
    "반가",
    "고마",
    "감사",
    "팁",
    "조언",
    "요령",
    "노하우",
    "뭐야",
    "뭐예요",
    "뭐에요",
    "뭔가요",
    "누구",
    "심심",
    "규칙",
    "준비물",
    "주의사항",
    "어떻게해",
    "어떻게하",
    "잘하는법",
    "잘하려면",
    "힌트",
    "스포",
    "지시",
    "프롬프트",
)
_ENGLISH_GENERAL = re.compile(r"\b(?:hi|hello|hey|thanks|thank you|tips?|advice|who are you)\b")
# Morphemes that never make a room name on their own ("강남 공포 테마" names no room).
_NAME_STOP = {
    "방탈출",
    "방",
    "탈출",
    "테마",
    "추천",
    "것",
    "거",
    "곳",
    "데",
    "수",
    "하",
    "있",
    "좋",
    "만하",
    "요즘",
    "제일",
    "가장",
    "인기",
    "요",
    "혹시",
    "그",
    "이",
    "저",
    "거기",
    "여기",
    "좀",
}
_NAME_FILLER_TAGS = {"IC", "MAJ", "MAG", "MM", "SF", "SP", "SS", "SSO", "SSC", "SO", "SW"}
_QUOTED = re.compile(r"[\"'‘’“”「『《]\s*([^\"'‘’“”「」『』《》]{1,60}?)\s*[\"'‘’“”」』》]")


@dataclass
class _Text:
    original: str
    lower: str
    compact: str
    to_original: list[int]  # compact index → original index
    to_compact: list[int]  # original index → compact index of that (or the next) character


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    value: object
    negated: bool = False


def _prepare(text: str) -> _Text:
    original = unicodedata.normalize("NFKC", text).strip()
    lower = original.lower()
    compact_chars: list[str] = []
    to_original: list[int] = []
    to_compact: list[int] = []
    for index, char in enumerate(lower):
        to_compact.append(len(compact_chars))
        if not char.isspace():
            compact_chars.append(char)
            to_original.append(index)
    to_compact.append(len(compact_chars))
    return _Text(original, lower, "".join(compact_chars), to_original, to_compact)


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[list[tuple[str, str, str, bool]], list[tuple[re.Pattern, str, str]]]:
    """(Hangul aliases on the compact text, ASCII aliases as whole-word patterns), from the shared vocabulary."""
    hangul: list[tuple[str, str, str, bool]] = []
    ascii_: list[tuple[re.Pattern, str, str]] = []
    tables = [("region", REGIONS), ("genre", GENRES), *(("difficulty", {k: v}) for k, v in DIFFICULTY_WORDS.items())]
    for kind, table in tables:
        for canonical, aliases in table.items():
            for name in (canonical, *aliases):
                key = "".join(name.split()).lower()
                if _HANGUL.search(key):
                    hangul.append((key, kind, canonical, name == canonical))
                else:
                    pattern = re.compile(r"(?<![a-z0-9])" + re.escape(name.lower()) + r"(?![a-z0-9])")
                    ascii_.append((pattern, kind, canonical))
    hangul.sort(key=lambda item: (-len(item[0]), not item[3]))
    return hangul, ascii_


class _Spans:
    def __init__(self) -> None:
        self.items: list[_Span] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= span.start or start >= span.end for span in self.items)

    def take(self, span: _Span) -> bool:
        if span.end <= span.start or not self.free(span.start, span.end):
            return False
        self.items.append(span)
        return True

    def sorted(self) -> list[_Span]:
        return sorted(self.items, key=lambda span: span.start)


def _orig_to_compact_span(t: _Text, start: int, end: int) -> tuple[int, int]:
    return t.to_compact[start], t.to_compact[end - 1] + 1 if end > start else t.to_compact[start]


def _price_value(amount: str, unit_thousands: str | None) -> int:
    value = float(amount.replace(",", "")) * 10_000
    if unit_thousands:
        value += int(unit_thousands) * 1_000
    return int(value)


def _find_prices(t: _Text, spans: _Spans) -> None:
    for match in re.finditer(r"(\d+(?:\.\d+)?)만(?:(\d)천)?원?", t.compact):
        spans.take(_Span(match.start(), match.end(), "price", _price_value(match.group(1), match.group(2))))
    for match in re.finditer(r"(\d{1,3}(?:,\d{3})+|\d{4,7})(?:원|won|krw)", t.compact):
        spans.take(_Span(match.start(), match.end(), "price", int(match.group(1).replace(",", ""))))
    for match in re.finditer(r"(\d{1,2})천원", t.compact):
        spans.take(_Span(match.start(), match.end(), "price", int(match.group(1)) * 1_000))
    english = r"\b(?:under|below|less than|max|up to|within)\s*(?:₩|krw\s*)?([\d,]{4,9})\s*(?:won|krw)?"
    for match in re.finditer(english, t.lower):
        start, end = _orig_to_compact_span(t, match.start(), match.end())
        spans.take(_Span(start, end, "price", int(match.group(1).replace(",", ""))))


def _number_token_starts(toks: list[Morpheme], t: _Text) -> dict[int, Morpheme]:
    """Compact offsets where Kiwi segments a number word as a morpheme of its own.

    The tag varies with context (넷 is NR in "넷이서" but NNG after the user word 고인물), so the segmentation
    is what counts: "인터넷" is one morpheme and never yields a 넷.
    """
    starts: dict[int, Morpheme] = {}
    for token in toks:
        if token.tag in ("NR", "MM", "NNG", "NNP", "NNB") and token.form in NATIVE_NUMBERS:
            starts[t.to_compact[token.start]] = token
    return starts


def _find_players(t: _Text, toks: list[Morpheme], spans: _Spans) -> None:
    price_starts = {span.start for span in spans.items if span.kind == "price"}
    for match in re.finditer(r"(\d{1,2})(명|인(?!당)|people|persons|players|pax)", t.compact):
        if match.group(2) == "인" and match.end() in price_starts:
            continue  # "1인 2만원" is a price per person, not a party of one
        spans.take(_Span(match.start(), match.end(), "players", int(match.group(1))))
    for match in re.finditer(r"혼자서?|솔로|나홀로|커플|연인끼리|연인", t.compact):
        spans.take(_Span(match.start(), match.end(), "players", 1 if match.group(0)[0] in "혼솔나" else 2))

    numerals = _number_token_starts(toks, t)
    native = "|".join(sorted(NATIVE_NUMBERS, key=len, reverse=True))
    for match in re.finditer(rf"({native})(?:명|사람|이서|이)", t.compact):
        word = match.group(1)
        # Kiwi decides whether this is a numeral at all: "인터넷이" has 넷 inside a noun.
        if match.start() in numerals and not (word in ("한", "하나") and match.group(0).endswith("이")):
            spans.take(_Span(match.start(), match.end(), "players", NATIVE_NUMBERS[word]))
    for start, token in numerals.items():
        if token.tag != "MM" and token.form in _BARE_NUMBERS:
            spans.take(_Span(start, start + len(token.form), "players", _BARE_NUMBERS[token.form]))

    english_number = r"(\d{1,2}|" + "|".join(ENGLISH_NUMBERS) + r")"
    patterns = [
        (rf"\bfor\s+(?:a\s+group\s+of\s+)?{english_number}\b", 1),
        (rf"\b{english_number}\s+(?:people|persons|players|of us|pax|friends|adults)\b", 1),
    ]
    for pattern, group in patterns:
        for match in re.finditer(pattern, t.lower):
            word = match.group(group)
            value = int(word) if word.isdigit() else ENGLISH_NUMBERS[word]
            start, end = _orig_to_compact_span(t, match.start(), match.end())
            spans.take(_Span(start, end, "players", value))
    for match in re.finditer(r"\b(alone|solo|by myself|couple|date)\b", t.lower):
        start, end = _orig_to_compact_span(t, match.start(), match.end())
        spans.take(_Span(start, end, "players", 1 if match.group(1) in ("alone", "solo", "by myself") else 2))


def _find_vocabulary(t: _Text, spans: _Spans) -> None:
    # "공포도 낮은" asks for little fear, not for horror; "공포도 높은" does ask for horror.
    for match in re.finditer(r"공포도(?:가|는)?(낮|적|약|없|높|센|쎈|강한)", t.compact):
        low = match.group(1) in ("낮", "적", "약", "없")
        spans.take(_Span(match.start(), match.end(), "genre", "공포", negated=low))
    hangul, ascii_ = _gazetteer()
    candidates: list[_Span] = []
    weights: list[int] = []
    for key, kind, canonical, is_canonical in hangul:
        start = t.compact.find(key)
        while start != -1:
            if spans.free(start, start + len(key)):
                candidates.append(_Span(start, start + len(key), kind, canonical))
                weights.append(len(key) * 10 + is_canonical)
            start = t.compact.find(key, start + 1)
    for span in _best_cover(candidates, weights):
        spans.take(span)
    for pattern, kind, canonical in ascii_:
        for match in pattern.finditer(t.lower):
            start, end = _orig_to_compact_span(t, match.start(), match.end())
            spans.take(_Span(start, end, kind, canonical))


def _best_cover(candidates: list[_Span], weights: list[int]) -> list[_Span]:
    """The non-overlapping matches that cover the most text (weighted interval scheduling).

    Greedy longest-first would read "강남역사" as 강남역 + 사; covering more reads it as 강남 + 역사.
    """
    order = sorted(range(len(candidates)), key=lambda index: candidates[index].end)
    spans = [candidates[index] for index in order]
    values = [weights[index] for index in order]
    best: list[tuple[int, list[_Span]]] = [(0, [])]
    for index, span in enumerate(spans):
        previous = index
        while previous > 0 and spans[previous - 1].end > span.start:
            previous -= 1
        take_value = values[index] + best[previous][0]
        if take_value > best[index][0]:
            best.append((take_value, [*best[previous][1], span]))
        else:
            best.append(best[index])
    return best[-1][1]


def _is_negated(t: _Text, span: _Span, next_start: int) -> bool:
    window = t.compact[span.end : min(next_start, span.end + _NEGATION_WINDOW)]
    if any(cue in window for cue in _NEGATION_AFTER):
        return True
    before = t.compact[max(0, span.start - 2) : span.start]
    if any(before.endswith(cue) for cue in _NEGATION_BEFORE):
        return True
    original_start = t.to_original[span.start] if span.start < len(t.to_original) else len(t.lower)
    return bool(_ENGLISH_NEGATION_BEFORE.search(t.lower[:original_start]))


def _topics(compact: str, lower: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for topic, cues in TOPIC_CUES.items():
        positions = [compact.find(cue) for cue in cues if cue in compact]
        if positions:
            found.append((min(positions), topic))
    english = {
        "duration": r"\bhow long\b|\bminutes\b",
        "price": r"\bhow much\b|\bprice\b|\bcost\b",
        "difficulty": r"\bdifficult(?:y)?\b|\bhow hard\b",
        "fear": r"\bscary\?|\bhow scary\b",
        "location": r"\bwhere\b",
        "reviews": r"\breviews?\b|\brating\b",
    }
    for topic, pattern in english.items():
        if topic not in {name for _, name in found} and re.search(pattern, lower):
            found.append((10_000, topic))
    return sorted(found)


def inquiry_topics(text: str) -> list[str]:
    """The facts a room inquiry asks about, in the order asked (empty: give an overview)."""
    t = _prepare(text)
    return [topic for _, topic in _topics(t.compact, t.lower)]


def _room_name(t: _Text, toks: list[Morpheme], spans: _Spans, cue_start: int | None) -> str | None:
    quoted = _QUOTED.search(t.original)
    if quoted:
        return quoted.group(1).strip() or None
    theme_at = t.original.find("테마")
    end = None
    if theme_at > 0 and (cue_start is None or t.to_compact[theme_at] <= cue_start):
        end = theme_at
    elif cue_start is not None and cue_start > 0:
        end = t.to_original[cue_start]
    if not end:
        return None
    window = [token for token in toks if token.end <= end]
    # Trim particles and fillers at both ends: "혹시 검은숲은" → "검은숲".
    while window and (window[-1].tag.startswith(("J", "E", "S")) or window[-1].form in ("테마", "방", "의")):
        window.pop()
    while window and (window[0].tag in _NAME_FILLER_TAGS or window[0].form in _NAME_STOP):
        window.pop(0)
    if not window:
        return None
    taken = [span for span in spans.items if span.kind != "difficulty"]

    def inside_entity(token: Morpheme) -> bool:
        start, stop = _orig_to_compact_span(t, token.start, token.end)
        return any(span.start <= start and stop <= span.end for span in taken)

    content = [
        token
        for token in window
        if token.tag in ("NNG", "NNP", "SL", "SH", "XR", "VA", "VA-I", "NR", "SN")
        and token.form not in _NAME_STOP
        and not inside_entity(token)
    ]
    if not content:
        return None
    name = t.original[window[0].start : window[-1].end].strip(" ?!.,~")
    return name or None


def local_analyze(text: str) -> MessageAnalysis:
    t = _prepare(text)
    toks = morphemes_tagged(t.original)
    spans = _Spans()
    _find_prices(t, spans)
    _find_players(t, toks, spans)
    _find_vocabulary(t, spans)

    ordered = spans.sorted()
    region = None
    genres: list[str] = []
    excluded: list[str] = []
    players = None
    difficulty = None
    max_price = None
    for index, span in enumerate(ordered):
        next_start = ordered[index + 1].start if index + 1 < len(ordered) else len(t.compact)
        if span.kind == "region" and region is None:
            region = span.value
        elif span.kind == "genre":
            negated = span.negated or _is_negated(t, span, next_start)
            target = excluded if negated else genres
            if span.value not in target:
                target.append(span.value)
        elif span.kind == "difficulty" and difficulty is None:
            negated = _is_negated(t, span, next_start)
            difficulty = _OPPOSITE_DIFFICULTY[span.value] if negated else span.value
        elif span.kind == "players" and players is None:
            players = span.value
        elif span.kind == "price" and max_price is None:
            max_price = span.value

    entities = Entities(
        region=region,
        genres=genres,
        exclude_genres=excluded,
        players=players,
        difficulty=difficulty,
        max_price=max_price,
    )
    intent, room_name = _intent(t, toks, spans, entities)
    if room_name:
        entities.room_name = room_name
    return MessageAnalysis(intent=intent, entities=entities)


def _intent(t: _Text, toks: list[Morpheme], spans: _Spans, entities: Entities) -> tuple[str, str | None]:
    compact = t.compact
    rec_cue = any(cue in compact for cue in _REC_CUES) or bool(_ENGLISH_REC.search(t.lower))
    topics = _topics(compact, t.lower)
    cue_start = topics[0][0] if topics and topics[0][0] < 10_000 else None
    has_quote = bool(_QUOTED.search(t.original))
    if (topics or has_quote or "테마" in compact) and not (rec_cue and not has_quote):
        strong = [
            topic
            for topic in topics
            if topic[1] != "reviews"
            or any(cue in compact for cue in TOPIC_CUES["reviews"] if cue not in _WEAK_TOPIC_CUES)
        ]
        name = _room_name(t, toks, spans, cue_start)
        if name and (strong or has_quote or "테마" in compact):
            return "room_inquiry", name
    general_cue = any(cue in compact for cue in _GENERAL_CUES) or bool(_ENGLISH_GENERAL.search(t.lower))
    has_entities = any(
        (
            entities.region,
            entities.genres,
            entities.exclude_genres,
            entities.players,
            entities.difficulty,
            entities.max_price,
        )
    )
    if general_cue and not rec_cue:
        return "general_chat", None
    if rec_cue or has_entities:
        return "room_recommendation", None
    return "general_chat", None
