"""The reads the chat needs beside the search: fear/activity/exclusion filters in every leg, a room by the name a
player types (sequels, stores), the Bayesian-rated listing and the counts a dead end is explained with."""

import pytest

from rooms.selectors.rooms import (
    bayesian_rating,
    catalogue_rating_mean_forget,
    room_count,
    room_count_by_region,
    room_list,
    room_list_rated,
    room_match_by_name,
    sequel_split,
)
from rooms.selectors.search import RoomSearchFilters, room_search_hybrid
from rooms.services import rooms_embed
from testing.factories import RoomFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_mean():
    catalogue_rating_mean_forget()
    yield
    catalogue_rating_mean_forget()


@pytest.fixture
def levels():
    store = StoreFactory(region="강남")
    return {
        (fear, activity): RoomFactory(store=store, name=f"방 {fear}-{activity}", fear=fear, activity=activity)
        for fear in (0, 2, 4)
        for activity in (1, 3, 5)
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (RoomSearchFilters(min_fear=4), {(4, 1), (4, 3), (4, 5)}),
        (RoomSearchFilters(min_fear=2, max_fear=2), {(2, 1), (2, 3), (2, 5)}),
        (RoomSearchFilters(min_activity=4), {(0, 5), (2, 5), (4, 5)}),
        (RoomSearchFilters(max_activity=2, max_fear=1), {(0, 1)}),
    ],
)
def test_fear_and_activity_bounds_apply_inside_every_leg(levels, filters, expected):
    rooms_embed(room_ids=[room.id for room in levels.values()])
    wanted = {levels[key].id for key in expected}
    for method in ("keyword", "semantic", "rrf"):
        hits = room_search_hybrid(query="방 테마 단서 사건", filters=filters, method=method, limit=20)
        assert {hit.room.id for hit in hits} == wanted, method
    assert {room.id for room in room_list(filters=filters)} == wanted
    assert room_count(filters=filters) == len(wanted)


def test_excluded_rooms_are_left_out_everywhere(levels):
    rooms_embed(room_ids=[room.id for room in levels.values()])
    left_out = (levels[(0, 1)].id, levels[(2, 3)].id)
    filters = RoomSearchFilters(exclude_ids=left_out)
    for method in ("keyword", "semantic", "rrf"):
        ids = {hit.room.id for hit in room_search_hybrid(query="방 테마", filters=filters, method=method, limit=20)}
        assert ids and not ids & set(left_out), method
    rated, found = room_list_rated(filters=filters, limit=20)
    assert found == len(levels) - 2 and not {room.id for room in rated} & set(left_out)


@pytest.mark.parametrize(
    ("name", "base", "number"),
    [
        ("수상한 분식집 대작전 2", "수상한 분식집 대작전", 2),
        ("흉가의 비명2", "흉가의 비명", 2),
        ("흉가의 비명 시즌2", "흉가의 비명", 2),
        ("마법 학교 시즌 3", "마법 학교", 3),
        ("해적선 원정대 2편", "해적선 원정대", 2),
        ("Lost Signal II", "Lost Signal", 2),
        ("폐병원 404호", "폐병원 404호", None),
        ("화성 기지 2099", "화성 기지 2099", None),
        ("우주정거장 K", "우주정거장 K", None),
    ],
)
def test_sequel_numbers(name, base, number):
    assert sequel_split(name) == (base, number)


@pytest.fixture
def snack_bars():
    daejeon = StoreFactory(name="시간의문 대전점", region="대전")
    kondae = StoreFactory(name="골목의비밀 건대점", region="건대")
    sinchon = StoreFactory(name="탈출일기 신촌점", region="신촌")
    return {
        "first": RoomFactory(store=daejeon, name="수상한 분식집 대작전"),
        "second": RoomFactory(store=kondae, name="수상한 분식집 대작전 2"),
        "other": RoomFactory(store=sinchon, name="수상한 분식집의 대소동"),
        "same_name": RoomFactory(store=kondae, name="검은 숲"),
        "same_name_2": RoomFactory(store=sinchon, name="검은 숲"),
    }


def test_a_sequel_number_decides_between_rooms_sharing_a_name(snack_bars):
    second = room_match_by_name(text="수상한 분식집 대작전 2")
    assert second[0].room == snack_bars["second"] and second[0].exact
    assert room_match_by_name(text="수상한분식집대작전2")[0].room == snack_bars["second"]
    assert room_match_by_name(text="수상한 분식집 대작전 시즌2")[0].room == snack_bars["second"]
    first = room_match_by_name(text="수상한 분식집 대작전")
    assert first[0].room == snack_bars["first"] and first[0].exact and not first[1].exact


def test_a_part_of_a_name_matches_every_room_that_has_it(snack_bars):
    matches = room_match_by_name(text="수상한 분식집")
    top = matches[0].score
    close = {match.room for match in matches if match.score >= top - 0.1}
    assert close == {snack_bars["first"], snack_bars["second"], snack_bars["other"]}
    assert not any(match.exact for match in matches)


def test_the_store_said_with_the_name_decides(snack_bars):
    both = room_match_by_name(text="검은 숲")
    assert {match.room for match in both if match.exact} == {snack_bars["same_name"], snack_bars["same_name_2"]}
    by_store = room_match_by_name(text="탈출일기 신촌점 검은 숲")
    assert by_store[0].room == snack_bars["same_name_2"] and by_store[0].exact
    by_branch = room_match_by_name(text="건대점 검은숲")
    assert by_branch[0].room == snack_bars["same_name"]


def test_rated_listing_pulls_few_reviews_toward_the_mean():
    store = StoreFactory(region="홍대")
    few = RoomFactory(store=store, name="다섯 점 세 개", rating=5.0, review_count=3)
    many = RoomFactory(store=store, name="사점칠 삼백 개", rating=4.7, review_count=300)
    RoomFactory(store=store, name="평범", rating=4.0, review_count=100)
    rated, found = room_list_rated(filters=RoomSearchFilters(region="홍대"), limit=2)
    assert [room.id for room in rated] == [many.id, few.id] and found == 3
    assert bayesian_rating(rating=4.7, reviews=300, prior_mean=4.2, prior_reviews=20) > bayesian_rating(
        rating=5.0, reviews=3, prior_mean=4.2, prior_reviews=20
    )


def test_counts_by_region_ignore_the_region_filter():
    for region, count in (("강남", 3), ("홍대", 1)):
        store = StoreFactory(region=region)
        for index in range(count):
            RoomFactory(store=store, name=f"{region} {index}", min_players=1)
    assert room_count_by_region(filters=RoomSearchFilters(region="홍대", players=1)) == [("강남", 3), ("홍대", 1)]
