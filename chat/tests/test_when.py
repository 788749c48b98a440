"""Time in the conversation: reading days and times, the `when` condition, open slots on the cards, and what is
offered when nothing is open in the window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chat.dialogue import state_filters, state_remove, state_update
from chat.eval import EVAL_NOW, turns_load
from chat.eval.scoring import window_text
from chat.models import ChatSession
from chat.nlu.local import local_analyze
from chat.nlu.when import SEOUL, when_combine, when_parse
from chat.services import conversation_reply
from rooms.models import TimeSlot
from testing.factories import TimeSlotFactory

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=SEOUL)  # a Wednesday afternoon


def window(text: str, now: datetime = NOW) -> tuple[str, str, str] | None:
    when = when_parse(text, now=now)
    if when is None:
        return None
    return f"{when.start:%m-%d %H:%M}", f"{when.end:%m-%d %H:%M}", when.label


# --- reading --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("이번 주 토요일 저녁 7시쯤", ("12-05 18:00", "12-05 20:00", "토 12/5 19시 전후")),
        ("오늘", ("12-02 00:00", "12-03 00:00", "수 12/2")),
        ("내일", ("12-03 00:00", "12-04 00:00", "목 12/3")),
        ("모레", ("12-04 00:00", "12-05 00:00", "금 12/4")),
        ("다음 주 금요일", ("12-11 00:00", "12-12 00:00", "금 12/11")),
        ("주말", ("12-05 00:00", "12-07 00:00", "주말 12/5–12/6")),
        ("12월 5일", ("12-05 00:00", "12-06 00:00", "토 12/5")),
        ("12/5", ("12-05 00:00", "12-06 00:00", "토 12/5")),
        ("this Saturday", ("12-05 00:00", "12-06 00:00", "토 12/5")),
        ("토요일 오전", ("12-05 09:00", "12-05 12:00", "토 12/5 오전")),
        ("토요일 오후", ("12-05 12:00", "12-05 18:00", "토 12/5 오후")),
        ("토요일 저녁", ("12-05 18:00", "12-05 22:00", "토 12/5 저녁")),
        ("토요일 밤", ("12-05 20:00", "12-06 00:00", "토 12/5 밤")),
        ("토요일 7시", ("12-05 18:30", "12-05 19:30", "토 12/5 19시")),
        ("토요일 오전 7시", ("12-05 06:30", "12-05 07:30", "토 12/5 7시")),
        ("토요일 오후 2시 반", ("12-05 14:00", "12-05 15:00", "토 12/5 14:30")),
        ("토요일 19:30", ("12-05 19:00", "12-05 20:00", "토 12/5 19:30")),
        ("토요일 7시 이후", ("12-05 19:00", "12-06 00:00", "토 12/5 19시 이후")),
        ("토요일 2시에서 5시 사이", ("12-05 14:00", "12-05 17:00", "토 12/5 14–17시")),
        ("토요일 세 시", ("12-05 14:30", "12-05 15:30", "토 12/5 15시")),
        ("around 7pm tomorrow", ("12-03 18:00", "12-03 20:00", "목 12/3 19시 전후")),
        ("next friday between 2 and 5", ("12-11 14:00", "12-11 17:00", "금 12/11 14–17시")),
        ("12월 19일 토요일", ("12-19 00:00", "12-20 00:00", "토 12/19")),
        ("1월 3일", ("01-03 00:00", "01-04 00:00", "일 1/3")),  # a date passed this year is next year's
    ],
)
def test_days_and_times_read_into_a_window(text, expected):
    assert window(text) == expected


def test_a_time_without_a_day_is_today_unless_it_has_passed():
    assert window("7시쯤") == ("12-02 18:00", "12-02 20:00", "수 12/2 19시 전후")
    assert window("오전 11시") == ("12-03 10:30", "12-03 11:30", "목 12/3 11시")  # 15:00 now: tomorrow's


@pytest.mark.parametrize(
    "text", ["4명", "2인", "3만원", "난이도 4", "2-4인", "7시간짜리", "4/5점", "평점 4.5", "60분", "1인 2만5천원"]
)
def test_numbers_of_other_things_are_no_times(text):
    assert when_parse(text, now=NOW) is None


def test_the_conditions_around_a_time_are_still_read():
    analysis = local_analyze("이번 주 토요일 저녁 7시쯤 강남 공포 4명", now=NOW)
    entities = analysis.entities
    assert analysis.intent == "room_recommendation"
    assert (entities.region, entities.genres, entities.players) == ("강남", ["공포"], 4)
    assert entities.when.label == "토 12/5 19시 전후"
    # "다섯 시" is a time, not a party of five.
    five = local_analyze("토요일 다섯시에 셋이 홍대", now=NOW).entities
    assert (five.players, five.when.label) == (3, "토 12/5 17시")


def test_any_time_clears_the_window():
    assert local_analyze("시간 상관없어", now=NOW).entities.adjust == ["drop_when"]
    assert local_analyze("any time is fine", now=NOW).entities.adjust == ["drop_when"]


def test_every_labelled_window_of_train_and_dev_is_exact_and_heldout_meets_the_target():
    turns = turns_load()
    timed = [turn for turn in turns if "when" in turn.slots]
    assert len(timed) >= 90
    results = {"train": [], "dev": [], "heldout": []}
    for turn in turns:
        guess = window_text(local_analyze(turn.text, now=EVAL_NOW).entities.when)
        results[turn.split].append(guess == turn.slots.get("when"))
    assert all(results["train"]) and all(results["dev"])
    assert sum(results["heldout"]) / len(results["heldout"]) >= 0.95


# --- the dialogue ---------------------------------------------------------------------------------------------
def turn(state, text):
    return state_update(state=state, analysis=local_analyze(text), text=text).state


def test_a_new_day_keeps_the_time_a_new_time_keeps_the_day_and_any_time_clears():
    state = turn(None, "이번 주 토요일 저녁 7시쯤 강남 공포 4명")
    saturday = state["when"]
    assert saturday["label"].startswith("토 ") and saturday["label"].endswith("19시 전후")
    state = turn(state, "아 일요일로 바꿔줘")
    assert state["when"]["label"].startswith("일 ") and state["when"]["label"].endswith("19시 전후")
    assert (state["region"], state["genres"], state["players"]) == ("강남", ["공포"], 4)
    state = turn(state, "7시 말고 9시")
    assert state["when"]["label"].startswith("일 ") and state["when"]["label"].endswith(" 21시")
    filters = state_filters(state)
    start = datetime.fromisoformat(state["when"]["start"])
    assert filters.available_from == start and filters.available_to == start + timedelta(hours=1)
    assert turn(state, "시간 상관없어")["when"] is None
    assert state_remove(state=state, slot="when")["when"] is None


def test_combining_keeps_the_parts_not_said():
    old = when_parse("토요일 저녁 7시쯤", now=NOW)
    assert when_combine(old, when_parse("일요일", now=NOW), now=NOW).label == "일 12/6 19시 전후"
    assert when_combine(old, when_parse("9시", now=NOW), now=NOW).label == "토 12/5 21시"
    # A bare weekday after another day is that weekday of the same week.
    next_week = when_parse("다음 주 토요일 저녁 8시쯤", now=NOW)
    sunday = when_combine(next_week, when_parse("아 그날 말고 일요일", now=NOW), now=NOW)
    assert sunday.label == "일 12/13 20시 전후"
    assert when_combine(next_week, when_parse("다음 주 일요일", now=NOW), now=NOW).label == "일 12/13 20시 전후"
    assert when_combine(next_week, when_parse("이번 주 일요일", now=NOW), now=NOW).label == "일 12/6 20시 전후"


def test_tomorrow_in_slang_after_another_word_but_not_inside_a_verb():
    morning = NOW.replace(hour=9)
    assert when_parse("그냥 낼 점심때", now=morning).label == "목 12/3 점심"
    assert when_parse("보낼 만한 곳", now=morning) is None


# --- search and cards -----------------------------------------------------------------------------------------
def slot_at(room, when, minutes: int, **kwargs) -> TimeSlot:
    return TimeSlotFactory(room=room, starts_at=when.start + timedelta(minutes=minutes), **kwargs)


def test_a_time_keeps_only_rooms_with_an_open_slot_and_the_cards_carry_them(user, catalogue):
    when = when_parse("이번 주 토요일 저녁 7시쯤")
    forest, vault = catalogue["검은 숲"], catalogue["지하 납골당"]
    first = slot_at(forest, when, 20, booking_url="https://booking.example.com/slot/1")
    second = slot_at(forest, when, 100)
    slot_at(forest, when, -120)  # before the window
    slot_at(vault, when, 60, status=TimeSlot.Status.BOOKED)  # 지하 납골당 is sold out then
    result = conversation_reply(user=user, session_id=None, text="이번 주 토요일 저녁 7시쯤 강남 공포 4명")
    assert [room.name for room in result.rooms] == ["검은 숲"]
    card = result.recommendations[0]
    assert [slot["id"] for slot in card["slots"]] == [first.id, second.id]
    assert card["slots"][0]["booking_url"] == "https://booking.example.com/slot/1"
    assert card["slots"][1]["booking_url"] == forest.store.booking_url  # no link of its own: the store's
    assert card["slots"][0]["label"].startswith("토 ")
    assert "19시 전후 예약 가능" in result.reply
    assert result.session.state["when"]["label"].endswith("19시 전후")


def test_cards_have_no_slots_without_a_time(user, catalogue):
    result = conversation_reply(user=user, session_id=None, text="강남 공포 4명")
    assert result.rooms and all("slots" not in card for card in result.recommendations)


def test_nothing_open_offers_the_same_rooms_at_other_times_and_other_rooms_then(user, catalogue):
    when = when_parse("이번 주 토요일 저녁 7시쯤")
    forest, library = catalogue["검은 숲"], catalogue["시간 여행자의 서재"]
    later = slot_at(forest, when, 60 * 24)  # Sunday
    slot_at(forest, when, 60, status=TimeSlot.Status.BOOKED)
    then = slot_at(library, when, 30)  # 강남, not horror, open at that time
    result = conversation_reply(user=user, session_id=None, text="이번 주 토요일 저녁 7시쯤 강남 공포 4명")
    assert "예약 가능한 회차가 없어요" in result.reply
    names = [room.name for room in result.rooms]
    assert names == ["검은 숲", "시간 여행자의 서재"]
    cards = {card["name"]: card for card in result.recommendations}
    assert [slot["id"] for slot in cards["검은 숲"]["slots"]] == [later.id]
    assert [slot["id"] for slot in cards["시간 여행자의 서재"]["slots"]] == [then.id]
    assert "시간 상관없어" in [chip["message"] for chip in result.suggestions]
    # The chip works as typed: the window is gone and the rooms are searched at any time again.
    again = conversation_reply(user=user, session_id=result.session.id, text="시간 상관없어")
    assert again.session.state["when"] is None and "검은 숲" in [room.name for room in again.rooms]


def test_nothing_open_anywhere_is_a_dead_end_that_offers_any_time(user, catalogue):
    result = conversation_reply(user=user, session_id=None, text="이번 주 토요일 저녁 7시쯤 강남 공포 4명")
    assert result.rooms == []
    assert "시간 상관없어" in [chip["message"] for chip in result.suggestions]


# --- the API --------------------------------------------------------------------------------------------------
CHAT_URL = "/chat/"


def test_explicit_window_wins_over_the_message_and_stays_in_the_state(auth_client, catalogue):
    when = when_parse("이번 주 토요일 저녁 7시쯤")
    forest, library = catalogue["검은 숲"], catalogue["시간 여행자의 서재"]
    saturday = slot_at(forest, when, 30)
    slot_at(library, when, 60 * 24 * 3)  # not on Saturday
    start, end = when.start.isoformat(), when.end.isoformat()
    body = auth_client.post(
        CHAT_URL,
        {"message": "내일 강남 추천해줘", "available_from": start, "available_to": end},
        format="json",
    ).json()
    assert [card["name"] for card in body["recommendations"]] == ["검은 숲"]
    assert [slot["id"] for slot in body["recommendations"][0]["slots"]] == [saturday.id]
    # The message's own reading is still reported; the search used the fields'.
    assert body["entities"]["when"]["label"] == when_parse("내일").label
    state = ChatSession.objects.get(id=body["session_id"]).state
    assert datetime.fromisoformat(state["when"]["start"]) == when.start
    assert datetime.fromisoformat(state["when"]["end"]) == when.end


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"available_from": "토요일 7시"}, "available_from", "형식"),
        ({"available_from": "2026-12-05T19:00", "available_to": "2026-12-05T18:00"}, "available_to", "뒤여야"),
        ({"available_from": "2099-01-01"}, "available_from", "60일"),
    ],
)
def test_a_bad_window_is_a_400_in_korean(auth_client, catalogue, fields, field, words):
    response = auth_client.post(CHAT_URL, {"message": "강남 추천해줘", **fields}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert words in body["errors"][field][0] and body["detail"]


def test_a_time_of_day_over_a_weekend_counts_only_at_that_time_of_each_day(user, catalogue):
    when = when_parse("주말 저녁")  # Saturday 18:00 to Sunday 22:00 as one search window
    assert when.label.startswith("주말 ") and when.label.endswith(" 저녁")
    forest, vault = catalogue["검은 숲"], catalogue["지하 납골당"]
    evening = slot_at(forest, when, 60 * 24 + 90)  # Sunday 19:30
    slot_at(vault, when, 60 * 18)  # Sunday 12:00: inside the span, but no evening
    result = conversation_reply(user=user, session_id=None, text="주말 저녁 강남 공포")
    assert [room.name for room in result.rooms] == ["검은 숲"]
    assert [slot["id"] for slot in result.recommendations[0]["slots"]] == [evening.id]


# --- the LLM path ---------------------------------------------------------------------------------------------
def test_with_an_llm_the_window_is_read_by_the_parser_not_the_model(settings):
    from chat.llm.providers import chat_model_override
    from chat.nlu.analyze import message_analyze_detailed
    from chat.nlu.schema import MessageAnalysis
    from chat.tests.conftest import fake_model, nlu_message

    settings.LLM_PROVIDER = "openai"
    settings.LLM_MODEL = "gpt-4o-mini"
    assert "when" not in json_schema_properties(MessageAnalysis)  # the model is never asked for a window
    invented = {"start": "2020-01-01T00:00:00+09:00", "end": "2020-01-02T00:00:00+09:00", "label": "엉뚱한 날"}
    text = "이번 주 토요일 저녁 7시쯤 강남 공포 4명"
    answer = nlu_message("room_recommendation", region="강남", genres=["공포"], players=4, when=invented)
    with chat_model_override(fake_model(answer)):
        outcome = message_analyze_detailed(text=text)
    assert outcome.usage.fallback is False and outcome.analysis.entities.region == "강남"
    assert outcome.analysis.entities.when == when_parse(text)
    cleared = nlu_message("room_recommendation")  # the model missed "시간 상관없어"
    with chat_model_override(fake_model(cleared)):
        assert message_analyze_detailed(text="시간 상관없어").analysis.entities.adjust == ["drop_when"]


def json_schema_properties(model) -> set[str]:
    schema = model.model_json_schema()
    entities = schema["$defs"]["Entities"]["properties"]
    return set(entities)


def test_a_question_about_a_room_at_a_time_answers_with_its_slots(user, catalogue):
    when = when_parse("이번 주 토요일 저녁 7시쯤")
    forest = catalogue["검은 숲"]
    open_then = slot_at(forest, when, 70)
    result = conversation_reply(user=user, session_id=None, text="검은 숲 이번 주 토요일 저녁 7시쯤 예약 돼?")
    assert result.intent == "room_inquiry" and [room.name for room in result.rooms] == ["검은 숲"]
    assert "19시 전후에 예약 가능한 회차" in result.reply
    assert [slot["id"] for slot in result.recommendations[0]["slots"]] == [open_then.id]
    # The time stays: "거기 일요일은?" asks about Sunday at the same time; nothing then, so the nearest.
    sunday = conversation_reply(user=user, session_id=result.session.id, text="거기 일요일 저녁에 자리 있어?")
    assert sunday.intent == "room_inquiry" and "예약 가능한 회차가 없어요" in sunday.reply
    assert [slot["id"] for slot in sunday.recommendations[0]["slots"]] == [open_then.id]  # the nearest one


@pytest.mark.parametrize(
    "text, reference",
    [("second one - any slots on Sunday?", "2"), ("the first one, any open slots tomorrow evening?", "1")],
)
def test_an_english_question_for_a_shown_rooms_free_slots_is_about_that_room(text, reference):
    analysis = local_analyze(text, now=NOW)

    assert analysis.intent == "room_inquiry"
    assert analysis.entities.reference == reference and analysis.entities.when is not None


def test_asking_for_slots_without_naming_a_room_still_asks_for_rooms():
    analysis = local_analyze("any slots in Gangnam this Saturday?", now=NOW)

    assert analysis.intent == "room_recommendation" and analysis.entities.region == "강남"
