"""The issue's observed failures, each written as the conversation that failed, through `conversation_reply` on a
catalogue built for them (`fan_catalogue`): sequel and ambiguous names, condition words read as names, party size
changes, references and bare questions, fear caps, activity, ranking, asking for the region, dead ends, English."""

from __future__ import annotations

import re

import pytest

from chat.models import ChatSession
from chat.services import conversation_reply
from testing.factories import UserFactory

URL = re.compile(r"https?://|www\.")


class Chat:
    """One conversation: each `say` continues the same session and returns the result."""

    def __init__(self, user):
        self.user = user
        self.session_id = None

    def say(self, text: str):
        result = conversation_reply(user=self.user, session_id=self.session_id, text=text)
        self.session_id = result.session.id
        assert not URL.search(result.reply), result.reply  # links live on the cards, never in the text
        return result

    @property
    def state(self) -> dict:
        return ChatSession.objects.get(id=self.session_id).state


@pytest.fixture
def chat(fan_catalogue):
    return Chat(UserFactory())


def names(result) -> list[str]:
    return [room.name for room in result.rooms]


# --- 1. the wrong room's facts ----------------------------------------------------------------------------------
def test_a_sequel_number_picks_the_sequel_not_the_first(chat, fan_catalogue):
    result = chat.say("수상한 분식집 대작전 2 몇명까지 돼?")
    assert result.intent == "room_inquiry" and names(result) == ["수상한 분식집 대작전 2"]
    assert "2~6명" in result.reply and "골목의비밀 건대점" in result.reply
    first = chat.say("수상한 분식집 대작전 몇 분이야?")
    assert names(first) == ["수상한 분식집 대작전"] and "시간의문 대전점" in first.reply


@pytest.mark.parametrize("text", ["수상한 분식집 대작전 시즌2 얼마예요?", "수상한분식집대작전2 가격"])
def test_sequels_written_other_ways(chat, text):
    assert names(chat.say(text)) == ["수상한 분식집 대작전 2"]


def test_a_name_several_rooms_share_asks_which_naming_the_stores(chat):
    result = chat.say("수상한 분식집 얼마예요?")
    assert result.rooms == [] and "여러 개" in result.reply
    for store in ("시간의문 대전점", "골목의비밀 건대점", "탈출일기 신촌점", "잠긴서재 강남점"):
        assert store in result.reply
    assert len(result.suggestions) == 4 and all(s["message"] for s in result.suggestions)
    # A chip sends the store and the name: the question asked (the price) is answered for that room.
    chosen = chat.say(result.suggestions[1]["message"])
    assert chosen.intent == "room_inquiry" and len(chosen.rooms) == 1
    assert f"{chosen.rooms[0].price:,}원" in chosen.reply


def test_which_one_answered_by_number_or_by_store(chat):
    chat.say("수상한 분식집 얼마예요?")
    order = [room_id for room_id in chat.state["pending"]["options"]]
    second = chat.say("두 번째 거")
    assert [room.id for room in second.rooms] == [order[1]] and "원" in second.reply
    chat.say("수상한 분식집 얼마예요?")
    by_store = chat.say("건대점 거요")
    assert names(by_store) == ["수상한 분식집 대작전 2"]


def test_the_store_said_with_the_name_decides(chat):
    result = chat.say("탈출일기 신촌점 수상한 분식집 대소동 얼마에요")
    assert names(result) == ["수상한 분식집의 대소동"] and "21,000원" in result.reply


# --- 2. everyday requests misread as room names -----------------------------------------------------------------
def test_condition_words_are_a_request_not_a_room_name(chat):
    result = chat.say("안 무서운 건대 테마")
    assert result.intent == "room_recommendation" and "찾지 못했어요" not in result.reply
    assert result.rooms and all(room.region == "건대" and room.fear <= 1 for room in result.rooms)


