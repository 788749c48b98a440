"""Ranking among the rooms that meet the conditions: a Bayesian-averaged rating, fit, words and the personal score.

The property the issue asks for: among fitting rooms, a clearly better-rated one is never left out for a worse one.
"""

from __future__ import annotations

import random

import pytest

from chat.dialogue import state_empty, state_filters, state_update
from chat.nlu.local import local_analyze
from chat.ranking import PRIOR_REVIEWS, clear_margin, room_fit, rooms_rank
from rooms.models import Room
from rooms.selectors.rooms import bayesian_rating, catalogue_rating_mean, room_list
from testing.factories import RoomFactory, StoreFactory, UserFactory

REQUESTS = [
    "강남 추천해줘",
    "강남 안무서운거",
    "강남 방린이 둘이서",
    "강남 활동적인거",
    "강남 고인물 넷",
    "강남 공포 3명",
    "강남 조금 무서운 거 둘이",
    "강남 앉아서 푸는 추리",
    "강남 스토리 좋은 감성",
    "강남 2만5천원 이하",
]


def state_for(text: str) -> dict:
    return state_update(state=state_empty(), analysis=local_analyze(text), text=text).state


@pytest.fixture
def random_catalogue(db):
    rng = random.Random(15)
    stores = [StoreFactory(region="강남") for _ in range(3)]
    genres = ["공포", "추리", "감성", "코믹", "SF", "스릴러"]
    for index in range(60):
        low = rng.choice((1, 2, 2, 3))
        RoomFactory(
            store=rng.choice(stores),
            name=f"방 {index}",
            genres=rng.sample(genres, rng.choice((1, 2))),
            difficulty=rng.randint(1, 5),
            fear=rng.randint(0, 5),
            activity=rng.randint(1, 5),
            min_players=low,
            max_players=low + rng.randint(1, 4),
            price=rng.choice((20000, 23000, 25000, 28000)),
            rating=round(rng.uniform(2.8, 5.0), 1),
            review_count=rng.choice((0, 2, 5, 20, 60, 150, 400)),
            description=rng.choice(("스토리가 좋은 감성 테마", "장치가 많은 테마", "문제 위주의 테마")),
        )


@pytest.mark.parametrize("text", REQUESTS)
def test_a_clearly_better_rated_fitting_room_is_never_left_out(random_catalogue, text):
    user = UserFactory()
    state = state_for(text)
    filters = state_filters(state)
    ranked = rooms_rank(user_id=user.id, filters=filters, state=state, text=text, limit=3)
    fitting = list(room_list(filters=filters))
    assert ranked.found == len(fitting) and ranked.rooms
    assert {room.id for room in ranked.rooms} <= {room.id for room in fitting}  # every shown room fits
    mean = catalogue_rating_mean()

    def averaged(room: Room) -> float:
        return bayesian_rating(
            rating=float(room.rating), reviews=room.review_count, prior_mean=mean, prior_reviews=PRIOR_REVIEWS
        )

    worst_shown = min(averaged(room) for room in ranked.rooms)
    shown = {room.id for room in ranked.rooms}
    for room in fitting:
        if room.id not in shown:
            assert averaged(room) <= worst_shown + clear_margin(), (text, room.name, averaged(room), worst_shown)


def test_many_reviews_beat_a_perfect_score_from_few(db):
    store = StoreFactory(region="강남")
    many = RoomFactory(store=store, name="많은 후기", rating=4.7, review_count=300, difficulty=2)
    few = RoomFactory(store=store, name="적은 후기", rating=5.0, review_count=3, difficulty=2)
    RoomFactory(store=store, name="보통", rating=4.0, review_count=50, difficulty=2)
    state = state_for("강남 초보")
    ranked = rooms_rank(user_id=None, filters=state_filters(state), state=state, text="강남 초보", limit=3)
    assert [room.id for room in ranked.rooms][:2] == [many.id, few.id]


def test_fit_prefers_the_calmest_and_the_most_active():
    calm = state_for("안 무서운 거")
    assert room_fit(Room(fear=0, activity=3, difficulty=3, genres=["추리"], price=20000), calm) > room_fit(
        Room(fear=1, activity=3, difficulty=3, genres=["추리"], price=20000), calm
    )
    active = state_for("활동적인거")
    assert room_fit(Room(fear=0, activity=5, difficulty=3, genres=["추리"], price=20000), active) == 1.0
    assert room_fit(Room(fear=0, activity=4, difficulty=3, genres=["추리"], price=20000), active) == 0.0
    assert room_fit(Room(fear=0, activity=4, difficulty=3, genres=["추리"], price=20000), state_empty()) == 0.0


def test_the_words_rank_among_rooms_that_fit(db):
    store = StoreFactory(region="강남")
    plain = RoomFactory(store=store, name="평범한 방", rating=4.3, review_count=40, description="문제를 푸는 테마")
    story = RoomFactory(
        store=store, name="이야기 방", rating=4.25, review_count=40, description="눈물 나는 이야기, 스토리가 좋은 테마"
    )
    text = "강남 스토리 좋은 눈물 나는 이야기"
    state = state_for(text)
    ranked = rooms_rank(user_id=None, filters=state_filters(state), state=state, text=text, limit=2)
    assert [room.id for room in ranked.rooms] == [story.id, plain.id]
