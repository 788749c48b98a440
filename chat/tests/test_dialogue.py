"""Dialogue state across turns: conditions, references, relative changes, and the search filters they become."""

import pytest

from chat.dialogue import (
    state_empty,
    state_filters,
    state_focus,
    state_has_condition,
    state_public,
    state_remove,
    state_shown,
    state_update,
)
from chat.nlu.local import local_analyze


def turns(*texts: str, shown: list[dict] | None = None) -> dict:
    state = state_empty()
    for text in texts:
        state = state_update(state=state, analysis=local_analyze(text), text=text).state
        if shown is not None:
            state = state_shown(state, shown)
    return state


def room(room_id: int, difficulty: int = 3, fear: int = 0, activity: int = 3) -> dict:
    return {"id": room_id, "difficulty": difficulty, "fear": fear, "activity": activity}


def say(state: dict, text: str):
    return state_update(state=state, analysis=local_analyze(text), text=text)


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


# --- party size changes (the issue: "아 한명 더 와서 다섯명" kept 1, "3명에서 4명으로" kept 3) ---------------
@pytest.mark.parametrize(
    ("before", "text", "after"),
    [
        ("강남 4명 공포", "아 한명 더 와서 다섯명", 5),
        ("홍대 3명 추리", "3명에서 4명으로 늘었어", 4),
        ("홍대 3명 추리", "한 명 더", 4),
        ("잠실 다섯명 코믹", "한명 빠졌어", 4),
        ("신림 추리 둘", "두명 더 와요", 4),
        ("강남 공포 4명", "we are 3", 3),
        ("강남 공포 4명", "one more person joined", 5),
    ],
)
def test_party_size_changes_keep_the_other_conditions(before, text, after):
    state = turns(before, text)
    assert state["players"] == after
    assert state["region"] == turns(before)["region"] and state["genres"] == turns(before)["genres"]


def test_one_more_without_a_party_size_is_noted_not_guessed():
    update = say(turns("홍대 공포"), "한 명 추가요")
    assert update.state["players"] is None and "delta_without_players" in update.notes


# --- references ------------------------------------------------------------------------------------------------
def test_ordinals_and_bare_questions_refer_to_the_rooms_shown():
    state = state_shown(turns("강남 4명 공포"), [room(11), room(12), room(13)])
    second = say(state, "두 번째 거 무서워요?")
    assert second.referents == [12] and second.state["focus"] == 12
    assert second.state["region"] == "강남" and second.state["players"] == 4  # a question changes no condition
    assert say(second.state, "가격은?").referents == [12]  # the room talked about last
    assert say(second.state, "거기 몇명까지 돼?").referents == [12]
    assert say(second.state, "첫 번째 거 몇 분이야?").referents == [11]  # the list is still there
    assert say(second.state, "마지막 거 예약은?").referents == [13]
    assert say(state, "가격은?").referents == [11, 12, 13]  # nothing singled out yet: each room shown
    assert say(state, "the second one?").referents == [12]


def test_a_reference_past_the_list_is_noted():
    state = state_shown(turns("강남 공포"), [room(1), room(2)])
    update = say(state, "세 번째 거 어려워?")
    assert update.referents == [] and "no_such_room:3" in update.notes


def test_a_room_answered_by_name_becomes_the_one_talked_about():
    state = state_focus(turns("강남 공포"), room(42))
    assert say(state, "무서워요?").referents == [42]


def test_a_new_list_forgets_the_room_talked_about():
    state = state_shown(turns("강남 공포"), [room(1), room(2)])
    state = say(state, "두 번째 거 무서워요?").state
    state = say(state, "3명").state
    assert state["focus"] is None


# --- relative changes ------------------------------------------------------------------------------------------
def test_easier_moves_below_the_rooms_shown_and_keeps_the_rest():
    state = state_shown(turns("홍대 넷이 추리"), [room(1, difficulty=4), room(2, difficulty=4), room(3, difficulty=3)])
    state = say(state, "좀 더 쉬운 거").state
    assert state["difficulty"] == [1, 3] and (state["region"], state["players"], state["genres"]) == (
        "홍대",
        4,
        ["추리"],
    )
    filters = state_filters(state)
    assert (filters.difficulty_min, filters.difficulty_max) == (1, 3)
    state = state_shown(state, [room(3, difficulty=3), room(4, difficulty=2), room(5, difficulty=3)])
    assert say(state, "더 쉬운걸로").state["difficulty"] == [1, 2]  # always below what was just shown