def test_veterans_asking_for_hard_rooms_get_hard_rooms(chat):
    first = chat.say("고인물 4인 홍대 공포")
    assert first.rooms and all(room.difficulty >= 4 and room.region == "홍대" for room in first.rooms)
    assert "인형의 집" not in names(first)  # an easy horror room is no veteran's room
    again = chat.say("노힌트로 깰만한 빡센거")
    assert again.intent == "room_recommendation" and again.entities["difficulty"] == "hard"
    assert all(room.difficulty >= 4 for room in again.rooms)
    assert "초보" not in again.reply and "입문" not in again.reply


# --- 3. party-size changes ----------------------------------------------------------------------------------------
def test_one_more_came_so_five(chat):
    chat.say("강남 4명 공포")
    result = chat.say("아 한명 더 와서 다섯명")
    assert chat.state["players"] == 5 and "5명" in result.reply and "1명" not in result.reply
    assert result.rooms and all(room.min_players <= 5 <= room.max_players for room in result.rooms)


def test_from_three_to_four(chat):
    chat.say("홍대 3명 추리")
    chat.say("3명에서 4명으로 늘었어")
    assert chat.state["players"] == 4 and chat.state["region"] == "홍대" and chat.state["genres"] == ["추리"]


def test_one_more_adds_to_the_party(chat):
    chat.say("강남에서 4명이서 할만한 공포 테마")
    result = chat.say("한 명 더")
    assert chat.state["players"] == 5 and all(room.max_players >= 5 for room in result.rooms)


# --- 4. follow-ups ---------------------------------------------------------------------------------------------
def test_bare_questions_after_a_room_answer_are_about_that_room(chat, fan_catalogue):
    forest = fan_catalogue["검은 숲"]
    chat.say("검은 숲 몇 분이야?")
    expected = {
        "무서워요?": f"공포도는 5점 만점에 {forest.fear}점",
        "가격은?": f"{forest.price:,}원",
        "거기 몇명까지 돼?": f"{forest.min_players}~{forest.max_players}명",
        "예약은 어떻게 해?": "예약하기",
        "몇 분이야?": f"{forest.duration_minutes}분",
    }
    for text, fact in expected.items():
        result = chat.say(text)
        assert result.intent == "room_inquiry" and names(result) == ["검은 숲"], text
        assert fact in result.reply, (text, result.reply)


def test_the_second_one_of_a_list(chat):
    listed = chat.say("강남에서 4명이서 할만한 공포 테마")
    assert len(listed.rooms) >= 2
    second = listed.rooms[1]
    result = chat.say("두 번째 거 무서워요?")
    assert names(result) == [second.name] and f"{second.fear}점" in result.reply
    price = chat.say("가격은?")
    assert names(price) == [second.name]
    first = chat.say("첫 번째 거 몇명까지 돼?")
    assert names(first) == [listed.rooms[0].name]


def test_a_bare_question_right_after_a_list_answers_for_each_room(chat):
    listed = chat.say("강남에서 4명이서 할만한 공포 테마")
    result = chat.say("가격은?")
    assert names(result) == names(listed)
    for room in listed.rooms:
        assert room.name in result.reply and f"{room.price:,}원" in result.reply


def test_the_canned_example_question_works(chat):
    """The old canned introduction suggested "검은 숲 테마 몇 분이야?" and then answered it with "찾지 못했어요"."""
    result = chat.say("어떤 테마가 좋아?")
    example = re.search(r"'([^']+ 몇 분이야\?)'", chat.say("그 테마 몇 분이야?").reply)
    assert result.intent in ("general_chat", "room_recommendation")
    assert example, "a question about no room names an example"
    answer = chat.say(example.group(1))
    assert answer.intent == "room_inquiry" and len(answer.rooms) == 1 and "분이에요" in answer.reply


def test_something_easier_moves_below_and_never_repeats_the_list(chat):
    first = chat.say("강남 공포")
    assert first.rooms
    easier = chat.say("좀 더 쉬운 거")
    assert names(easier) != names(first)
    lowest = min(room.difficulty for room in first.rooms)
    assert all(room.difficulty < max(room.difficulty for room in first.rooms) for room in easier.rooms)
    assert all(room.difficulty <= lowest for room in easier.rooms) or easier.rooms == []


