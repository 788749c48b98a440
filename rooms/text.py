"""Korean text analysis shared by the index and the query side of the keyword search.

PostgreSQL's `simple` configuration only splits on spaces, so "강남에서" never matches "강남" and
"무서운" never matches "공포". kiwipiepy splits words into morphemes ("강남"+"에서", "무섭"+"은");
the vocabulary then adds the canonical region/genre for every alias ("무섭" → "공포",
"혜화" → "대학로"), on both sides, so a query and a room meet on the same terms.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from rooms.vocabulary import GENRES, REGIONS, canonical_genre, canonical_region

# Content-bearing parts of speech: nouns, foreign words, numbers with units, roots, verb/adjective stems.
_CONTENT_TAGS = {"NNG", "NNP", "SL", "SH", "SN", "XR", "VV", "VA", "VV-I", "VA-I", "VV-R", "VA-R", "MAG"}
# Words every room and every question share: they only add noise to ranking.
STOPWORDS = frozenset(
    {
        "방탈출",
        "테마",
        "추천",
        "카페",
        "곳",
        "하",
        "있",
        "되",
        "없",
        "같",
        "좋",
        "이",
        "그",
        "저",
        "것",
        "수",
        "등",
        "더",
        "잘",
        "좀",
        "많",
        "가",
        "오",
        "보",
        "주",
        "만하",
        "알리",
        "해주",
        "찾",
        "어떻",
        "어디",
        "뭐",
        "요",
        "안",
        "못",
        "점",
        "지점",
    }
)
# Words that turn the genre before them into "not this": "안 무서운", "공포 빼고", "공포 말고".
_NEGATORS_BEFORE = {"안", "못"}
_NEGATORS_AFTER = {"빼", "말", "제외", "않", "싫", "말고", "빼고"}
# Multi-character words kiwipiepy would split ("고인물" → 고+인물) and vocabulary names it must keep whole.
_USER_WORDS = (
    ("방탈출", "NNG"),
    ("고인물", "NNG"),
    ("방린이", "NNG"),
    ("방생아", "NNG"),
    ("노힌트", "NNG"),
    ("인테리어", "NNG"),
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。])\s+|\n+")
_KEEP = re.compile(r"[^\w]+")

_kiwi = None
_kiwi_lock = threading.Lock()
# Kiwi.tokenize is not documented as thread-safe and web workers run sync views in threads; a call
# takes well under a millisecond.
_tokenize_lock = threading.Lock()


def _get_kiwi():
    """The analyser loads its model (a few seconds, ~100 MB) once per process, on first use."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                # Without the multi-word dictionary: 186 MB less per process, and of the demo catalogue, the
                # search bench's queries and the chat tests' sentences only "미션 임파서블" is read
                # differently (two words instead of one).
                kiwi = Kiwi(load_multi_dict=False)
                for word, tag in _USER_WORDS:
                    kiwi.add_user_word(word, tag, 0)
                for table in (REGIONS, GENRES):
                    for canonical, aliases in table.items():
                        for name in (canonical, *aliases):
                            if re.fullmatch(r"[가-힣]{2,}", name):
                                kiwi.add_user_word(name, "NNP", 0)
                _kiwi = kiwi
    return _kiwi


def analyser_load() -> None:
    """Load the analyser now (a web process does it before serving, not on a user's first message)."""
    _get_kiwi()


@dataclass(frozen=True)
class _Token:
    form: str
    tag: str


@lru_cache(maxsize=100_000)
def _tokens(sentence: str) -> tuple[_Token, ...]:
    # Cached per sentence: catalogue descriptions share many sentences, and queries repeat.
    kiwi = _get_kiwi()
    with _tokenize_lock:
        tokens = kiwi.tokenize(sentence)
    return tuple(_Token(token.form, token.tag) for token in tokens)


@dataclass(frozen=True)
class Morpheme:
    """A morpheme with its part-of-speech tag and its offsets in the analysed text."""

    form: str
    tag: str
    start: int
    end: int


