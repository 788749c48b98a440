"""Dialogue state across turns and the search filters it becomes."""

from chat.dialogue import state_empty, state_filters, state_has_condition, state_merge
from chat.nlu.local import local_analyze


def turns(*texts: str) -> dict:
    state = state_empty()
    for text in texts:
        state = state_merge(state=state, entities=local_analyze(text).entities, text=text)
    return state


def test_later_turns_refine_earlier_ones():
    state = turns("강남 추천해줘", "공포로 4명")
    assert (state["region"], state["genres"], state["players"]) == ("강남", ["공포"], 4)
    filters = state_filters(state)
    assert (filters.region, filters.genres, filters.players) == ("강남", ("공포",), 4)


def test_negation_removes_a_wanted_genre_and_keeps_it_out():
    state = turns("강남 추천해줘", "공포로 4명", "공포 말고")
    assert state["genres"] == [] and state["exclude_genres"] == ["공포"]
    assert (state["region"], state["players"]) == ("강남", 4)
    filters = state_filters(state)
    assert filters.exclude_genres == ("공포",) and filters.max_fear == 2
    state = turns("강남 추천해줘", "공포 말고", "추리로")
    assert (state["genres"], state["exclude_genres"]) == (["추리"], ["공포"])


def test_asking_again_for_an_excluded_genre_lifts_the_exclusion():
    state = turns("공포 말고 강남", "역시 공포로 할래")
    assert (state["genres"], state["exclude_genres"]) == (["공포"], [])


def test_new_values_replace_old_ones():
    state = turns("강남 넷이 추리", "홍대로 바꿔줘", "셋이서", "초보", "2만원 이하")
    assert (state["region"], state["players"], state["difficulty"], state["max_price"]) == ("홍대", 3, "easy", 20000)
    filters = state_filters(state)
    assert (filters.difficulty_min, filters.difficulty_max, filters.max_price) == (1, 2, 20000)
    assert state_filters(turns("고인물 넷")).difficulty_min == 4


def test_start_over_clears_the_state():
    state = turns("강남 넷이 공포", "처음부터 다시 홍대 추리")
    assert (state["region"], state["genres"], state["players"]) == ("홍대", ["추리"], None)


def test_a_request_without_conditions_has_none():
    assert not state_has_condition(turns("추천해줘"))
    assert state_has_condition(turns("추천해줘", "강남"))
    assert state_has_condition(turns("공포 말고"))
