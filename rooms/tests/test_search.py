import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rooms.models import Room
from rooms.selectors import search
from rooms.selectors.rooms import room_find_by_name, room_get, room_list
from rooms.selectors.search import RoomSearchFilters, keyword_leg, room_search_hybrid, semantic_leg
from rooms.services import rooms_embed, rooms_set_active
from testing.factories import RoomFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _full_search_path(settings):
    """These tests check how a big catalogue is searched (samples, tiers, walks, graphs) on small test
    catalogues: the small-catalogue path (test_search_small.py) stays off here."""
    settings.ROOMS_SMALL_CATALOGUE_ROWS = 0


@pytest.fixture
def catalogue():
    gangnam = StoreFactory(name="비밀의열쇠 강남점", region="강남")
    hongdae = StoreFactory(name="퍼즐하우스 홍대점", region="홍대")
    daehakro = StoreFactory(name="잠긴서재 대학로점", region="대학로")
    rooms = {
        "horror_gangnam": RoomFactory(
            store=gangnam,
            name="폐병원 404호",
            genres=["공포"],
            fear=5,
            difficulty=4,
            min_players=2,
            max_players=5,
            price=27000,
            description="버려진 폐병원에서 귀신의 발소리를 피해 탈출해야 합니다. 무서운 연출이 가득합니다.",
        ),
        "mystery_gangnam": RoomFactory(
            store=gangnam,
            name="탐정 사무소의 진범",
            genres=["추리"],
            fear=0,
            difficulty=3,
            min_players=2,
            max_players=4,
            price=23000,
            description="탐정이 되어 강남 한복판에서 벌어진 사건의 범인을 추리합니다. 알리바이를 무너뜨리세요.",
            rating=4.5,
            review_count=80,
        ),
        "romance_gangnam": RoomFactory(
            store=gangnam,
            name="벚꽃길 고백",
            genres=["로맨스", "감성"],
            fear=0,
            difficulty=1,
            min_players=2,
            max_players=2,
            price=20000,
            description="첫사랑의 추억이 담긴 벚꽃길에서 고백을 완성하는 달콤한 연애 이야기입니다.",
        ),
        "horror_hongdae": RoomFactory(
            store=hongdae,
            name="저주받은 저택",
            genres=["공포", "스릴러"],
            fear=4,
            difficulty=3,
            min_players=3,
            max_players=6,
            price=26000,
            description="저주받은 저택에 갇혔습니다. 소름 돋는 비명과 함께 공포가 다가옵니다.",
        ),
        "sf_hongdae": RoomFactory(
            store=hongdae,
            name="우주정거장 탈출 프로토콜",
            genres=["SF"],
            fear=1,
            difficulty=5,
            min_players=2,
            max_players=4,
            price=30000,
            description="서기 2099년 우주정거장의 시스템이 멈췄습니다. 인공지능을 멈추고 지구로 귀환하세요.",
        ),
        "comic_daehakro": RoomFactory(
            store=daehakro,
            name="분식집 대소동",
            genres=["코믹"],
            fear=0,
            difficulty=2,
            min_players=2,
            max_players=8,
            price=21000,
            description="엉뚱한 사장님이 사라진 분식집에서 벌어지는 유쾌한 소동극입니다.",
            rating=4.8,
            review_count=120,
        ),
    }
    return rooms


def _ids(hits):
    return [hit.room.id for hit in hits]


def test_korean_query_matches_morphemes_where_plain_postgres_does_not(catalogue):
    hits = room_search_hybrid(query="강남에서 무서운 테마", filters=RoomSearchFilters(), method="keyword")
    assert _ids(hits)[0] == catalogue["horror_gangnam"].id
    assert hits[0].keyword_rank == 1 and hits[0].semantic_rank is None

    # The same words through PostgreSQL alone: "강남에서" is not "강남", "무서운" is not "공포".
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM rooms_room WHERE to_tsvector('simple', name || ' ' || description) "
            "@@ plainto_tsquery('simple', %s)",
            ["강남에서 무서운"],
        )
        assert cursor.fetchone()[0] == 0


