"""The offline NLU: no key, no network, the same `MessageAnalysis` an LLM would give.

How it reads a message:
- Matching happens on a *compact* copy (lower case, no whitespace), so "홍대에서둘이" and "홍대 에서 둘 이" read the
  same; every match is a span in that copy, and a span once taken cannot be taken again. Phrases are taken
  before single words, so "안 무서운" is a fear level before "무서운" could be a genre, "두 명 더" a change of party
  size before "두 명" could be one, and "무서워요?" a question before "무서" could be anything else.
- Kiwi morphemes decide what plain substrings cannot: whether "넷" is the number (고인물 넷) or part of a word
  (인터넷), and which morphemes of a candidate room name are content rather than particles.
- Regions and genres come from the one vocabulary (`rooms.vocabulary`); ASCII aliases match whole English words.
- Negation is read around each genre or difficulty: a cue after it ("공포 말고", "무서운 건 싫어") up to the next
  entity, or before it ("노공포", "no horror").
- The intent follows from what was found: a question cue with a room name or a reference ("두 번째 거") is an
  inquiry, and so is a bare question ("가격은?"); conditions or a request make a recommendation; the rest is chat.
  Words inside a room name ("탐정 사무소 살인사건") are the name's, not conditions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from chat.nlu.lexicon import (
    ACTIVITY_ENGLISH,
    ACTIVITY_PHRASES,
    ADJUST_ENGLISH,
    ADJUST_PHRASES,
    BARE_NUMBERS,
    DELTA_ENGLISH,
    DELTA_MINUS,
    DELTA_PLUS,
    DIFFICULTY_WORDS,
    EN_NUMBER,
    EN_ORDINALS,
    ENGLISH_FUNCTION,
    ENGLISH_GENERAL,
    ENGLISH_NAME_AFTER,
    ENGLISH_NEGATION_BEFORE,
    ENGLISH_NUMBERS,
    ENGLISH_REC,
    ENGLISH_STRONG_REC,
    FEAR_ENGLISH,
    FEAR_PHRASES,
    GENERAL_CUES,
    KO_NUMBER,
    NAME_FILLER_TAGS,
    NAME_STOP,
    NAME_TRAILING_FORMS,
    NAME_TRAILING_TAGS,
    NATIVE_NUMBERS,
    NEGATION_AFTER,
    NEGATION_BEFORE,
    NEGATION_WINDOW,
    NOT_NAMES,
    OF_US,
    OPPOSITE_DIFFICULTY,
    ORDINALS,
    QUESTION_WORDS,
    QUESTION_WORDS_ENGLISH,
    QUOTED,
    REC_CUES,
    REFERENCE_ENGLISH,
    REFERENCE_IT,
    REFERENCE_IT_ENGLISH,
    REFERENCE_LAST,
    REFERENCE_NUMBER,
    REFERENCE_ORDINAL,
    STRONG_REC_CUES,
    TOPIC_CUES,
    TOPIC_ENGLISH,
    WE_ARE,
    WEAK_TOPICS,
)
from chat.nlu.schema import Entities, MessageAnalysis
from chat.nlu.when import SEOUL, when_parse, when_spans
from rooms.text import Morpheme, morphemes_tagged
from rooms.vocabulary import GENRES, REGIONS

_HANGUL = re.compile(r"[\uac00-\ud7a3]")


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


# NFKC turns the jamo people type alone ("ㅋㅋ", "ㄱㅅ", "ㅊㅊ") into combining jamo; they are turned back, so that
# cue lists can be written as typed.
_JAMO_BACK = {
    ord(unicodedata.normalize("NFKC", chr(code))): chr(code)
    for code in range(0x3131, 0x318F)
    if len(unicodedata.normalize("NFKC", chr(code))) == 1 and unicodedata.normalize("NFKC", chr(code)) != chr(code)
}


def normalise(text: str) -> str:
    """NFKC (full-width letters, compatibility forms) that keeps lone jamo as typed."""
    return unicodedata.normalize("NFKC", text or "").translate(_JAMO_BACK)


def _prepare(text: str) -> _Text:
    original = normalise(text).strip()
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
                    words = r"\s+".join(re.escape(part) for part in name.lower().split())
                    pattern = re.compile(r"(?<![a-z0-9])" + words + r"(?:s|es)?(?![a-z0-9])")  # "thrillers"
                    ascii_.append((pattern, kind, canonical))
    hangul.sort(key=lambda item: (-len(item[0]), not item[3]))
    ascii_.sort(key=lambda item: -len(item[0].pattern))
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

    def of(self, kind: str) -> list[_Span]:
        return [span for span in self.sorted() if span.kind == kind]


def _orig_to_compact_span(t: _Text, start: int, end: int) -> tuple[int, int]:
    return t.to_compact[start], t.to_compact[end - 1] + 1 if end > start else t.to_compact[start]


def _take_compact(t: _Text, spans: _Spans, pattern: str | re.Pattern, kind: str, value: object) -> None:
    for match in re.finditer(pattern, t.compact):
        spans.take(_Span(match.start(), match.end(), kind, value))


def _take_english(t: _Text, spans: _Spans, pattern: str | re.Pattern, kind: str, value: object) -> None:
    for match in re.finditer(pattern, t.lower):
        start, end = _orig_to_compact_span(t, match.start(), match.end())
        spans.take(_Span(start, end, kind, value))


def _number(word: str) -> int:
    if word.isdigit():
        return int(word)
    return NATIVE_NUMBERS.get(word) or ENGLISH_NUMBERS[word]


def _price_value(amount: str, unit_thousands: str | None) -> int:
    value = float(amount.replace(",", "")) * 10_000
    if unit_thousands:
        value += int(unit_thousands) * 1_000
    return int(value)


def _find_prices(t: _Text, spans: _Spans) -> None:
    for match in re.finditer(r"(\d+(?:\.\d+)?)만(?:(\d)천)?(?!원?대)원?", t.compact):
        spans.take(_Span(match.start(), match.end(), "price", _price_value(match.group(1), match.group(2))))
    for match in re.finditer(r"(\d{1,3}(?:,\d{3})+|\d{4,7})(?:원|won|krw)", t.compact):
        spans.take(_Span(match.start(), match.end(), "price", int(match.group(1).replace(",", ""))))
    for match in re.finditer(r"(\d{1,2})천원", t.compact):
        spans.take(_Span(match.start(), match.end(), "price", int(match.group(1)) * 1_000))
    english = (
        r"\b(?:under|below|less than|max|up to|within|cheaper than)\s*(?:₩|krw\s*)?([\d,]{4,9}|\d{1,3}k)\s*(?:won|krw)?"
    )
    for match in re.finditer(english, t.lower):
        amount = match.group(1).replace(",", "")
        value = int(amount[:-1]) * 1_000 if amount.endswith("k") else int(amount)
        start, end = _orig_to_compact_span(t, match.start(), match.end())
        spans.take(_Span(start, end, "price", value))


def _find_changes(t: _Text, spans: _Spans) -> None:
    """Relative changes and fear/activity levels: phrases that contain words read otherwise on their own."""
    for match in DELTA_MINUS.finditer(t.compact):
        spans.take(_Span(match.start(), match.end(), "delta", -_number(match.group(1))))
    for match in DELTA_PLUS.finditer(t.compact):
        spans.take(_Span(match.start(), match.end(), "delta", _number(match.group(1))))
    for sign, pattern in DELTA_ENGLISH:
        for match in pattern.finditer(t.lower):
            start, end = _orig_to_compact_span(t, match.start(), match.end())
            spans.take(_Span(start, end, "delta", sign * _number(match.group(1))))
    for value, pattern in FEAR_PHRASES:
        _take_compact(t, spans, pattern, "fear", value)
    for value, pattern in FEAR_ENGLISH:
        _take_english(t, spans, pattern, "fear", value)
    for value, pattern in ADJUST_PHRASES:
        _take_compact(t, spans, pattern, "adjust", value)
    for value, pattern in ADJUST_ENGLISH:
        _take_english(t, spans, pattern, "adjust", value)
    for value, pattern in ACTIVITY_PHRASES:
        _take_compact(t, spans, pattern, "activity", value)
    for value, pattern in ACTIVITY_ENGLISH:
        _take_english(t, spans, pattern, "activity", value)


def _find_references(t: _Text, spans: _Spans) -> None:
    for match in REFERENCE_ORDINAL.finditer(t.compact):
        spans.take(_Span(match.start(), match.end(), "ref", str(ORDINALS[match.group(1) or match.group(2)])))
    for match in REFERENCE_NUMBER.finditer(t.compact):
        spans.take(_Span(match.start(), match.end(), "ref", match.group(1)))
    _take_compact(t, spans, REFERENCE_LAST, "ref", "last")
    _take_compact(t, spans, REFERENCE_IT, "ref", "it")
    for match in REFERENCE_ENGLISH.finditer(t.lower):
        word = next(group for group in match.groups() if group)
        value = EN_ORDINALS.get(word, word)
        start, end = _orig_to_compact_span(t, match.start(), match.end())
        spans.take(_Span(start, end, "ref", str(value)))
    _take_english(t, spans, REFERENCE_IT_ENGLISH, "ref", "it")


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


# "한 명이 쫄보라", "두 명은 처음이에요": some members of the party, not its size.
_MEMBERS = re.compile(
    KO_NUMBER + r"(?:명|사람)(?:이|은|는|도|만|가)(?=쫄|겁|무서|초보|방린이|처음|고인물|숙련|심장|못|안와|빠)"
)


def _find_players(t: _Text, toks: list[Morpheme], spans: _Spans) -> None:
    price_starts = {span.start for span in spans.items if span.kind == "price"}
    for match in _MEMBERS.finditer(t.compact):
        spans.take(_Span(match.start(), match.end(), "members", _number(match.group(1))))
    # A stray jamo between the number and its counter is a slip of the thumb ("3ㅁ명").
    counters = r"(\d{1,2})[\u1100-\u11ff\u3131-\u318e]?(명|멍|인(?!당)|people|persons|players|pax|ppl|person)"
    for match in re.finditer(counters, t.compact):
        if match.group(2) == "인" and match.group(1) == "1" and match.end() in price_starts:
            continue  # "1인 2만원" is a price per person, not a party of one
        spans.take(_Span(match.start(), match.end(), "players", int(match.group(1))))
    pairs = r"혼자서?|솔로|나홀로|커플|연인끼리|연인|여친이랑|남친이랑|여자친구랑|남자친구랑"
    for match in re.finditer(pairs, t.compact):
        spans.take(_Span(match.start(), match.end(), "players", 1 if match.group(0)[0] in "혼솔나" else 2))

    numerals = _number_token_starts(toks, t)
    native = "|".join(sorted(NATIVE_NUMBERS, key=len, reverse=True))
    span_ends = {span.end for span in spans.items}
    for match in re.finditer(rf"({native})(?:명|사람|이서|이)", t.compact):
        word = match.group(1)
        # A number word starts a word (or follows a condition: "고인물넷이"), or Kiwi reads it as a numeral;
        # "인터넷이" has 넷 inside a noun.
        starts_word = _starts_word(t, match.start()) or match.start() in span_ends
        if (match.start() in numerals or starts_word) and not (
            word in ("한", "하나") and match.group(0).endswith("이")
        ):
            spans.take(_Span(match.start(), match.end(), "players", NATIVE_NUMBERS[word]))
    for start, token in numerals.items():
        if token.tag != "MM" and token.form in BARE_NUMBERS:
            spans.take(_Span(start, start + len(token.form), "players", BARE_NUMBERS[token.form]))
    bare = "|".join(BARE_NUMBERS)
    for match in re.finditer(rf"(?<![가-힣])({bare})(?:이서|이요|이에요|이|요)?(?![가-힣])", t.lower):
        start, end = _orig_to_compact_span(t, match.start(), match.end())
        spans.take(_Span(start, end, "players", BARE_NUMBERS[match.group(1)]))

    patterns = [
        (rf"\bfor\s+(?:a\s+group\s+of\s+)?{EN_NUMBER}\b(?!\s*(?:won|krw|k\b|,\d))", 1),
        (rf"\b{EN_NUMBER}\s+(?:people|persons|players|pax|ppl|friends|adults|person)\b", 1),
        (WE_ARE, 1),
        (OF_US, 1),
    ]
    for pattern, group in patterns:
        for match in re.finditer(pattern, t.lower):
            start, end = _orig_to_compact_span(t, match.start(), match.end())
            spans.take(_Span(start, end, "players", _number(match.group(group))))
    for match in re.finditer(r"\b(alone|solo|by myself|couple|date)\b", t.lower):
        start, end = _orig_to_compact_span(t, match.start(), match.end())
        spans.take(_Span(start, end, "players", 1 if match.group(1) in ("alone", "solo", "by myself") else 2))


def _starts_word(t: _Text, compact_start: int) -> bool:
    if compact_start == 0:
        return True
    original = t.to_original[compact_start]
    previous = t.lower[original - 1]
    return previous.isspace() or not (_HANGUL.match(previous) or previous.isalnum())


def _find_question_words(t: _Text, spans: _Spans) -> None:
    _take_compact(t, spans, QUESTION_WORDS, "ask", None)
    _take_english(t, spans, QUESTION_WORDS_ENGLISH, "ask", None)


def _find_vocabulary(t: _Text, spans: _Spans) -> None:
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


# A region typed with one slip ("강나", "홍데"): a last consonant dropped or ㅐ/ㅔ swapped, in a word of its own,
# beside other conditions. Ordinary words one slip away from a region are not read as one.
_TYPO_NOT_REGIONS = frozenset({"건데", "잠시", "대기", "부상", "소원", "신천", "강나루", "성서", "노은", "광고"})
_PARTICLES = re.compile(r"(?:에서|에|으로|로|은|는|이|가|도|쪽|근처)$")


def _syllables(word: str) -> list[tuple[int, int, int]] | None:
    out = []
    for char in word:
        code = ord(char) - 0xAC00
        if not 0 <= code <= 11171:
            return None
        out.append((code // 588, (code % 588) // 28, code % 28))
    return out


def _one_slip(typed: str, region: str) -> bool:
    a, b = _syllables(typed), _syllables(region)
    if a is None or b is None or len(a) != len(b) or a == b:
        return False
    differ = [index for index in range(len(a)) if a[index] != b[index]]
    if len(differ) != 1:
        return False
    (i,) = differ
    (lead_a, vowel_a, tail_a), (lead_b, vowel_b, tail_b) = a[i], b[i]
    dropped_tail = i == len(a) - 1 and lead_a == lead_b and vowel_a == vowel_b and tail_a == 0 and tail_b != 0
    ae_e = lead_a == lead_b and tail_a == tail_b and {vowel_a, vowel_b} == {1, 5}  # ㅐ ↔ ㅔ
    return dropped_tail or ae_e


def _find_region_typos(t: _Text, spans: _Spans) -> None:
    if any(span.kind == "region" for span in spans.items):
        return
    others = [span for span in spans.items if span.kind in ("genre", "players", "difficulty", "fear", "price")]
    if not others:
        return
    for match in re.finditer(r"[\uac00-\ud7a3]+", t.lower):
        word = _PARTICLES.sub("", match.group(0)) or match.group(0)
        if word in _TYPO_NOT_REGIONS or len(word) < 2:
            continue
        for region in REGIONS:
            if _one_slip(word, region):
                start, _ = _orig_to_compact_span(t, match.start(), match.end())
                spans.take(_Span(start, start + len(word), "region", region))
                return


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
    # "추리 아니면 미스터리" offers a choice ("or") and rules nothing out; "공포만 아니면" does.
    window = re.sub(r"(?<!만)아니면", "", t.compact[span.end : min(next_start, span.end + NEGATION_WINDOW)])
    if any(cue in window for cue in NEGATION_AFTER):
        return True
    before = t.compact[max(0, span.start - 2) : span.start]
    if any(before.endswith(cue) for cue in NEGATION_BEFORE):
        return True
    original_start = t.to_original[span.start] if span.start < len(t.to_original) else len(t.lower)
    return bool(ENGLISH_NEGATION_BEFORE.search(t.lower[:original_start]))


def _topics(t: _Text) -> list[tuple[int, str, bool]]:
    """(compact offset, topic, weak) of every question cue, in order; English cues carry their offset too."""
    found: dict[str, tuple[int, bool]] = {}
    for topic, cues in TOPIC_CUES.items():
        for cue in cues:
            for match in re.finditer(cue, t.compact):
                weak = any(match.group(0).startswith(word) for word in WEAK_TOPICS)
                previous = found.get(topic)
                if previous is None or (match.start(), weak) < previous:
                    found[topic] = (match.start(), weak)
    for topic, pattern in TOPIC_ENGLISH.items():
        match = re.search(pattern, t.lower)
        if match and topic not in found:
            found[topic] = (_orig_to_compact_span(t, match.start(), match.end())[0], False)
    return sorted((start, topic, weak) for topic, (start, weak) in found.items())


def inquiry_topics(text: str) -> list[str]:
    """The facts a room inquiry asks about, in the order asked (empty: give an overview)."""
    return [topic for _, topic, _ in _topics(_prepare(text))]


RESET_CUES = ("처음부터", "초기화", "리셋", "다시시작", "새로시작", "조건초기화", "reset", "startover")


def wants_reset(text: str) -> bool:
    """ "처음부터 다시", "start over": forget every condition."""
    compact = "".join(unicodedata.normalize("NFKC", text or "").split()).lower()
    return any(cue in compact for cue in RESET_CUES)


def when_cleared(text: str) -> bool:
    """ "시간 상관없어", "아무 때나", "any time": the day and time no longer matter."""
    t = _prepare(text)
    pattern = dict(ADJUST_PHRASES)["drop_when"]
    english = dict(ADJUST_ENGLISH)["drop_when"]
    return bool(re.search(pattern, t.compact) or re.search(english, t.lower))


def text_language(text: str, *, room_name: str | None = None) -> str:
    """ "en" when the message is written in English (a room name it quotes does not count), else "ko"."""
    body = unicodedata.normalize("NFKC", text or "")
    if room_name:
        body = body.replace(room_name, " ")
    latin = len(re.findall(r"(?<![a-zA-Z])[a-zA-Z]{2,}(?![a-zA-Z\uac00-\ud7a3])", body))
    hangul = len(re.findall(r"[\uac00-\ud7a3ㄱ-ㅎㅏ-ㅣ]+", body))
    return "en" if latin > hangul else "ko"


def _room_name(
    t: _Text, toks: list[Morpheme], spans: _Spans, cue_start: int | None
) -> tuple[str | None, tuple[int, int] | None]:
    """The room a question is about, as written, and its compact span (None when no name is said)."""
    quoted = QUOTED.search(t.original)
    if quoted:
        start, end = _orig_to_compact_span(t, quoted.start(1), quoted.end(1))
        return quoted.group(1).strip() or None, (start, end)
    english = ENGLISH_NAME_AFTER.search(t.lower)
    if english and (cue_start is None or t.to_compact[english.start()] <= cue_start):
        name = t.original[english.start(1) : english.end(1)].strip(" ?!.,~")
        name = re.sub(r"^(?:the|a)\s+|\s+(?:room|theme)$", "", name, flags=re.IGNORECASE).strip()
        start, end = _orig_to_compact_span(t, english.start(1), english.end(1))
        if name and not _only_conditions(t, spans, start, end) and name.lower() not in ("it", "that", "this"):
            return name, (start, end)
    theme_at = t.original.find("테마")
    end = None
    if theme_at > 0 and (cue_start is None or t.to_compact[theme_at] <= cue_start):
        end = theme_at
    elif cue_start is not None and cue_start > 0:
        end = t.to_original[cue_start]
    if not end:
        return None, None
    window = [token for token in toks if token.end <= end]
    times = [span for span in spans.items if span.kind == "when"]

    def is_time(token: Morpheme) -> bool:
        """ "토요일 7시에 검은 숲": the day and time are no part of the name; a part of the day alone is ("폐교의
        마지막 밤"), unless a day or a time is said right beside it ("토요일 저녁에")."""
        start, stop = _orig_to_compact_span(t, token.start, token.end)
        for span in times:
            if span.start <= start and stop <= span.end:
                if span.value != "part":
                    return True
                return any(
                    other is not span and (other.start == span.end or other.end == span.start) for other in times
                )
        return False

    # Trim particles and fillers at both ends: "혹시 검은숲은" → "검은숲"; a sequel number stays ("대작전 2").
    while window and (
        window[-1].tag.startswith(NAME_TRAILING_TAGS)
        or window[-1].tag in ("SF", "SP", "SS", "SSO", "SSC", "SE", "SO", "SW")
        or window[-1].form.lower() in NAME_TRAILING_FORMS
        or is_time(window[-1])
    ):
        window.pop()
    while window and (
        window[0].tag in NAME_FILLER_TAGS
        or window[0].form.lower() in NAME_STOP
        or is_time(window[0])
        or (times and window[0].tag.startswith("J"))
    ):
        window.pop(0)
    if not window:
        return None, None
    start, stop = _orig_to_compact_span(t, window[0].start, window[-1].end)
    if _only_conditions(t, spans, start, stop):
        return None, None
    name = t.original[window[0].start : window[-1].end].strip(" ?!.,~")
    proper = name[:1].isupper() or name[:1].isdigit()
    if not _HANGUL.search(name) and (not proper or ENGLISH_FUNCTION.match(name)):
        return None, None  # English before a question is the question's own words ("how do I book it?")
    compact_name = "".join(name.split())
    if any(compact_name.startswith(word) for word in NOT_NAMES) and len(compact_name) <= 6:
        return None, None
    return (name or None), (start, stop)


def _only_conditions(t: _Text, spans: _Spans, start: int, stop: int) -> bool:
    """Whether the text between start and stop is made of conditions, references and filler only."""
    covered = [False] * (stop - start)
    for span in spans.items:
        for index in range(max(span.start, start), min(span.end, stop)):
            covered[index - start] = True
    rest = "".join(char for index, char in enumerate(t.compact[start:stop]) if not covered[index])
    rest = re.sub(r"[^\w]|[\d_]", "", rest)
    fillers = NAME_STOP | {"이랑", "랑", "하고", "에서", "으로", "로", "는", "은", "이", "가", "도"}
    for word in sorted(fillers, key=len, reverse=True):
        rest = rest.replace(word, "")
    return len(rest) < 2


def _read(text: str) -> tuple[_Text, list[Morpheme], _Spans]:
    """The message, its morphemes and every condition, change, reference and question word found in it."""
    t = _prepare(text)
    toks = morphemes_tagged(t.original)
    spans = _Spans()
    # Dates and times first: "다섯 시" is a time, not a party of five; "12/5" no score.
    for start, end, kind in when_spans(t.original, today=datetime.now(SEOUL).date()):
        spans.take(_Span(start, end, "when", kind))
    _find_prices(t, spans)
    _find_changes(t, spans)
    _find_references(t, spans)
    _find_players(t, toks, spans)
    _find_question_words(t, spans)
    _find_vocabulary(t, spans)
    _find_region_typos(t, spans)
    return t, toks, spans


# Words of a request that say nothing about which room ("추천", "재밌는", "근처", "토요일"): not searched for.
_SEARCH_STOP = frozenset(
    {
        *NAME_STOP,
        *("추천", "방탈출", "꺼", "뭐", "머", "어디", "없", "되", "가", "오", "보", "주", "재밌", "재미있", "존잼"),
        *("괜찮", "인기", "평점", "높", "낮", "후기", "분", "명", "인", "개", "단체", "회사", "동기", "친구", "친구들"),
        *("가족", "애들", "여친", "남친", "이번", "주말", "토요일", "일요일", "저녁", "오후", "오늘", "내일", "시"),
        *("근처", "역", "부근", "쪽", "아무", "싶", "알리", "찾", "할만", "갈만", "정도", "걸로", "거로", "게임", "많"),
        *("please", "pls", "rooms", "escape", "for", "in", "with", "and", "we", "are", "me", "some", "any", "good"),
        *("recommend", "something", "want", "looking", "people", "ppl", "near", "best", "rated", "one", "ones"),
    }
)


def search_words(text: str) -> str:
    """The words of a request that are no condition ("스토리 좋은 감성" → "스토리"): what the search ranks by.

    Empty when the message is only conditions ("강남 공포 4명"): the rooms that meet them are ranked by rating.
    """
    t, toks, spans = _read(text)
    words = []
    for token in toks:
        if token.tag not in ("NNG", "NNP", "XR", "VA", "SL", "VV") or token.form.lower() in _SEARCH_STOP:
            continue
        start, stop = _orig_to_compact_span(t, token.start, token.end)
        if not spans.free(start, stop) or (token.tag == "VV" and len(token.form) < 2):
            continue
        words.append(t.original[token.start : token.end])
    return " ".join(words)


def local_analyze(text: str, *, now: datetime | None = None) -> MessageAnalysis:
    """Intent and entities of one message; `now` (default: the clock) is what relative days are read against."""
    t, toks, spans = _read(text)
    values = _values(t, spans)
    topics = _topics(t)
    intent, name, name_span = _intent(t, toks, spans, values, topics)
    if intent == "room_inquiry" and name_span is not None:
        # Words inside the room's name are the name's ("탐정 사무소 살인사건" asks for no 추리 room).
        inside = [span for span in spans.items if name_span[0] <= span.start and span.end <= name_span[1]]
        for span in inside:
            spans.items.remove(span)
        values = _values(t, spans)
    entities = Entities(
        region=values["region"],
        genres=values["genres"],
        exclude_genres=values["exclude_genres"],
        players=values["players"],
        difficulty=values["difficulty"],
        max_price=values["max_price"],
        fear=values["fear"],
        activity=values["activity"],
        players_delta=values["players_delta"],
        adjust=values["adjust"],
        room_name=name,
        reference=values["reference"] if intent == "room_inquiry" else None,
        topics=[topic for _, topic, _ in topics] if intent == "room_inquiry" else [],
        # Small talk ("오늘 날씨 어때") asks for no rooms, so for no time either.
        when=when_parse(_without(t, name_span), now=now) if values["when"] and intent != "general_chat" else None,
    )
    return MessageAnalysis(intent=intent, entities=entities)


def _without(t: _Text, name_span: tuple[int, int] | None) -> str:
    """The message without the room name it asks about: a name's words ("마지막 밤") are no time."""
    if not name_span or name_span[1] <= name_span[0]:
        return t.original
    start, stop = t.to_original[name_span[0]], t.to_original[name_span[1] - 1] + 1
    return f"{t.original[:start]} {t.original[stop:]}"


def _values(t: _Text, spans: _Spans) -> dict:
    ordered = spans.sorted()
    values: dict = {
        "region": None,
        "genres": [],
        "exclude_genres": [],
        "players": None,
        "difficulty": None,
        "max_price": None,
        "fear": None,
        "activity": None,
        "players_delta": None,
        "adjust": [],
        "reference": None,
        "when": False,
    }
    absolute: list[_Span] = []
    deltas: list[_Span] = []
    for index, span in enumerate(ordered):
        next_start = ordered[index + 1].start if index + 1 < len(ordered) else len(t.compact)
        if span.kind == "region" and values["region"] is None:
            if not _is_negated(t, span, next_start):  # "강남 말고 잠실"
                values["region"] = span.value
        elif span.kind == "genre":
            negated = span.negated or _is_negated(t, span, next_start)
            target = values["exclude_genres"] if negated else values["genres"]
            if span.value not in target:
                target.append(span.value)
        elif span.kind == "difficulty":  # the last word holds: "너무 어려운데 쉬운 걸로"
            negated = _is_negated(t, span, next_start)
            values["difficulty"] = OPPOSITE_DIFFICULTY[span.value] if negated else span.value
        elif span.kind == "players":
            absolute.append(span)
        elif span.kind == "delta":
            deltas.append(span)
        elif span.kind == "price" and values["max_price"] is None:
            values["max_price"] = span.value
        elif span.kind == "fear" and values["fear"] is None:
            values["fear"] = span.value
        elif span.kind == "activity" and values["activity"] is None:
            values["activity"] = span.value
        elif span.kind == "adjust" and span.value not in values["adjust"]:
            values["adjust"].append(span.value)
        elif span.kind == "ref" and values["reference"] is None:
            values["reference"] = span.value
        elif span.kind == "when":
            values["when"] = True
    if absolute:
        # The last size said is the one that holds ("3명에서 4명으로", "쫄보 1명 포함 4명"); a change said after it
        # adds to it ("4명인데 한 명 더"), one said before it led to it ("한 명 더 와서 다섯 명").
        last = absolute[-1]
        values["players"] = last.value
        later = [span.value for span in deltas if span.start > last.start]
        if later:
            values["players"] = max(1, last.value + sum(later))
    elif deltas:
        values["players_delta"] = sum(span.value for span in deltas)
    if values["fear"] == "low" and "공포" not in values["exclude_genres"]:
        values["exclude_genres"].append("공포")  # "안 무서운" wants no horror room either
    if values["fear"] == "high" and "공포" not in values["genres"] and "공포" not in values["exclude_genres"]:
        values["genres"].append("공포")
    if values["region"] and "other_region" in values["adjust"]:
        values["adjust"].remove("other_region")  # "지역 바꿔서 건대로" names the region it changes to
    if values["region"] and "any_region" in values["adjust"]:
        values["adjust"].remove("any_region")
    return values


def _intent(
    t: _Text, toks: list[Morpheme], spans: _Spans, values: dict, topics: list[tuple[int, str, bool]]
) -> tuple[str, str | None, tuple[int, int] | None]:
    compact = t.compact
    has_quote = bool(QUOTED.search(t.original))
    asked = {topic for _, topic, _ in topics}
    # A value that answers the question asked is part of it ("혼자도 돼?" asks about players; it sets none).
    answering = {"players": "players", "difficulty": "difficulty", "fear": "fear", "activity": "activity"}
    conditions = [
        key
        for key in (
            "region",
            "genres",
            "exclude_genres",
            "players",
            "difficulty",
            "max_price",
            "fear",
            "activity",
            "when",
        )
        if values[key] and answering.get(key) not in asked and not (key == "exclude_genres" and "fear" in asked)
    ]
    changes = values["players_delta"] or values["adjust"] or wants_reset(t.original)
    rec_cue = any(cue in compact for cue in REC_CUES) or bool(ENGLISH_REC.search(t.lower))
    asks_for_rooms = any(cue in compact for cue in STRONG_REC_CUES) or bool(ENGLISH_STRONG_REC.search(t.lower))
    # Cue words inside a condition are the condition's ("노힌트로 깰만한" asks for no hint about hints).
    free = "".join(" " if not spans.free(index, index + 1) else char for index, char in enumerate(compact))
    general_cue = any(cue in free for cue in GENERAL_CUES) or bool(ENGLISH_GENERAL.search(t.lower))
    reference = values["reference"]
    strong_topics = [topic for topic in topics if not topic[2]]

    # "X 테마" names a room only when nothing else in the message asks for rooms ("강남 추리 테마 있어?" does).
    theme_named = "테마" in compact and not topics and not rec_cue and not conditions
    if topics or has_quote or theme_named:
        cue_start = topics[0][0] if topics else None
        name, name_span = _room_name(t, toks, spans, cue_start)
        if name and not changes and (strong_topics or has_quote or "테마" in compact or not _looks_general(name)):
            return "room_inquiry", name, name_span
        if reference and topics and not changes:
            return "room_inquiry", None, None
        if reference and reference != "it" and not changes and not conditions:
            return "room_inquiry", None, None  # "the second one?"
        if strong_topics and not conditions and not changes and not (general_cue and not topics):
            return "room_inquiry", None, None  # a bare question about the room talked about: "가격은?"
    elif reference and reference != "it" and not changes and not conditions and not rec_cue:
        return "room_inquiry", None, None
    if general_cue and not changes and not (rec_cue and conditions) and not asks_for_rooms:
        return "general_chat", None, None
    if rec_cue or conditions or changes:
        return "room_recommendation", None, None
    return "general_chat", None, None


def _looks_general(name: str) -> bool:
    compact = "".join(name.split())
    return any(word in compact for word in NOT_NAMES)
