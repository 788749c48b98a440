"""Review summaries: built from non-spoiler reviews only, never containing a spoiler; the dirty flag and task."""

import random

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rooms.models import Review, Room
from rooms.services import review_delete, review_spoiler_decide, reviews_bulk_create
from rooms.spoilers import is_spoiler_sentence, review_sentences
from rooms.summaries import (
    room_summary_build,
    rooms_summaries_build_dirty,
    summary_writer_register,
    summary_writer_unregister,
)
from rooms.tasks import rooms_summaries_build_dirty_task
from testing.factories import ReviewFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db

CLEAN = [
    "인테리어가 예뻐서 사진 찍고 싶었어요.",
    "연출이 좋아서 몰입감이 대단했어요.",
    "직원분이 친절하게 안내해 주셨어요.",
    "스토리에 푹 빠져서 했어요.",
    "문제가 너무 어려웠어요.",
    "방탈출 처음인 친구도 금방 적응했어요.",
    "무서워서 소리 지르면서 했어요.",
    "하나도 안 무서워서 쫄보도 괜찮아요.",
    "많이 움직여야 해서 땀났지만 신났어요.",
    "관리 상태가 아쉬웠어요.",
    "장치가 제대로 작동하지 않아서 흐름이 끊겼어요.",
    "가격에 비해 플레이 시간이 짧아서 아쉬웠어요.",
    "커플끼리 데이트로 하기 좋아요.",
    "고인물에게 추천해요.",
]
# Spoilers the detector catches.
DETECTED = [
    "범인은 처음에 만난 관리인이에요.",
    "알고 보니 주인공이 이미 죽은 사람이었어요.",
    "마지막 자물쇠 번호는 0427이에요.",
    "금고 비밀번호는 주인공 생일이에요.",
    "열쇠는 액자 뒤에 숨겨져 있어요.",
    "결말은 다 같이 갇히는 거예요.",
    "3-1-4-1 누르면 문이 열려요.",
]
# Spoilers only the author (or the room's twist words) can tell: the detector's rules do not see them.
AUTHOR_ONLY = [
    "주인공의 동생이 모든 일을 꾸몄어요.",
    "두 번째 방은 사실 첫 번째 방과 같은 곳이에요.",
    "인형이 움직이는 장면에서 다들 놀랐어요.",
]
TWIST = "쌍둥이 언니"
TWIST_SENTENCES = ["쌍둥이 언니가 내내 우리를 지켜보고 있었어요."]


def _summary_sentences(room: Room) -> list[str]:
    summary = room.review_summary
    if not summary:
        return []
    parts = [*summary.get("liked", []), *summary.get("disliked", []), summary.get("suits_text", "")]
    parts += [summary["consensus"][axis]["text"] for axis in ("difficulty", "fear", "activity")]
    parts.append(room.review_summary_line)
    return [sentence for part in parts for sentence in review_sentences(part)]


def _assert_spoiler_free(room: Room) -> None:
    """No sentence of a spoiler-flagged review, and nothing the detector flags, is in the summary."""
    sentences = _summary_sentences(room)
    whole = " ".join(sentences)
    for sentence in sentences:
        assert not is_spoiler_sentence(sentence, twist_words=room.spoiler_terms), sentence
    for text in Review.objects.filter(room=room, is_spoiler=True).values_list("text", flat=True):
        for sentence in review_sentences(text):
            assert sentence not in whole, sentence
    for sentence in [*DETECTED, *TWIST_SENTENCES]:
        assert sentence not in whole


def _reviews(rng: random.Random, room: Room, count: int) -> list[Review]:
    users = UserFactory.create_batch(count)
    reviews = []
    for user in users:
        kind = rng.random()
        sentences = rng.sample(CLEAN, k=rng.randint(1, 3))
        author_flag = False
        if kind < 0.25:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(DETECTED))
        elif kind < 0.4:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(AUTHOR_ONLY))
            author_flag = True
        elif kind < 0.5:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(TWIST_SENTENCES))
        review = Review(
            user=user,
            room=room,
            rating=rng.randint(1, 5),
            text=" ".join(sentences),
            escaped=rng.random() < 0.5,
            hints_used=rng.randint(0, 4),
            author_spoiler=author_flag,
        )
        reviews.append(review)
    return reviews


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10**6), count=st.integers(min_value=3, max_value=30))
def test_no_summary_ever_contains_a_spoiler(seed, count):
    rng = random.Random(seed)
    room = RoomFactory(spoiler_terms=[TWIST])
    reviews_bulk_create(reviews=_reviews(rng, room, count))
    # A spoiler review whose clean-looking sentences also appear in clean reviews: those never appear either.
    copycat = UserFactory()
    ReviewFactory(user=copycat, room=room, text=f"{CLEAN[0]} {AUTHOR_ONLY[0]}", spoiler=True)
    room_summary_build(room_id=room.id)
    room.refresh_from_db()
    assert CLEAN[0] not in " ".join(_summary_sentences(room))
    if room.review_summary:
        _assert_spoiler_free(room)