def test_alias_of_region_and_genre_finds_the_room(catalogue):
    hits = room_search_hybrid(query="혜화 코미디", filters=RoomSearchFilters(), method="keyword")
    assert _ids(hits)[0] == catalogue["comic_daehakro"].id


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (RoomSearchFilters(region="홍대"), {"horror_hongdae", "sf_hongdae"}),
        (RoomSearchFilters(genres=("공포",)), {"horror_gangnam", "horror_hongdae"}),
        (RoomSearchFilters(genres=("공포", "SF")), {"horror_gangnam", "horror_hongdae", "sf_hongdae"}),
        (RoomSearchFilters(exclude_genres=("공포", "코믹")), {"mystery_gangnam", "romance_gangnam", "sf_hongdae"}),
        (RoomSearchFilters(players=6), {"horror_hongdae", "comic_daehakro"}),
        (RoomSearchFilters(players=1), set()),
        (RoomSearchFilters(difficulty_min=4), {"horror_gangnam", "sf_hongdae"}),
        (RoomSearchFilters(difficulty_max=2), {"romance_gangnam", "comic_daehakro"}),
        (RoomSearchFilters(max_price=21000), {"romance_gangnam", "comic_daehakro"}),
        (RoomSearchFilters(max_fear=0), {"mystery_gangnam", "romance_gangnam", "comic_daehakro"}),
        (RoomSearchFilters(region="강남", max_fear=0, players=2), {"mystery_gangnam", "romance_gangnam"}),
    ],
)
def test_filters_apply_inside_every_leg(catalogue, filters, expected):
    rooms_embed(room_ids=[room.id for room in catalogue.values()])
    wanted = {catalogue[key].id for key in expected}
    for method in ("keyword", "semantic", "rrf", "weighted_sum"):
        # A query that matches every room in the keyword leg: only the filters decide.
        hits = room_search_hybrid(
            query="테마 탈출 강남 홍대 혜화 공포 추리 로맨스 SF 코믹", filters=filters, method=method
        )
        if method == "semantic":
            assert set(_ids(hits)) == wanted, method
        else:
            assert set(_ids(hits)) <= wanted, method
            if method != "keyword":
                assert set(_ids(hits)) == wanted, method
    assert set(_ids(room_search_hybrid(query="", filters=filters))) == wanted


def test_excluded_rooms_are_left_out_inside_every_leg(catalogue):
    """Rooms a user played (`exclude_ids`) are a filter of each leg, not a cut after fusion: the limit fills."""
    rooms_embed(room_ids=[room.id for room in catalogue.values()])
    played = (catalogue["horror_gangnam"].id, catalogue["horror_hongdae"].id)
    filters = RoomSearchFilters(exclude_ids=played)
    everything = {room.id for room in catalogue.values()}
    for method in ("keyword", "semantic", "rrf", "weighted_sum"):
        hits = room_search_hybrid(
            query="무서운 공포 테마 탈출 강남 홍대 혜화 추리 로맨스 SF 코믹", filters=filters, method=method
        )
        assert not set(_ids(hits)) & set(played), method
        if method != "keyword":
            assert set(_ids(hits)) == everything - set(played), method
    # The horror rooms are the best answer to "공포"; with both played the limit still fills with what is left.
    assert len(room_search_hybrid(query="공포", filters=filters, limit=3, method="semantic")) == 3
    assert set(_ids(room_search_hybrid(query="", filters=filters))) == everything - set(played)
    assert set(room_list(filters=filters).values_list("id", flat=True)) == everything - set(played)


def test_inactive_rooms_are_never_found(catalogue):
    rooms_set_active(room_ids=[catalogue["horror_gangnam"].id], active=False)
    hits = room_search_hybrid(query="폐병원", filters=RoomSearchFilters(), method="keyword")
    assert catalogue["horror_gangnam"].id not in _ids(hits)
    assert room_get(room_id=catalogue["horror_gangnam"].id) is None
    assert catalogue["horror_gangnam"].id not in _ids(room_search_hybrid(query="", filters=RoomSearchFilters()))


