"""Review summaries: what people liked, what they did not, the consensus on difficulty, fear and activity, and
who the room suits, made from a room's non-spoiler reviews only.

The extractive summary (always built, and the one used offline) picks review sentences that the spoiler
detector passes and that no spoiler-flagged review of the room contains. A writer registered by a higher app
(chat registers its LangChain writer in `ChatConfig.ready`, since rooms sits below chat) may rewrite the liked,
disliked and suits parts; every sentence it returns is checked again, and one that fails is dropped (the
extractive part stands in when none is left). Rebuilt by `rooms.tasks.rooms_summaries_build_dirty_task`
(beat) for rooms whose reviews changed (`Room.review_summary_dirty`, set by the review services).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from rooms.models import Review, Room
from rooms.spoilers import is_spoiler_sentence, review_sentences

logger = logging.getLogger(__name__)

SENTENCE_MIN_CHARS = 6
SENTENCE_MAX_CHARS = 90
SECTION_SENTENCES = 3

# What a sentence is about: the first aspect it names is its topic (one sentence per topic in a section).
ASPECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("인테리어", ("인테리어", "세트", "소품", "사진")),
    ("연출", ("연출", "몰입", "효과", "분위기")),
    ("스토리", ("스토리", "이야기", "세계관")),
    ("장치", ("장치", "기계")),
    ("문제", ("문제", "퍼즐", "흐름", "자물쇠")),
    ("직원", ("직원", "안내", "응대", "사장님")),
    ("힌트", ("힌트",)),
    ("관리", ("관리", "고장", "청결", "작동")),
    ("공포", ("무서", "무섭", "공포", "소름")),
    ("활동", ("움직", "뛰", "땀", "활동")),
    ("난이도", ("난이도", "어려", "어렵", "쉬웠", "쉬워", "쉽")),
    ("가격", ("가격", "비싸", "가성비")),
)
_NEGATIVE = (
    "아쉬",
    "아쉽",
    "별로",
    "실망",
    "지루",
    "불편",
    "부족",
    "비싸",
    "억지",
    "불친절",
    "고장",
    "작동하지 않",
    "약했",
    "평범",
    "끊겼",
    "끊기",
    "힘들",
    "노잼",
    "안 맞",
    "못 했",
    "집중을 못",
    "너무 쉬워",
    "너무 어려",
)
_POSITIVE = (
    "좋",
    "최고",
    "재밌",
    "재미있",
    "만족",
    "추천",
    "감탄",
    "몰입",
    "예쁘",
    "예뻐",
    "신기",
    "친절",
    "쾌감",
    "꿀잼",
    "훌륭",
    "대박",
    "인생 테마",
    "자연스러",
    "신났",
    "적응했",
)

# Consensus axes: (label when most say "high", label when most say "low"), and the words for each side.
# The "low" side is matched (and cut out) first, so "안 무서워요" is not also counted as "무서워요".
_AXES = {
    "difficulty": (
        ("어려운 편", "쉬운 편"),
        ("어려", "어렵", "고난도", "빡세", "빡셌", "막혔", "막혀"),
        ("쉬웠", "쉬워", "쉽", "쉬운", "금방 적응", "처음인", "입문", "무난하게 풀"),
    ),
    "fear": (
        ("무서운 편", "안 무서운 편"),
        ("무서", "무섭", "소름", "깜짝", "비명", "소리 지르", "공포감"),
        ("안 무서", "안무서", "무섭지 않", "무섭진 않", "하나도 안 무", "겁 많은 사람도", "쫄보도"),
    ),
    "activity": (
        ("활동적인 편", "정적인 편"),
        ("움직", "뛰", "땀", "기어", "활동", "몸을 써", "몸 쓰"),
        ("앉아서", "정적", "움직임이 적", "많이 안 움직"),
    ),
}
_AXIS_NAMES = {"difficulty": "난이도", "fear": "공포도", "activity": "활동성"}

# Who it suits: a group and the words reviews use for it.
_AUDIENCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("방린이", ("방린이", "방생아", "초보", "처음인", "처음 하는", "입문")),
    ("숙련자", ("고인물", "숙련", "고수", "고난도 좋아")),
    ("커플", ("커플", "연인", "데이트", "둘이")),
    ("친구들", ("친구",)),
    ("단체", ("회사", "단체", "동기", "회식")),
    ("공포 마니아", ("공포 좋아", "공포 마니아", "호러 좋아", "소리 지르")),
    ("겁 많은 사람", ("쫄보도", "겁 많은 사람도", "안 무서")),
)

# Topics the consensus lines cover: a section prefers the others, and the card line names only the others.
_CONSENSUS_TOPICS = {"공포", "활동", "난이도"}

SummaryWriter = Callable[..., "dict | None"]
_writers: list[SummaryWriter] = []


def summary_writer_register(writer: SummaryWriter) -> None:
    """A higher app's writer of the prose parts (the LLM). Called with keyword arguments `room_name`,
    `sentences` (the checked extractive candidates) and `draft` (the extractive summary); returns a dict with
    any of `liked`, `disliked` (lists of sentences) and `suits_text`, plus `model`, or None to keep the draft."""
    if writer not in _writers:
        _writers.append(writer)


def summary_writer_unregister(writer: SummaryWriter) -> None:
    if writer in _writers:
        _writers.remove(writer)


@dataclass
class _Candidate:
    text: str
    rating: int
    aspect: str | None
    polarity: int  # 1 liked, -1 disliked, 0 neither
    count: int = 1


@dataclass
class SummaryGuard:
    """What a summary sentence must not be: flagged by the detector (with the room's twist words), or a
    sentence of any spoiler-flagged review of the room."""

    twist_words: tuple[str, ...] = ()
    spoiler_sentences: set[str] = field(default_factory=set)

    def allows(self, sentence: str) -> bool:
        return _key(sentence) not in self.spoiler_sentences and not is_spoiler_sentence(
            sentence, twist_words=self.twist_words
        )


_REGRET = re.compile("아쉬|아쉽")


def _without_regret(text: str) -> str:
    """아쉬웠어요 (a pity) is not 쉬웠어요 (easy): hide it from the difficulty and topic words."""
    return _REGRET.sub("아-", text)


def _key(sentence: str) -> str:
    return re.sub(r"[\s.!?~,]+", "", sentence).lower()


def _aspect(sentence: str) -> str | None:
    sentence = _without_regret(sentence)
    for name, words in ASPECTS:
        if any(word in sentence for word in words):
            return name
    return None


def _polarity(sentence: str, rating: int) -> int:
    if any(word in sentence for word in _NEGATIVE):
        return -1
    if any(word in sentence for word in _POSITIVE):
        return 1
    return 1 if rating >= 5 else -1 if rating <= 1 else 0


def _side(text: str, high: tuple[str, ...], low: tuple[str, ...]) -> int:
    """+1 when the text says "high" on an axis, -1 "low", 0 neither (low words are cut out before high ones)."""
    text = _without_regret(text)
    said_low = False
    for word in low:
        if word in text:
            said_low = True
            text = text.replace(word, " ")
    said_high = any(word in text for word in high)
    return -1 if said_low and not said_high else 1 if said_high and not said_low else 0


def summary_inputs(*, room: Room, limit: int) -> tuple[list[Review], SummaryGuard]:
    """The room's latest non-spoiler reviews, and the guard made of its spoiler-flagged ones."""
    reviews = list(Review.objects.filter(room=room, is_spoiler=False).order_by("-updated_at", "-id")[:limit])
    guard = SummaryGuard(twist_words=tuple(room.spoiler_terms or ()))
    for text in Review.objects.filter(room=room, is_spoiler=True).exclude(text="").values_list("text", flat=True):
        guard.spoiler_sentences.update(_key(sentence) for sentence in review_sentences(text))
        guard.spoiler_sentences.add(_key(text))
    return reviews, guard


def _candidates(reviews: list[Review], guard: SummaryGuard) -> list[_Candidate]:
    found: dict[str, _Candidate] = {}
    for review in reviews:
        for sentence in review_sentences(review.text):
            if not SENTENCE_MIN_CHARS <= len(sentence) <= SENTENCE_MAX_CHARS or not guard.allows(sentence):
                continue
            key = _key(sentence)
            if key in found:
                found[key].count += 1
                continue
            found[key] = _Candidate(sentence, review.rating, _aspect(sentence), _polarity(sentence, review.rating))
    return list(found.values())


def _section(candidates: list[_Candidate], polarity: int) -> list[_Candidate]:
    """Up to three sentences of one polarity, one per topic: the room's qualities (인테리어, 연출 …) before
    what the consensus lines already say, then the most said, then the shortest."""
    pool = sorted(
        (c for c in candidates if c.polarity == polarity),
        key=lambda c: (c.aspect is None, c.aspect in _CONSENSUS_TOPICS, -c.count, len(c.text), c.text),
    )
    chosen: list[_Candidate] = []
    topics: set[str | None] = set()
    for candidate in pool:
        if candidate.aspect in topics:
            continue
        chosen.append(candidate)
        topics.add(candidate.aspect)
        if len(chosen) == SECTION_SENTENCES:
            break
    return chosen


def _consensus(reviews: list[Review]) -> dict:
    texts = [review.text for review in reviews if review.text]
    result: dict = {}
    for axis, ((high_label, low_label), high, low) in _AXES.items():
        votes = Counter(_side(text, high, low) for text in texts)
        highs, lows = votes[1], votes[-1]
        label = None
        if highs or lows:
            label = high_label if highs > lows else low_label if lows > highs else "의견이 갈려요"
        result[axis] = {"label": label, "high": highs, "low": lows}
    if reviews:
        escaped = sum(1 for review in reviews if review.escaped)
        result["difficulty"]["escape_rate"] = round(escaped / len(reviews), 2)
        result["difficulty"]["hints_mean"] = round(sum(review.hints_used for review in reviews) / len(reviews), 1)
        if result["difficulty"]["label"] is None:
            rate = result["difficulty"]["escape_rate"]
            result["difficulty"]["label"] = "어려운 편" if rate < 0.35 else "쉬운 편" if rate > 0.75 else "보통"
    for axis, values in result.items():
        values["text"] = _consensus_text(axis, values)
    return result


def _consensus_text(axis: str, values: dict) -> str:
    name = _AXIS_NAMES[axis]
    if values["label"] is None:
        return f"{name}: 후기에 언급이 거의 없어요."
    text = f"{name}: {values['label']}"
    if values["high"] or values["low"]:
        text += f" (그렇다는 후기 {max(values['high'], values['low'])}개"
        other = min(values["high"], values["low"])
        text += f", 반대 의견 {other}개)" if other else ")"
    if axis == "difficulty" and "escape_rate" in values:
        text += f" · 탈출 성공 {round(values['escape_rate'] * 100)}%, 평균 힌트 {values['hints_mean']}개"
    return text + "."


def _suits(reviews: list[Review], consensus: dict) -> list[str]:
    counts: Counter = Counter()
    for review in reviews:
        for name, words in _AUDIENCES:
            if any(word in review.text for word in words):
                counts[name] += 1
    # The consensus speaks for a group even when no review names it.
    if consensus["difficulty"]["label"] == "쉬운 편":
        counts["방린이"] += 1
    if consensus["difficulty"]["label"] == "어려운 편":
        counts["숙련자"] += 1
    if consensus["fear"]["label"] == "무서운 편":
        counts["공포 마니아"] += 1
        counts.pop("겁 많은 사람", None)
    if consensus["fear"]["label"] == "안 무서운 편":
        counts["겁 많은 사람"] += 1
        counts.pop("공포 마니아", None)
    if consensus["activity"]["label"] == "활동적인 편":
        counts["활동적인 사람"] += 1
    return [name for name, _ in counts.most_common(3)]


def _suits_text(suits: list[str]) -> str:
    if not suits:
        return ""
    return f"{', '.join(suits)}에게 잘 맞는다는 평이에요."


def _line(summary: dict) -> str:
    """The summary in one line for cards: topics liked and disliked, then the consensus labels."""
    parts = []
    liked = [topic for topic in summary["liked_topics"] if topic and topic not in _CONSENSUS_TOPICS][:2]
    disliked = [topic for topic in summary["disliked_topics"] if topic and topic not in _CONSENSUS_TOPICS][:1]
    if liked:
        parts.append(f"좋았던 점 {'·'.join(liked)}")
    if disliked:
        parts.append(f"아쉬운 점 {'·'.join(disliked)}")
    for axis in ("difficulty", "fear"):
        label = summary["consensus"][axis]["label"]
        if label and label != "보통":
            parts.append(label.replace(" 편", ""))
    return " · ".join(parts)[:200]


def summary_extractive(*, reviews: list[Review], guard: SummaryGuard) -> tuple[dict, list[str]]:
    """The offline summary, and the checked candidate sentences (what a writer may work from)."""
    candidates = _candidates(reviews, guard)
    liked, disliked = _section(candidates, 1), _section(candidates, -1)
    consensus = _consensus(reviews)
    suits = _suits(reviews, consensus)
    summary = {
        "liked": [c.text for c in liked],
        "disliked": [c.text for c in disliked],
        "liked_topics": [c.aspect for c in liked],
        "disliked_topics": [c.aspect for c in disliked],
        "consensus": consensus,
        "suits": suits,
        "suits_text": _suits_text(suits),
        "review_count": len(reviews),
        "source": "extractive",
        "model": "",
    }
    ranked = sorted(candidates, key=lambda c: (-c.count, c.text))
    return summary, [c.text for c in ranked[:40]]


def _checked(sentences, guard: SummaryGuard) -> list[str]:
    """A writer's sentences that pass the guard (each split again: a writer's "sentence" may be several)."""
    kept = []
    for item in sentences or ():
        if not isinstance(item, str):
            continue
        for sentence in review_sentences(item):
            if len(sentence) <= 200 and guard.allows(sentence):
                kept.append(sentence)
            else:
                logger.info("summary sentence dropped by the spoiler check")
    return kept[:SECTION_SENTENCES]


def summary_write(*, room: Room, reviews: list[Review], guard: SummaryGuard) -> dict:
    """The extractive summary, rewritten by a registered writer when one answers; every written sentence checked."""
    summary, sentences = summary_extractive(reviews=reviews, guard=guard)
    for writer in _writers:
        try:
            written = writer(room_name=room.name, sentences=sentences, draft=summary)
        except Exception:
            logger.warning("review summary writer failed; the extractive summary stands", exc_info=True)
            continue
        if not written:
            continue
        liked, disliked = _checked(written.get("liked"), guard), _checked(written.get("disliked"), guard)
        suits_text = _checked([written.get("suits_text") or ""], guard)
        if liked:
            summary["liked"] = liked
        if disliked:
            summary["disliked"] = disliked
        if suits_text:
            summary["suits_text"] = " ".join(suits_text)
        if liked or disliked or suits_text:
            summary["source"] = "llm"
            summary["model"] = str(written.get("model", ""))[:100]
        break
    return summary


def room_summary_build(*, room_id: int) -> bool:
    """Build one room's summary now (or clear it when the room has too few non-spoiler reviews with text).

    Returns whether a summary was stored. Runs outside any transaction: an LLM call never holds the room's
    row lock that review writes take.
    """
    room = Room.objects.filter(id=room_id).first()
    if room is None:
        return False
    reviews, guard = summary_inputs(room=room, limit=settings.ROOMS_SUMMARY_MAX_REVIEWS)
    with_text = [review for review in reviews if review.text.strip()]
    if len(with_text) < settings.ROOMS_SUMMARY_MIN_REVIEWS:
        Room.objects.filter(id=room_id).update(review_summary={}, review_summary_line="", review_summary_built_at=None)
        return False
    summary = summary_write(room=room, reviews=with_text, guard=guard)
    now = timezone.now()
    summary["built_at"] = now.isoformat()
    Room.objects.filter(id=room_id).update(
        review_summary=summary, review_summary_line=_line(summary), review_summary_built_at=now
    )
    return True


def rooms_summary_mark_dirty(*, room_ids) -> None:
    """Reviews of these rooms changed: the beat task rebuilds their summaries."""
    room_ids = list(room_ids)
    if room_ids:
        Room.objects.filter(id__in=room_ids, review_summary_dirty=False).update(review_summary_dirty=True)


def rooms_summaries_build_dirty(*, batch_size: int) -> int:
    """One batch of rooms whose reviews changed (the beat task); returns how many summaries were stored.

    Each room is claimed by clearing its flag with a conditional UPDATE (two workers never build the same
    one); a review written while the summary is made sets the flag again, so the next run picks it up, and a
    build that fails sets it back.
    """
    built = 0
    ids = list(Room.objects.filter(review_summary_dirty=True).order_by("id").values_list("id", flat=True)[:batch_size])
    for room_id in ids:
        if not Room.objects.filter(id=room_id, review_summary_dirty=True).update(review_summary_dirty=False):
            continue
        try:
            built += room_summary_build(room_id=room_id)
        except Exception:
            Room.objects.filter(id=room_id).update(review_summary_dirty=True)
            raise
    return built


def rooms_summaries_build_all() -> int:
    """Every room's summary now (the demo loader and the `build_review_summaries` command)."""
    built = 0
    for room_id in Room.objects.order_by("id").values_list("id", flat=True):
        Room.objects.filter(id=room_id).update(review_summary_dirty=False)
        built += room_summary_build(room_id=room_id)
    return built