def morphemes_tagged(text: str) -> list[Morpheme]:
    """Every morpheme of `text` with its tag and offsets (the NLU reads Korean with the index's analyser)."""
    kiwi = _get_kiwi()
    with _tokenize_lock:  # one analyser, one way in
        analysed = kiwi.tokenize(text)
    return [Morpheme(form=t.form, tag=t.tag, start=t.start, end=t.start + t.len) for t in analysed]


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_SPLIT.split(text or "") if part.strip()]


def _clean(form: str) -> str:
    return _KEEP.sub("", form).lower()


def _all_tokens(text: str) -> list[_Token]:
    return [token for sentence in _sentences(text) for token in _tokens(sentence)]


def morphemes(text: str) -> list[str]:
    """Content morphemes of `text`, lower-cased: '강남에서 무서운 테마' → ['강남', '무섭', '테마']."""
    result = []
    for token in _all_tokens(text):
        if token.tag in _CONTENT_TAGS:
            form = _clean(token.form)
            if form:
                result.append(form)
    return result


def _canonical(term: str) -> str | None:
    return canonical_region(term) or canonical_genre(term)


def expand_terms(terms: list[str]) -> list[str]:
    """Each term plus the canonical region/genre it is an alias of ('무섭' → '무섭', '공포')."""
    result = []
    for term in terms:
        result.append(term)
        canonical = _canonical(term)
        if canonical and canonical.lower() != term:
            result.append(canonical.lower())
    return result


@dataclass(frozen=True)
class QueryAnalysis:
    terms: tuple[str, ...]
    negated_genres: tuple[str, ...]
    # One group per distinct word of the text: the word and the canonical name it stands for
    # (("무서운", "공포"), ("강남",)); the keyword leg ranks rooms by how many groups they match.
    groups: tuple[tuple[str, ...], ...] = ()
    regions: tuple[str, ...] = ()  # canonical regions the text names ("혜화" → "대학로")
    canonical_terms: tuple[str, ...] = ()  # canonical names the aliases stand for, in the vocabulary's spelling


def query_analyze(text: str) -> QueryAnalysis:
    """The search terms of a text, and the genres it negates ('안 무서운' → 공포).

    The same analysis serves both sides: a question's terms and a room's indexed terms. Negated
    genre words leave the terms, so "안 무서운 테마" in a description does not index "공포" and a
    question "공포 빼고" does not rank horror rooms up.
    """
    tokens = [token for token in _all_tokens(text) if _clean(token.form)]
    forms = [_clean(token.form) for token in tokens]
    terms: list[str] = []
    negated: list[str] = []
    for index, token in enumerate(tokens):
        form = forms[index]
        if token.tag not in _CONTENT_TAGS or form in STOPWORDS:
            continue
        genre = canonical_genre(form)
        before = forms[index - 1] if index > 0 else ""
        after = forms[index + 1 : index + 4]
        is_negated = before in _NEGATORS_BEFORE or any(word in _NEGATORS_AFTER for word in after[:3])
        if genre and is_negated:
            negated.append(genre)
            continue
        if form in _NEGATORS_AFTER:
            continue
        terms.append(form)
    expanded = tuple(dict.fromkeys(expand_terms(terms)))
    groups: dict[str, tuple[str, ...]] = {}
    for term in dict.fromkeys(terms):
        group = tuple(dict.fromkeys(expand_terms([term])))
        key = group[-1]  # words that stand for the same canonical name form one group
        groups[key] = tuple(dict.fromkeys((*groups.get(key, ()), *group)))
    regions = tuple(dict.fromkeys(region for region in (canonical_region(term) for term in terms) if region))
    canonical = tuple(dict.fromkeys(name for name in (_canonical(term) for term in terms) if name))
    return QueryAnalysis(
        terms=expanded,
        negated_genres=tuple(dict.fromkeys(negated)),
        groups=tuple(groups.values()),
        regions=regions,
        canonical_terms=canonical,
    )


def index_terms(text: str) -> list[str]:
    """Terms stored in `Room.search_vector` for a piece of room text."""
    return list(query_analyze(text).terms)