def test_empty_query_ranks_filtered_rooms_by_rating(catalogue):
    hits = room_search_hybrid(query="  ", filters=RoomSearchFilters(players=2), limit=2)
    assert _ids(hits) == [catalogue["comic_daehakro"].id, catalogue["mystery_gangnam"].id]
    assert all(hit.keyword_rank is None and hit.semantic_rank is None for hit in hits)


def test_negated_genre_in_the_query_is_excluded(catalogue):
    rooms_embed(room_ids=[room.id for room in catalogue.values()])
    hits = room_search_hybrid(query="강남 안 무서운 테마", filters=RoomSearchFilters())
    assert hits
    assert all("공포" not in hit.room.genres for hit in hits)


def test_hybrid_fuses_both_legs_with_weighted_rrf(catalogue, settings):
    rooms_embed(room_ids=[room.id for room in catalogue.values()])
    hits = room_search_hybrid(query="귀신 나오는 무서운 곳", filters=RoomSearchFilters(), method="rrf", limit=6)
    top = hits[0]
    assert top.room.id in {catalogue["horror_gangnam"].id, catalogue["horror_hongdae"].id}
    assert top.keyword_rank is not None and top.semantic_rank is not None
    k = settings.ROOMS_SEARCH_RRF_K
    expected = settings.ROOMS_SEARCH_KEYWORD_WEIGHT / (k + top.keyword_rank) + settings.ROOMS_SEARCH_SEMANTIC_WEIGHT / (
        k + top.semantic_rank
    )
    assert top.score == pytest.approx(expected, abs=1e-6)
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)

    weighted = room_search_hybrid(query="귀신 나오는 무서운 곳", filters=RoomSearchFilters(), method="weighted_sum")
    assert 0 < weighted[0].score <= settings.ROOMS_SEARCH_KEYWORD_WEIGHT + settings.ROOMS_SEARCH_SEMANTIC_WEIGHT + 1e-9


def test_semantic_leg_finds_meaning_without_shared_words(catalogue):
    rooms_embed(room_ids=[room.id for room in catalogue.values()])
    hits = room_search_hybrid(
        query="외계인과 로봇이 나오는 미래", filters=RoomSearchFilters(), method="semantic", limit=3
    )
    assert catalogue["sf_hongdae"].id in _ids(hits)
    keyword_hits = room_search_hybrid(
        query="외계인과 로봇이 나오는 미래", filters=RoomSearchFilters(), method="keyword"
    )
    assert catalogue["sf_hongdae"].id not in _ids(keyword_hits)