def test_a_summary_says_what_people_liked_disliked_the_consensus_and_who_it_suits():
    room = RoomFactory()
    for text, rating in [
        ("인테리어가 예뻐서 사진 찍고 싶었어요. 문제가 너무 어려웠어요.", 5),
        ("인테리어가 예뻐서 사진 찍고 싶었어요. 연출이 좋아서 몰입감이 대단했어요.", 5),
        ("관리 상태가 아쉬웠어요. 어려웠지만 고인물에게 추천해요.", 3),
        ("범인은 관리인이에요. 직원분이 친절하게 안내해 주셨어요.", 4),
    ]:
        ReviewFactory(room=room, text=text, rating=rating)
    assert room_summary_build(room_id=room.id)
    room.refresh_from_db()
    summary = room.review_summary
    assert summary["liked"][0] == "인테리어가 예뻐서 사진 찍고 싶었어요."  # said twice
    assert "연출이 좋아서 몰입감이 대단했어요." in summary["liked"]
    assert summary["disliked"] == ["관리 상태가 아쉬웠어요.", "문제가 너무 어려웠어요."]
    assert summary["consensus"]["difficulty"]["label"] == "어려운 편"
    assert summary["consensus"]["fear"]["label"] is None
    assert "숙련자" in summary["suits"]
    assert summary["review_count"] == 3 and summary["source"] == "extractive"
    assert room.review_summary_line.startswith("좋았던 점 인테리어·연출 · 아쉬운 점 관리")
    assert "관리인" not in str(summary)
    # A clean-looking sentence of the spoiler review is left out too.
    assert "직원분이 친절하게 안내해 주셨어요." not in str(summary)


@override_settings(ROOMS_SUMMARY_MIN_REVIEWS=3)
def test_too_few_non_spoiler_reviews_make_no_summary():
    room = RoomFactory()
    ReviewFactory(room=room, text="인테리어가 예뻐요.")
    ReviewFactory(room=room, text="연출이 좋아요.")
    ReviewFactory(room=room, text="범인은 관리인이에요.")
    ReviewFactory(room=room, text="")  # stars only
    assert not room_summary_build(room_id=room.id)
    room.refresh_from_db()
    assert room.review_summary == {} and room.review_summary_line == ""


def test_reviews_mark_the_summary_dirty_and_the_task_rebuilds_it(staff_user):
    room = RoomFactory()
    reviews = [ReviewFactory(room=room, text=text) for text in CLEAN[:4]]
    room.refresh_from_db()
    assert room.review_summary_dirty and room.review_summary == {}

    assert rooms_summaries_build_dirty_task.apply().get() == 1
    room.refresh_from_db()
    assert not room.review_summary_dirty and room.review_summary["review_count"] == 4
    assert rooms_summaries_build_dirty(batch_size=10) == 0  # nothing left to do: safe to run twice

    review_spoiler_decide(review=reviews[0], spoiler=True, staff_user=staff_user)
    room.refresh_from_db()
    assert room.review_summary_dirty
    rooms_summaries_build_dirty(batch_size=10)
    room.refresh_from_db()
    assert room.review_summary["review_count"] == 3
    assert CLEAN[0] not in " ".join(_summary_sentences(room))

    review_delete(review=reviews[1])
    assert Room.objects.get(id=room.id).review_summary_dirty


def test_a_writer_sentence_that_fails_the_check_is_dropped():
    room = RoomFactory(spoiler_terms=[TWIST])
    for text in CLEAN[:5]:
        ReviewFactory(room=room, text=text, rating=5)
    spoiled = ReviewFactory(room=room, text="주인공의 동생이 모든 일을 꾸몄어요.", spoiler=True)
    calls = []

    def writer(*, room_name, sentences, draft):
        calls.append(sentences)
        return {
            "liked": [
                "연출이 훌륭하다는 평이 많아요. 범인은 관리인이에요.",
                f"{TWIST}의 정체가 놀라워요.",
                spoiled.text,
            ],
            "disliked": ["금고 비밀번호는 0427이에요."],
            "suits_text": "공포를 즐기는 친구들에게 맞아요.",
            "model": "fake",
        }

    summary_writer_register(writer)
    try:
        room_summary_build(room_id=room.id)
    finally:
        summary_writer_unregister(writer)
    room.refresh_from_db()
    summary = room.review_summary
    assert summary["source"] == "llm" and summary["model"] == "fake"
    assert summary["liked"] == ["연출이 훌륭하다는 평이 많아요."]
    assert summary["disliked"]  # every written sentence failed: the extractive one stands
    assert all("0427" not in sentence for sentence in summary["disliked"])
    assert summary["suits_text"] == "공포를 즐기는 친구들에게 맞아요."
    # The writer only ever saw checked sentences.
    assert calls and all(not is_spoiler_sentence(s, twist_words=[TWIST]) for s in calls[0])
    assert spoiled.text not in calls[0]
    _assert_spoiler_free(room)


def test_a_pity_is_not_an_easy_room():
    room = RoomFactory()
    for text in ("관리 상태가 아쉬웠어요.", "스토리가 아쉽네요.", "문제가 너무 어려웠어요.", "어려웠지만 재밌어요."):
        ReviewFactory(room=room, text=text)
    room_summary_build(room_id=room.id)
    room.refresh_from_db()
    difficulty = room.review_summary["consensus"]["difficulty"]
    assert (difficulty["label"], difficulty["high"], difficulty["low"]) == ("어려운 편", 2, 0)
    assert set(room.review_summary["disliked_topics"]) == {"관리", "스토리", "문제"}