def test_less_scary(chat):
    first = chat.say("건대 공포 넷")
    calmer = chat.say("덜 무서운 거")
    assert calmer.rooms and max(room.fear for room in calmer.rooms) < max(room.fear for room in first.rooms)


# --- 5. fear, activity and ranking --------------------------------------------------------------------------------
def test_not_scary_caps_fear_and_puts_the_calmest_first(chat):
    result = chat.say("건대 안무서운거")
    assert result.rooms and all(room.fear <= 1 and "공포" not in room.genres for room in result.rooms)
    assert "건대 흉가" not in names(result) and "창고의 목격자" not in names(result)  # fear 2: not "안 무서운"
    assert result.rooms[0].fear == 0


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [("건대 조금 무서운 거", 2, 3), ("건대 엄청 무서운 거", 4, 5), ("쫄보 넷이 건대", 0, 1)],
)
def test_fear_levels(chat, text, low, high):
    result = chat.say(text)
    assert result.rooms and all(low <= room.fear <= high for room in result.rooms)


def test_active_rooms(chat):
    result = chat.say("건대 활동적인거")
    assert result.rooms and all(room.activity >= 4 for room in result.rooms)
    assert result.rooms[0].activity == 5
    sitting = chat.say("앉아서 푸는 걸로")
    assert sitting.rooms and all(room.activity <= 2 for room in sitting.rooms)


def test_beginners_get_the_best_rated_rooms_with_many_reviews_first(chat):
    result = chat.say("강남 방린이 둘이서")
    assert names(result)[0] == "첫사랑 카페"  # 4.7 from 300 reviews
    assert names(result).index("첫사랑 카페") < names(result).index("꽃집의 편지")  # above 5.0 from 3


# --- 6. asking where ---------------------------------------------------------------------------------------------
def test_no_region_asks_where_with_chips_before_listing(chat):
    result = chat.say("쫄보3명인데 무섭지않은거 있음?")
    assert result.rooms == [] and "어느 지역" in result.reply
    labels = [suggestion["label"] for suggestion in result.suggestions]
    assert "어디든 괜찮아요" in labels and "건대" in labels
    assert chat.state["players"] == 3 and chat.state["fear"] == "low"  # the conditions wait for the answer
    answer = chat.say("건대")
    assert answer.rooms and all(room.region == "건대" and room.fear <= 1 for room in answer.rooms)
    assert all(room.min_players <= 3 <= room.max_players for room in answer.rooms)


def test_anywhere_searches_every_region(chat):
    chat.say("추리 둘이")
    result = chat.say("어디든 괜찮아요")
    assert result.rooms and all("추리" in room.genres for room in result.rooms)
    assert len({room.region for room in result.rooms}) >= 1 and chat.state["any_region"]


def test_a_favourite_region_is_used_and_said(fan_catalogue):
    user = UserFactory(favorite_regions=["홍대"])
    result = Chat(user).say("공포 테마 추천해줘")
    assert result.rooms and {room.region for room in result.rooms} == {"홍대"}
    assert "선호 지역인 홍대로 찾았어요" in result.reply


def test_another_region_asks_again_offering_the_nearest(chat):
    chat.say("홍대 추리")
    result = chat.say("다른 지역")
    assert "어느 지역" in result.reply
    labels = [suggestion["label"] for suggestion in result.suggestions]
    assert "홍대" not in labels and labels[0] == "신촌"  # 신촌 is next to 홍대


# --- 7 and 8. replies, dead ends ----------------------------------------------------------------------------------
def test_a_list_is_one_summary_and_a_line_per_room_with_a_new_tip(chat):
    result = chat.say("강남 4명 공포")
    lines = result.reply.splitlines()
    assert len(lines) == 1 + len(result.rooms) + 1
    for index, room in enumerate(result.rooms, start=1):
        assert lines[index].startswith(f"{index}. {room.name}")
        assert f"{room.price:,}원" not in lines[index]  # the facts are on the card
    assert "'4명'" not in lines[-1] and "'홍대로'" not in lines[-1]  # no tip about what the user already said
    second = chat.say("두 명 더")
    assert second.reply.splitlines()[-1] != lines[-1]  # the tip moves on


