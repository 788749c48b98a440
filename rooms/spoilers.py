"""The spoiler detector: which sentences of a review give a room away, and the review's flag in force.

It errs on the side of hiding: a sentence it flags is only hidden behind a click on the room page and left
out of the summary, while a spoiler it misses would ruin the room for a reader. What it looks for:

- the ending and the twist told (결말은, 알고 보니, 정체는, 반전은 …);
- the culprit (범인, 배후, 흑막 …);
- answers and solutions (정답, 비밀번호, 암호, 풀이 …) and where things are hidden (숨겨져 있);
- codes and numbers: a run of three or more digits that is not an amount, a time or a count
  (1-2-3-4, 0427; "20,000원", "60분", "4명" pass), and any digit next to 자물쇠/번호/비번;
- the room's own twist words (`Room.spoiler_terms`, kept by staff).

Saying that a room *has* a twist or padlocks ("반전이 대박", "자물쇠가 많아요") is not a spoiler.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rooms.models import Review, SpoilerSource


@dataclass(frozen=True)
class _Rule:
    reason: str
    pattern: re.Pattern


def _words(*words: str) -> str:
    return "|".join(re.escape(word).replace(r"\ ", r"\s*") for word in words)


_RULES: tuple[_Rule, ...] = (
    _Rule(
        "결말",
        re.compile(
            "(?:"
            + _words(
                "결말은",
                "결말에서",
                "엔딩은",
                "엔딩에서",
                "알고 보니",
                "알고보니",
                "반전은",
                "반전이라면",
                "정체는",
                "정체가",
                "마지막 방에",
                "마지막 방은",
                "마지막에 나오는",
                "죽은 사람",
                "살아 있었",
                "꿈이었",
                "the ending",
                "turns out",
                "twist is",
            )
            + ")",
            re.IGNORECASE,
        ),
    ),
    _Rule(
        "범인",
        re.compile("(?:" + _words("범인", "살인자", "배후", "흑막", "진짜 악역", "culprit", "killer") + ")", re.I),
    ),
    _Rule(
        "정답",
        re.compile(
            "(?:"
            + _words(
                "정답",
                "답은",
                "답이 ",
                "해답",
                "풀이",
                "푸는 법",
                "푸는 방법",
                "비밀번호",
                "비번",
                "암호는",
                "암호가",
                "코드는",
                "번호는",
                "숨겨져 있",
                "숨어 있",
                "answer",
                "password",
                "the code",
            )
            + ")",
            re.IGNORECASE,
        ),
    ),
    # Three or more digits in a row, or digits split by dashes/dots/spaces (1-2-3-4), that are not an amount,
    # a time, a count or a year of play: 20,000원 / 60분 / 4명 / 2인 / 3개 / 2024년 pass.
    _Rule(
        "숫자 코드",
        re.compile(
            r"(?<![\d,.])(?:\d[\s\-./·]?){2,}\d(?![\d,]|\s*(?:원|분|명|인|개|점|시|초|년|월|일|%|회|번째|층|살|km|m\b))"
        ),
    ),
    # A digit told next to a lock ("자물쇠는 7로 시작") or a code's length; a count of locks ("자물쇠가 3개") is not.
    _Rule(
        "숫자 코드",
        re.compile(
            r"(?:자물쇠|번호|비번|다이얼|금고)\D{0,8}\d(?!\d*\s*(?:개|번째|분|명|인|시간))|\d\s*자리\s*(?:번호|비번|숫자)"
        ),
    ),
)

_SENTENCE_END = re.compile(r"(?<=[.!?。！？~])\s+|(?<=[요죠])\s+(?=\S)|\n+")


def review_sentences(text: str) -> list[str]:
    """A review's sentences: split after . ! ? or a Korean sentence ending followed by a space, and at line ends."""
    return [part.strip() for part in _SENTENCE_END.split(text or "") if part and part.strip()]


def _normalized(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def sentence_spoiler_reasons(sentence: str, *, twist_words: Iterable[str] = ()) -> list[str]:
    """Why this sentence is a spoiler (empty when it is not)."""
    reasons = [rule.reason for rule in _RULES if rule.pattern.search(sentence)]
    compact = _normalized(sentence)
    for word in twist_words:
        word = _normalized(word)
        if word and word in compact:
            reasons.append("테마 반전 단어")
            break
    return list(dict.fromkeys(reasons))


def text_spoiler_reasons(text: str, *, twist_words: Sequence[str] = ()) -> list[str]:
    """Why this text is a spoiler: the reasons of all its sentences, each once (empty when it is not).

    The whole text is checked too, so a code split across a sentence end is still found.
    """
    reasons: list[str] = []
    for sentence in [*review_sentences(text), text or ""]:
        reasons.extend(sentence_spoiler_reasons(sentence, twist_words=twist_words))
    return list(dict.fromkeys(reasons))


def is_spoiler_sentence(sentence: str, *, twist_words: Sequence[str] = ()) -> bool:
    return bool(sentence_spoiler_reasons(sentence, twist_words=twist_words))


def review_spoiler_resolve(review: Review) -> None:
    """Set `is_spoiler` and `spoiler_source` from the three inputs (not saved).

    Precedence: staff, then the author's "스포 있음", then the detector. The detector's verdict never
    replaces a staff decision; an author cannot un-flag what the detector or staff found.
    """
    if review.staff_spoiler is not None:
        review.is_spoiler, review.spoiler_source = review.staff_spoiler, SpoilerSource.STAFF
    elif review.author_spoiler:
        review.is_spoiler, review.spoiler_source = True, SpoilerSource.AUTHOR
    else:
        review.is_spoiler, review.spoiler_source = review.detector_spoiler, SpoilerSource.DETECTOR


def review_spoiler_detect(review: Review, *, twist_words: Sequence[str]) -> None:
    """Run the detector on the review's text and resolve its flag (not saved)."""
    review.spoiler_reasons = text_spoiler_reasons(review.text, twist_words=twist_words)
    review.detector_spoiler = bool(review.spoiler_reasons)
    review_spoiler_resolve(review)
