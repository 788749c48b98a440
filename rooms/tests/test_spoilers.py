"""The spoiler detector, and who decides a review's flag: staff, then the author, then the detector."""

import pytest

from rooms.models import Review, Room, SpoilerSource
from rooms.services import review_spoiler_decide, review_upsert, room_spoiler_terms_set
from rooms.spoilers import review_sentences, text_spoiler_reasons
from testing.factories import ReviewFactory, RoomFactory, UserFactory


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("범인은 처음 만난 관리인이었어요.", "범인"),
        ("알고 보니 모든 게 꿈이었어요.", "결말"),
        ("결말은 주인공이 탈출하지 못하는 거예요.", "결말"),
        ("마지막 문제 정답이 생일이에요.", "정답"),
        ("금고 비밀번호는 방 번호예요.", "정답"),
        ("자물쇠는 0427로 열려요.", "숫자 코드"),
        ("1-9-8-4 누르면 문이 열려요", "숫자 코드"),
        ("다이얼은 7부터 돌리세요", "숫자 코드"),
        ("열쇠는 액자 뒤에 숨겨져 있어요.", "정답"),
        ("The culprit is the butler.", "범인"),
    ],
)
def test_the_detector_finds_endings_culprits_answers_and_codes(text, reason):
    assert reason in text_spoiler_reasons(text)


@pytest.mark.parametrize(
    "text",
    [
        "반전이 대박이에요.",
        "결말이 조금 아쉬웠어요.",
        "자물쇠가 3개 있고 장치가 많아요.",
        "가격은 27,000원이고 75분 테마예요.",
        "4명이서 힌트 2개 쓰고 탈출했어요.",
        "120분짜리라 길어요.",
        "답답한 구간 없이 흐름이 좋았어요.",
        "무서워서 소리 지르면서 했어요.",
        "2024년에 해 본 테마 중 최고예요.",
    ],
)
def test_saying_a_room_has_a_twist_or_padlocks_is_not_a_spoiler(text):
    assert text_spoiler_reasons(text) == []


def test_the_rooms_twist_words_are_spoilers_in_any_spacing():
    assert text_spoiler_reasons("쌍둥이 언니가 다 꾸몄어요.", twist_words=["쌍둥이언니"]) == ["테마 반전 단어"]
    assert text_spoiler_reasons("쌍둥이 언니가 다 꾸몄어요.") == []


def test_sentences_split_on_punctuation_korean_endings_and_lines():
    assert review_sentences("정말 재밌어요. 인테리어가 예뻐요 직원분도 친절!\n또 올게요") == [
        "정말 재밌어요.",
        "인테리어가 예뻐요",
        "직원분도 친절!",
        "또 올게요",
    ]


@pytest.mark.django_db
def test_detector_flags_a_review_and_the_author_cannot_unflag_it():
    review = ReviewFactory(text="범인은 집사예요. 재밌었어요.", spoiler=False)
    assert review.is_spoiler and review.detector_spoiler
    assert review.spoiler_source == SpoilerSource.DETECTOR and review.spoiler_reasons == ["범인"]


@pytest.mark.django_db
def test_the_author_can_flag_what_the_detector_misses():
    review = ReviewFactory(text="주인공의 동생이 모든 일을 꾸몄어요.", spoiler=True)
    assert review.is_spoiler and not review.detector_spoiler and review.spoiler_source == SpoilerSource.AUTHOR


@pytest.mark.django_db
def test_staff_decide_and_the_detector_never_overrides_them(staff_user):
    room = RoomFactory()
    review = ReviewFactory(room=room, text="연출이 좋아요. 범인은 의외의 인물!")
    assert review.is_spoiler

    review = review_spoiler_decide(review=review, spoiler=False, staff_user=staff_user)
    assert not review.is_spoiler and review.spoiler_source == SpoilerSource.STAFF
    assert review.staff_decided_by == staff_user and review.staff_decided_at is not None

    # The detector runs again (new twist words): it records its verdict, staff's stays in force.
    room_spoiler_terms_set(room=room, terms=["의외의 인물"])
    review.refresh_from_db()
    assert review.detector_spoiler and not review.is_spoiler and review.spoiler_source == SpoilerSource.STAFF

    # The same text written again (a rating change): staff's decision holds.
    review_upsert(user=review.user, room=room, rating=2, text=review.text)
    review.refresh_from_db()
    assert not review.is_spoiler and review.spoiler_source == SpoilerSource.STAFF

    # New text: a "not a spoiler" decision covered only the text staff read.
    review_upsert(user=review.user, room=room, rating=2, text="범인은 관리인이에요.")
    review.refresh_from_db()
    assert review.is_spoiler and review.staff_spoiler is None and review.spoiler_source == SpoilerSource.DETECTOR


@pytest.mark.django_db
def test_a_staff_spoiler_decision_holds_through_edits(staff_user):
    review = ReviewFactory(text="마지막 장면이 인상적이었어요.")
    assert not review.is_spoiler
    review_spoiler_decide(review=review, spoiler=True, staff_user=staff_user)
    review_upsert(user=review.user, room=review.room, rating=4, text="마지막 장면이 정말 인상적이었어요.")
    review.refresh_from_db()
    assert review.is_spoiler and review.spoiler_source == SpoilerSource.STAFF

    review_spoiler_decide(review=review, spoiler=None, staff_user=staff_user)
    review.refresh_from_db()
    assert not review.is_spoiler and review.spoiler_source == SpoilerSource.DETECTOR
    assert review.staff_decided_by is None


@pytest.mark.django_db
def test_twist_words_reflag_the_rooms_reviews_and_mark_the_summary_dirty():
    room = RoomFactory()
    clean = ReviewFactory(room=room, text="쌍둥이 언니가 다 꾸몄어요.")
    other = ReviewFactory(room=room, text="인테리어가 예뻐요.")
    assert not clean.is_spoiler
    Room.objects.filter(id=room.id).update(review_summary_dirty=False)

    assert room_spoiler_terms_set(room=room, terms=[" 쌍둥이 언니 ", ""]) == 1
    room.refresh_from_db()
    assert room.spoiler_terms == ["쌍둥이 언니"] and room.review_summary_dirty
    assert Review.objects.get(id=clean.id).is_spoiler
    assert not Review.objects.get(id=other.id).is_spoiler


@pytest.mark.django_db
def test_bulk_created_reviews_are_checked_with_their_rooms_twist_words():
    from rooms.services import reviews_bulk_create

    room = RoomFactory(spoiler_terms=["거울"])
    users = UserFactory.create_batch(3)
    made = reviews_bulk_create(
        reviews=[
            Review(user=users[0], room=room, rating=4, text="거울 뒤가 핵심이에요."),
            Review(user=users[1], room=room, rating=4, text="비번은 1234예요."),
            Review(user=users[2], room=room, rating=5, text="연출이 멋져요."),
        ]
    )
    assert [review.is_spoiler for review in made] == [True, True, False]
    assert Review.objects.filter(room=room, is_spoiler=True).count() == 2