def test_easier_at_the_bottom_is_noted():
    state = state_shown(turns("강남 초보"), [room(1, difficulty=1)])
    update = say(state, "좀 더 쉬운 거")
    assert update.state["difficulty"] == [1, 1] and "difficulty_lowest" in update.notes


def test_harder_less_and_more_scary():
    shown = [room(1, difficulty=2, fear=5), room(2, difficulty=1, fear=4), room(3, difficulty=2, fear=5)]
    state = state_shown(turns("강남 방린이 셋 공포"), shown)
    assert say(state, "더 빡센거").state["difficulty"] == [3, 5]
    assert say(state, "덜 무서운 거").state["fear"] == [0, 4]
    filters = state_filters(say(state, "덜 무서운 거").state)
    assert (filters.min_fear, filters.max_fear) == (None, 4)
    calm = state_shown(turns("홍대 조금 무서운 거"), [room(1, fear=2), room(2, fear=3), room(3, fear=2)])
    assert say(calm, "더 무서운 거 없나").state["fear"] == [3, 5]


def test_relative_changes_without_rooms_shown_mean_the_end_of_the_scale():
    assert turns("좀 더 쉬운 거")["difficulty"] == "easy"
    assert turns("덜 무서운 거")["fear"] == "low"


def test_region_changes():
    state = turns("강남 공포 3명", "지역 바꿔서 건대로")
    assert (state["region"], state["genres"], state["players"]) == ("건대", ["공포"], 3)
    other = say(state, "다른 지역")
    assert other.state["region"] is None and other.state["pending"] == {"kind": "region", "avoid": "건대"}
    anywhere = say(other.state, "어디든 괜찮아요").state
    assert anywhere["any_region"] and anywhere["region"] is None and anywhere["genres"] == ["공포"]
    assert say(anywhere, "홍대로").state["any_region"] is False


def test_not_horror_mystery_instead_keeps_the_rest():
    state = turns("Any horror rooms in Gangnam for 4 people?", "actually not horror, mystery instead")
    assert (state["genres"], state["exclude_genres"], state["region"], state["players"]) == (
        ["미스터리"],
        ["공포"],
        "강남",
        4,
    )


def test_more_keeps_the_conditions_and_leaves_out_what_was_shown():
    state = state_shown(turns("성수 커플 테마"), [room(1), room(2)])
    state = say(state, "다른 거 없어?").state
    assert state["seen"] == [1, 2] and state_filters(state).exclude_ids == (1, 2)
    assert say(state, "3명").state["seen"] == []  # new conditions, a fresh search


def test_dropping_a_condition():
    state = turns("혼자 가도 되는 방 있나요? 신촌이요", "인원 상관없이")
    assert (state["players"], state["region"]) == (None, "신촌")
    state = turns("안무서운거 둘이 홍대", "공포도 상관없어")
    assert state["fear"] is None and state["exclude_genres"] == []


# --- fear and activity become filters --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "min_fear", "max_fear", "excluded"),
    [
        ("안 무서운 거", None, 1, ("공포",)),
        ("무섭지 않은 테마", None, 1, ("공포",)),
        ("쫄보 둘이", None, 1, ("공포",)),
        ("조금 무서운 거", 2, 3, ()),
        ("엄청 무서운 거", 4, 5, ()),
    ],
)
def test_fear_words_cap_or_floor_the_fear(text, min_fear, max_fear, excluded):
    filters = state_filters(turns(text))
    assert (filters.min_fear, filters.max_fear, filters.exclude_genres) == (min_fear, max_fear, excluded)


def test_activity_words_bound_the_activity():
    active = state_filters(turns("활동적인거"))
    assert (active.min_activity, active.max_activity) == (4, 5)
    assert state_filters(turns("몸 쓰는 테마")).min_activity == 4
    sitting = state_filters(turns("앉아서 푸는 테마"))
    assert (sitting.min_activity, sitting.max_activity) == (1, 2)


def test_chips_show_and_remove_conditions():
    state = turns("건대 안무서운거 넷 활동적인")
    public = state_public(state)
    assert public["fear"] == "low" and public["activity"] == "high" and "shown" not in public
    assert state_remove(state=state, slot="fear")["fear"] is None
    with pytest.raises(ValueError):
        state_remove(state=state, slot="shown")


def test_a_state_stored_before_the_new_keys_still_works():
    old = {"region": "강남", "genres": ["공포"], "exclude_genres": [], "players": 4, "difficulty": None}
    old["max_price"], old["asked_clarification"] = None, True
    update = say(old, "한 명 더")
    assert update.state["players"] == 5 and update.state["fear"] is None and "asked_clarification" not in update.state