def test_alone_in_sinchon_says_what_blocks_it_and_offers_the_nearest(chat):
    result = chat.say("혼자 가도 되는 방 있나요? 신촌이요")
    assert result.rooms == [] and "인원" in result.reply and "걸림돌" in result.reply
    messages = [suggestion["message"] for suggestion in result.suggestions]
    assert "인원 상관없이" in messages and "홍대로" in messages  # 홍대 is next door and has a room for one
    nearby = chat.say("홍대로")
    assert names(nearby) == ["혼자 푸는 암호"]
    chat.say("신촌")
    relaxed = chat.say("인원 상관없이")
    assert relaxed.rooms and {room.region for room in relaxed.rooms} == {"신촌"}


def test_more_shows_other_rooms_then_says_when_there_are_none(chat, fan_catalogue):
    in_region = {name for name, room in fan_catalogue.items() if room.region == "건대"}
    seen = names(chat.say("건대 추천해줘"))
    while True:
        more = chat.say("다른 거 없어?")
        if not more.rooms:
            break
        assert not set(names(more)) & set(seen)  # never a room already shown
        seen += names(more)
    assert set(seen) == in_region and "모두 보여 드렸어요" in more.reply
    assert "걸림돌" not in more.reply


# --- 9. English ------------------------------------------------------------------------------------------------
HANGUL_SENTENCE = re.compile(r"[가-힣]{2,}(?:요|다|까)[.?!]?(?:\s|$)")


def english(reply: str, room_names: list[str] = ()) -> bool:
    for name in room_names:
        reply = reply.replace(name, "")
    return not HANGUL_SENTENCE.search(re.sub(r"\([^)]*\)", "", reply))


def test_english_in_english_out_and_follow_ups_keep_the_conditions(chat, fan_catalogue):
    all_names = list(fan_catalogue)
    first = chat.say("Any horror rooms in Gangnam for 4 people?")
    assert first.rooms and all(room.region == "강남" and "공포" in room.genres for room in first.rooms)
    assert english(first.reply, all_names) and first.reply.startswith(f"{len(first.rooms)} room")
    three = chat.say("we are 3")
    assert chat.state["players"] == 3 and chat.state["region"] == "강남" and english(three.reply, all_names)
    mystery = chat.say("actually not horror, mystery instead")
    assert chat.state["genres"] == ["미스터리"] and chat.state["exclude_genres"] == ["공포"]
    assert chat.state["region"] == "강남" and chat.state["players"] == 3 and english(mystery.reply, all_names)


@pytest.mark.parametrize(
    "turns",
    [
        ["something easier please"],
        ["hi"],
        ["thanks!"],
        ["any tips for first timers?"],
        ["how scary is 검은 숲?"],
        ["how much is 수상한 분식집?"],
        ["is it scary?"],
        ["not scary please, we are 3"],
        ["mystery rooms in sinchon for one"],
        ["Any horror rooms in Gangnam for 4 people?", "is the second one scary?", "how do I book it?"],
        ["horror in hongdae for 4", "one more person joined"],
        ["horror in hongdae", "one more friend is coming"],
    ],
)
def test_every_kind_of_reply_comes_in_english(chat, fan_catalogue, turns):
    for text in turns:
        result = chat.say(text)
        assert english(result.reply, list(fan_catalogue)), (text, result.reply)
        for suggestion in result.suggestions:
            assert english(suggestion["message"], list(fan_catalogue)) or suggestion["message"].split()[0] in {
                store for store in (room.store.name.split()[0] for room in fan_catalogue.values())
            }


def test_korean_stays_korean(chat):
    result = chat.say("강남 공포 4명")
    assert "조건에 맞는 테마" in result.reply
