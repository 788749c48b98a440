"""A small catalogue is searched the simple way: the same rooms in the same order, in fewer statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rooms.selectors import search
from rooms.selectors.search import RoomSearchFilters, keyword_leg, room_search_hybrid, semantic_leg
from rooms.text import query_analyze
from testing.factories import RoomFactory, small_catalogue_build

pytestmark = pytest.mark.django_db

QUERIES = [
    ("병원 수술실", RoomSearchFilters()),
    ("무서운 공포 테마", RoomSearchFilters(region="강남")),
    ("감성 편지", RoomSearchFilters(players=2)),
    ("우주 정거장 모험", RoomSearchFilters(max_fear=2)),
    ("추리 서재", RoomSearchFilters(genres=("추리",))),
]


@pytest.fixture
def rooms():
    return list(small_catalogue_build(embed=True).values())


def _legs(query: str, filters: RoomSearchFilters):
    from rooms.embeddings import embed_query

    keyword = keyword_leg(groups=query_analyze(query).groups, filters=filters, limit=10)
    semantic = semantic_leg(vector=embed_query(query), filters=filters, limit=10)
    return (keyword.ids, keyword.scores), (semantic.ids, [round(semantic.scores[i], 5) for i in semantic.ids])


def test_the_small_path_finds_what_the_full_path_finds(rooms, settings):
    settings.ROOMS_SMALL_CATALOGUE_ROWS = 0
    full = [_legs(query, filters) for query, filters in QUERIES]
    settings.ROOMS_SMALL_CATALOGUE_ROWS = 2000
    search.catalogue_count_forget()
    small = [_legs(query, filters) for query, filters in QUERIES]

    assert small == full
    assert any(keyword_ids for (keyword_ids, _), _ in small)  # the queries do find rooms


def test_the_small_path_runs_each_leg_as_one_statement_outside_a_transaction(rooms, settings):
    settings.ROOMS_SMALL_CATALOGUE_ROWS = 2000
    settings.ROOMS_SEARCH_LEG_THREADS = 0  # both legs on this connection, so every statement is seen
    search.catalogue_small()  # the count, once a minute: not part of a search

    with CaptureQueriesContext(connection) as small:
        hits = room_search_hybrid(query="병원 수술실", filters=RoomSearchFilters(region="강남"), limit=5)
    settings.ROOMS_SMALL_CATALOGUE_ROWS = 0
    with CaptureQueriesContext(connection) as full:
        room_search_hybrid(query="병원 수술실", filters=RoomSearchFilters(region="강남"), limit=5)

    statements = [query["sql"] for query in small.captured_queries]
    assert hits and {hit.room.region for hit in hits} == {"강남"}
    assert not any(sql.startswith(("SET LOCAL", "BEGIN", "SAVEPOINT")) for sql in statements), statements
    assert not any("TABLESAMPLE" in sql for sql in statements)
    # keyword leg (one attempt here), semantic leg, the rooms fetched: against the full path's many more.
    assert len(statements) <= 4 < len(full.captured_queries)


def test_the_catalogue_is_counted_again_after_rooms_are_written(rooms, settings):
    settings.ROOMS_SMALL_CATALOGUE_ROWS = len(rooms)
    assert search.catalogue_small()

    RoomFactory(store=rooms[0].store, name="새로 연 테마")  # its search text is written: the count is forgotten

    assert not search.catalogue_small()