def _random_catalogue(count: int, seed: int = 7) -> list[int]:
    """Rooms with random unit vectors, written directly: the index, not the model, is under test."""
    import numpy as np

    busan, gangnam = StoreFactory(region="부산"), StoreFactory(region="강남")
    rooms = Room.objects.bulk_create(
        [
            RoomFactory.build(
                store=busan if index % 10 == 0 else gangnam,
                max_players=6 if index % 10 == 0 else 4,
                name=f"무작위 {index}",
                genres=["추리"],
                difficulty=3,
                fear=0,
                activity=2,
                min_players=2,
                duration_minutes=60,
                price=20000,
                description="무작위",
            )
            for index in range(count)
        ]
    )
    vectors = np.random.default_rng(seed).normal(size=(count, 512))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for room, vector in zip(rooms, vectors, strict=True):
        Room.objects.filter(id=room.id).update(embedding=vector.tolist(), embedding_dirty=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE rooms_room")
    return [room.id for room in rooms]


def _only_the_graphs_left() -> None:
    """Inside the test's transaction (all rolled back with it): a few hundred rooms are few enough
    for the planner to prefer the table, the region index or the rating index followed by a sort (as
    it should), so only the HNSW graphs are left to it. The graphs are built again: rooms that earlier
    tests inserted and rolled back stay in a graph as dead nodes until a VACUUM, and a walk at a low
    ef_search can spend itself on them."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX rooms_room_region_active")
        cursor.execute("DROP INDEX rooms_room_rating_order")
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rooms' deferred foreign key checks, done now
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'rooms_room' AND indexdef LIKE '%%hnsw%%'"
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute(definition)


def test_hnsw_iterative_scan_fills_a_filtered_limit(settings):
    import numpy as np

    _random_catalogue(600)
    settings.ROOMS_EXACT_SCAN_MAX_ROWS = 0  # always the index
    vector = (np.random.default_rng(1).normal(size=512)).tolist()
    filters = RoomSearchFilters(players=6)  # one room in ten
    _only_the_graphs_left()
    plan = semantic_leg(vector=vector, filters=filters, limit=20, ef_search=10, explain=True)
    assert "rooms_room_embedding_hnsw" in plan
    # ef_search 10 visits ~10 rooms of which 1 in 10 passes the filter: only the iterative scan fills 20.
    approximate = semantic_leg(vector=vector, filters=filters, limit=20, ef_search=10)
    exact = semantic_leg(vector=vector, filters=filters, limit=20, exact=True)
    assert len(approximate.ids) == len(exact.ids) == 20
    # The graph's levels are drawn at random as rooms go in: at ef_search 10 most, not all, are exact.
    assert len(set(approximate.ids) & set(exact.ids)) >= 16


def test_selective_filters_switch_to_an_exact_scan(settings):
    import numpy as np

    _random_catalogue(600)
    vector = (np.random.default_rng(2).normal(size=512)).tolist()
    filters = RoomSearchFilters(players=6)
    settings.ROOMS_EXACT_SCAN_MAX_ROWS = 100  # 60 rooms for six players: compared exactly
    switched = semantic_leg(vector=vector, filters=filters, limit=20, ef_search=1)
    exact = semantic_leg(vector=vector, filters=filters, limit=20, exact=True)
    assert switched.ids == exact.ids


def test_a_region_filter_walks_that_regions_own_graph(settings):
    import numpy as np

    _random_catalogue(600)
    settings.ROOMS_EXACT_SCAN_MAX_ROWS = 100_000  # the region's graph is used however few its rooms
    vector = (np.random.default_rng(3).normal(size=512)).tolist()
    filters = RoomSearchFilters(region="부산")  # 60 rooms of 600
    _only_the_graphs_left()
    plan = semantic_leg(vector=vector, filters=filters, limit=20, explain=True)
    assert "rooms_room_hnsw_busan" in plan and "rooms_room_embedding_hnsw" not in plan
    approximate = semantic_leg(vector=vector, filters=filters, limit=20)
    exact = semantic_leg(vector=vector, filters=filters, limit=20, exact=True)
    assert len(approximate.ids) == len(exact.ids) == 20
    assert len(set(approximate.ids) & set(exact.ids)) >= 18
    assert set(approximate.ids) <= set(Room.objects.filter(region="부산").values_list("id", flat=True))


def test_query_text_cannot_inject_tsquery_syntax(catalogue):
    for query in ("공포 & | ! ( ) : * '", "' OR 1=1 --", "\\'"):
        hits = room_search_hybrid(query=query, filters=RoomSearchFilters(), method="keyword")
        assert isinstance(hits, list)


def test_room_find_by_name_tolerates_spacing_and_typos(catalogue):
    target = catalogue["sf_hongdae"]
    for name in ("우주정거장탈출프로토콜", "우주 정거장 탈출 프로토콜", "우주정거장 탈츨 프로토콜", "우주정거장"):
        matches = room_find_by_name(name=name)
        assert matches and matches[0][0].id == target.id, name
        assert 0 < matches[0][1] <= 1
    assert room_find_by_name(name="") == []
    assert room_find_by_name(name="전혀없는이름") == []


def test_search_falls_back_to_keywords_when_the_embedding_backend_fails(catalogue, settings):
    # A real failing backend: the OpenAI client pointed at a closed port on this machine.
    settings.ROOMS_EMBEDDING_BACKEND = "openai"
    settings.OPENAI_API_KEY = "sk-test-never-valid"
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.ROOMS_OPENAI_TIMEOUT_SECONDS = 2
    hits = room_search_hybrid(query="강남에서 무서운 테마", filters=RoomSearchFilters())
    assert hits[0].room.id == catalogue["horror_gangnam"].id
    assert all(hit.semantic_rank is None for hit in hits)


def test_keyword_leg_caps_a_broad_word_by_tier_then_rating(settings):
    """More matches than ROOMS_KEYWORD_RANK_MAX_ROWS: name and facts matches are still ranked, and of
    the rooms that only mention the word, the best-rated."""
    store = StoreFactory(name="보관소 강남점", region="강남")
    plain = [
        RoomFactory(
            store=store,
            name=f"평범한 방 {index}",
            genres=["추리"],
            description="오래된 창고 구석에서 보물 지도를 찾아내는 이야기입니다. " * (index + 1),
        )
        for index in range(6)
    ]
    in_name = RoomFactory(store=store, name="보물 사냥꾼", genres=["모험"], description="섬을 탐험합니다.")
    Room.objects.filter(id=plain[4].id).update(rating=4.9, review_count=10)
    Room.objects.filter(id=plain[2].id).update(rating=4.5, review_count=10)
    groups = (("보물",),)

    settings.ROOMS_KEYWORD_RANK_MAX_ROWS = 1000
    uncapped = keyword_leg(groups=groups, filters=RoomSearchFilters(), limit=7)
    assert set(uncapped.ids) == {in_name.id, *(room.id for room in plain)}
    assert uncapped.ids[0] == in_name.id

    settings.ROOMS_KEYWORD_RANK_MAX_ROWS = 2
    capped = keyword_leg(groups=groups, filters=RoomSearchFilters(), limit=2)
    assert capped.ids[0] == in_name.id  # the name tier, although it is the least rated
    assert capped.ids[1] in (plain[4].id, plain[2].id)
    # Within a filter that every room passes: the same candidates.
    in_gangnam = keyword_leg(groups=groups, filters=RoomSearchFilters(region="강남"), limit=2)
    assert in_gangnam.ids == capped.ids


def test_keyword_leg_keeps_rooms_matching_every_word_above_the_rest(settings):
    store = StoreFactory(region="강남")
    both = RoomFactory(store=store, name="평범한 방", genres=["추리"], description="보물과 유령이 나옵니다.")
    # Better rated and a stronger match for one word: still below.
    ghosts = [
        RoomFactory(
            store=store,
            name=f"유령의 집 {index}",
            genres=["공포"],
            description="유령 유령 유령이 나옵니다.",
            rating=5,
            review_count=50,
        )
        for index in range(4)
    ]
    settings.ROOMS_KEYWORD_RANK_MAX_ROWS = 1

    leg = keyword_leg(groups=(("보물",), ("유령",)), filters=RoomSearchFilters(), limit=4)

    assert leg.ids[0] == both.id
    assert len(leg.ids) == 4 and set(leg.ids[1:]) <= {room.id for room in ghosts}
    assert leg.scores[both.id] >= 2 > leg.scores[leg.ids[1]]


def test_search_leaves_the_callers_transaction_settings_as_they_were(catalogue, settings):
    settings.ROOMS_EXACT_SCAN_MAX_ROWS = 100_000  # the semantic leg's exact path changes planner settings too
    with transaction.atomic(), connection.cursor() as cursor:
        room_search_hybrid(query="강남에서 무서운 테마", filters=RoomSearchFilters(players=4))
        for setting in ("enable_indexscan", "enable_seqscan"):
            cursor.execute(f"SHOW {setting}")
            assert cursor.fetchone()[0] == "on"


def _walked(captured: CaptureQueriesContext) -> bool:
    """Whether a keyword leg walked the rating index (the walk's window) rather than only reading GIN bitmaps."""
    return any("ROWS UNBOUNDED PRECEDING" in query["sql"] for query in captured.captured_queries)


@pytest.fixture
def treasure_rooms():
    """12 rooms saying "보물": in the name of half of them, only in the description of the others."""
    store = StoreFactory(name="보관소", region="강남")
    rooms = []
    for index in range(12):
        in_name = index % 2 == 0
        room = RoomFactory(
            store=store,
            name=f"보물 창고 {index}" if in_name else f"낡은 창고 {index}",
            genres=["공포"] if index == 3 else ["모험"],
            description="섬을 탐험합니다." if in_name else "섬에서 보물을 찾습니다.",
            rating=index % 5,
            review_count=index,
        )
        rooms.append(room)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE rooms_room")  # the room count the choice between walk and bitmap reads
    return rooms


@pytest.mark.parametrize("groups", [(("보물",),), (("보물",), ("창고",))], ids=["any word", "every word"])
def test_keyword_leg_walks_tiers_with_many_matches_and_finds_what_the_bitmaps_find(
    treasure_rooms, settings, monkeypatch, groups
):
    # Half the rooms match in the name: above √(2 / 12) ≈ 41 % of the catalogue a walk pays, for the
    # name tier and the wider ones, in one walk; with two words every room matching both is a name match.
    settings.ROOMS_KEYWORD_RANK_MAX_ROWS = 2

    with CaptureQueriesContext(connection) as walk:
        walked = keyword_leg(groups=groups, filters=RoomSearchFilters(), limit=2)
    monkeypatch.setattr(search, "_first_walked_tier", lambda found, sampled, rooms, cap: len(found))
    with CaptureQueriesContext(connection) as bitmaps:
        read = keyword_leg(groups=groups, filters=RoomSearchFilters(), limit=2)

    assert _walked(walk) and not _walked(bitmaps)
    assert walked.ids == read.ids and walked.scores == read.scores
    # Of the name matches, the best-rated: ratings 4 (room 4) and 3 (rooms 8), before room 0 with 0.
    assert walked.ids == [treasure_rooms[4].id, treasure_rooms[8].id]


def test_keyword_leg_reads_bitmaps_when_the_filters_leave_few_matches(treasure_rooms, settings):
    settings.ROOMS_KEYWORD_RANK_MAX_ROWS = 2

    with CaptureQueriesContext(connection) as captured:
        leg = keyword_leg(groups=(("보물",),), filters=RoomSearchFilters(genres=("공포",)), limit=2)

    assert not _walked(captured)  # 1 room of 12 within the filters
    assert leg.ids == [treasure_rooms[3].id]


def test_keyword_leg_walk_stops_once_the_narrowest_tier_is_full(treasure_rooms, settings):
    """The walk relies on PostgreSQL stopping a window at its run condition: without it, a walk
    would read the whole rating index."""
    settings.ROOMS_KEYWORD_RANK_MAX_ROWS = 2
    with CaptureQueriesContext(connection) as captured:
        keyword_leg(groups=(("보물",),), filters=RoomSearchFilters(), limit=2)
    statement = next(query["sql"] for query in captured.captured_queries if "ROWS UNBOUNDED PRECEDING" in query["sql"])

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = DEFAULT")

    assert "Run Condition" in plan and "rooms_room_rating_order" in plan
    # Name matches are every other room by rating order (4, 4, 3, 3, ...): two of them are found
    # within the first rows, never all 12.
    walk_rows = [line for line in plan.splitlines() if "Index Scan using rooms_room_rating_order" in line]
    assert walk_rows and all("rows=12.00" not in line for line in walk_rows)


def _hit_tuples(hits) -> list[tuple]:
    return [(hit.room.id, hit.score, hit.keyword_rank, hit.semantic_rank) for hit in hits]


def _semantic_queries(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "<=>" in query["sql"]]


@pytest.mark.django_db(transaction=True)
def test_both_legs_run_at_once_outside_a_transaction(catalogue, settings):
    rooms_embed(room_ids=[room.id for room in catalogue.values()])
    settings.ROOMS_SEARCH_LEG_THREADS = 2

    with CaptureQueriesContext(connection) as together:
        at_once = room_search_hybrid(query="귀신 나오는 무서운 곳", filters=RoomSearchFilters(), limit=6)
    with transaction.atomic(), CaptureQueriesContext(connection) as inside:
        # Inside a transaction the legs take turns on its connection, which alone sees its uncommitted rows.
        in_turn = room_search_hybrid(query="귀신 나오는 무서운 곳", filters=RoomSearchFilters(), limit=6)

    assert not _semantic_queries(together)  # the HNSW walk ran on a worker's connection
    assert _semantic_queries(inside)
    assert any(hit.semantic_rank is not None for hit in at_once)
    assert _hit_tuples(at_once) == _hit_tuples(in_turn)


@pytest.mark.django_db(transaction=True)
def test_a_search_finding_every_worker_busy_runs_its_legs_in_turn(catalogue, settings):
    rooms_embed(room_ids=[room.id for room in catalogue.values()])
    settings.ROOMS_SEARCH_LEG_THREADS = 1
    search.leg_threads.close()  # a pool of the size this test sets
    release = threading.Event()
    busy = search.leg_threads.try_submit(release.wait, timeout=30)
    try:
        with CaptureQueriesContext(connection) as captured:
            hits = room_search_hybrid(query="귀신 나오는 무서운 곳", filters=RoomSearchFilters(), limit=6)
    finally:
        release.set()
        busy.result()
    search.leg_threads.close()

    assert _semantic_queries(captured)
    assert any(hit.semantic_rank is not None for hit in hits)


def test_region_and_genre_filters_narrow_the_gin_reads_without_letting_a_mention_through():
    gangnam = StoreFactory(name="열쇠공방", region="강남")
    hongdae = StoreFactory(name="퍼즐공방", region="홍대")
    horror = RoomFactory(store=gangnam, name="눈물의 병동", genres=["공포"], description="슬픈 이야기에 눈물이 납니다.")
    comic = RoomFactory(
        store=gangnam, name="눈물 젖은 빵", genres=["코믹"], description="공포 없이 웃다 보면 눈물이 납니다."
    )
    RoomFactory(store=hongdae, name="강남 가는 길", genres=["공포"], description="강남에서 온 편지에 눈물이 납니다.")
    groups = (("눈물",), ("이야기",))

    with CaptureQueriesContext(connection) as captured:
        in_gangnam = keyword_leg(groups=groups, filters=RoomSearchFilters(region="강남"), limit=5)
    horror_in_gangnam = keyword_leg(groups=groups, filters=RoomSearchFilters(region="강남", genres=("공포",)), limit=5)

    assert set(in_gangnam.ids) == {horror.id, comic.id}  # not the 홍대 room that mentions 강남
    assert horror_in_gangnam.ids == [horror.id]  # not the comedy that mentions 공포
    assert any("& (''강남'')" in query["sql"] for query in captured.captured_queries)


def test_every_region_and_genre_is_one_word_of_the_search_text():
    """_filter_words puts a region or genre filter into a tsquery as one lexeme: it must be the one
    the room's own search text carries (to_tsvector of a name with a space would split it)."""
    from rooms.vocabulary import GENRE_NAMES, REGION_NAMES

    with connection.cursor() as cursor:
        for name in (*REGION_NAMES, *GENRE_NAMES):
            cursor.execute("SELECT tsvector_to_array(to_tsvector('simple', %s))", [name])
            assert cursor.fetchone()[0] == [name.lower()]


@pytest.mark.parametrize(
    ("found", "first_walked"),
    [
        (
            (12, 12, 52),
            2,
        ),  # "인질 구출 작전": name and facts tiers from their indexes (1,200 rows each), the rest walked
        ((54, 54, 54), 0),  # "고인물 고난도": one walk of ~1,500 rows rather than 13,500 rows read three times
        ((1, 10, 21), 2),  # few name matches read from the index, the rest walked
        ((9, 9, 9), 3),  # 2 %, uncertain: a walk might read 11,000 rows; the indexes' 2,000 rows each are sure
        ((0, 0, 0), 3),
    ],
)
def test_first_walked_tier_reads_the_fewest_rows(found, first_walked):
    assert search._first_walked_tier(list(found), 400, 100_000, 150) == first_walked
    assert search._first_walked_tier(list(found), 400, 150, 150) == 3  # a small catalogue reads its indexes
