"""Every example a canned reply gives works when a user types it, and every chip sends something understood.

The old introduction suggested "'검은 숲 테마 몇 분이야?'" for a room that did not exist; here each quoted example
of every template is collected and typed, and a new example without a check here fails the test.
"""

from __future__ import annotations

import re

import pytest

from chat.dialogue import state_empty, state_shown, state_update
from chat.nlu.local import local_analyze
from chat.replies import (
    ANYWHERE,
    TIPS,
    Relaxation,
    ask_players_reply,
    ask_region_reply,
    dead_end_reply,
    general_reply,
    josa,
    missing_name_reply,
    recommendation_reply,
    region_towards,
    state_describe,
)
from chat.services import conversation_reply
from rooms.vocabulary import REGION_NAMES
from testing.factories import UserFactory

QUOTED = re.compile(r"(?<![A-Za-z])'([^']+)'(?![A-Za-z])")
EXAMPLE_ROOM = "검은 숲"


def after_a_list(text: str) -> dict:
    """The state after `text`, typed once rooms were listed for 강남 horror (where every tip is given)."""
    state = state_update(state=state_empty(), analysis=local_analyze("강남 공포"), text="강남 공포").state
    shown = [{"id": n, "difficulty": 3, "fear": 4, "activity": 3} for n in (1, 2, 3)]
    state = state_shown(state, shown)
    return state_update(state=state, analysis=local_analyze(text), text=text).state


# What typing each example must do. Keys are the examples exactly as the replies quote them.
EXPECTED = {
    "4명": lambda state: state["players"] == 4,
    "we are 4": lambda state: state["players"] == 4,
    "좀 더 쉬운 거": lambda state: state["difficulty"] == [1, 2],
    "something easier": lambda state: state["difficulty"] == [1, 2],
    "덜 무서운 거": lambda state: state["fear"] == [0, 3],
    "less scary": lambda state: state["fear"] == [0, 3],
    "추리로": lambda state: state["genres"] == ["추리"],
    "mystery instead": lambda state: state["genres"] == ["미스터리"],
    "다른 지역": lambda state: state["region"] is None and state["pending"]["kind"] == "region",
    "another area": lambda state: state["region"] is None and state["pending"]["kind"] == "region",
    "2만원 이하": lambda state: state["max_price"] == 20000,
    "under 25000 won": lambda state: state["max_price"] == 25000,
    "다른 거 없어?": lambda state: state["seen"] == [1, 2, 3],
    "show me more": lambda state: state["seen"] == [1, 2, 3],
    "어디든 괜찮아요": lambda state: state["any_region"],
    "anywhere is fine": lambda state: state["any_region"],
    "처음부터 다시": lambda state: state["region"] is None and state["genres"] == [],
    "start over": lambda state: state["region"] is None and state["genres"] == [],
    "초보 둘이 강남": lambda state: (state["difficulty"], state["players"], state["region"]) == ("easy", 2, "강남"),
    "easy room for 2 in Gangnam": lambda state: (
        (state["difficulty"], state["players"], state["region"]) == ("easy", 2, "강남")
    ),
    "홍대에서 둘이 할 만한 추리 테마": lambda state: (
        (state["region"], state["players"], state["genres"]) == ("홍대", 2, ["추리"])
    ),
    "mystery room in Hongdae for 2": lambda state: (
        (state["region"], state["players"], state["genres"]) == ("홍대", 2, ["미스터리"])
    ),
}


def canned_texts() -> list[str]:
    """Every template that can quote an example, in both languages."""
    texts = []
    for lang in ("ko", "en"):
        texts += [tip[lang] for tip in TIPS.values()]
        texts.append(ask_region_reply(state=state_empty(), lang=lang, regions=["강남"])[0])
        texts.append(ask_players_reply(lang=lang)[0])
        texts.append(dead_end_reply(state={"region": "강남"}, lang=lang, relaxations=[])[0])
        for text in ("안녕", "팁 알려줘", "초보인데 팁", "뭐해", "고마워"):
            texts.append(general_reply(text=text, lang=lang, difficulty="easy", example=EXAMPLE_ROOM))
        texts.append(missing_name_reply(example=EXAMPLE_ROOM, lang=lang))
    return texts


def test_every_quoted_example_is_checked():
    quoted = {example for text in canned_texts() for example in QUOTED.findall(text)}
    room_questions = {f"{EXAMPLE_ROOM} 몇 분이야?", f"how long is {EXAMPLE_ROOM}?"}
    unchecked = quoted - set(EXPECTED) - room_questions
    assert not unchecked, f"examples without a check: {unchecked}"
    assert room_questions <= quoted  # the examples about a room name a real one (the caller passes it)


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_each_example_does_what_it_says_when_typed(example):
    assert local_analyze(example).intent == "room_recommendation", example
    assert EXPECTED[example](after_a_list(example)), example


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_chip_sends_a_message_that_is_understood(lang):
    state = {"region": "신촌", "players": 1, "genres": ["추리"], "difficulty": "easy", "fear": "low", "lang": lang}
    state["exclude_genres"], state["activity"], state["max_price"] = ["공포"], "high", 20000
    relaxations = [
        Relaxation(slot=slot, count=2) for slot in ("players", "genres", "difficulty", "fear", "activity", "max_price")
    ]
    relaxations += [Relaxation(slot="exclude_genres", count=1), Relaxation(slot="region", count=1, region="홍대")]
    chips = []
    for index in range(0, len(relaxations), 3):
        chips += dead_end_reply(state=state, lang=lang, relaxations=relaxations[index : index + 3])[1]
    drops = {
        "players": "drop_players",
        "genres": "drop_genres",
        "difficulty": "drop_difficulty",
        "fear": "drop_fear",
        "activity": "drop_activity",
        "max_price": "drop_price",
        "exclude_genres": "drop_fear",
    }
    for relaxation, chip in zip(relaxations, chips, strict=True):
        analysis = local_analyze(chip.message)
        assert analysis.intent == "room_recommendation", chip
        if relaxation.region:
            assert analysis.entities.region == relaxation.region
        else:
            assert drops[relaxation.slot] in analysis.entities.adjust, chip
    _, region_chips = ask_region_reply(state=state_empty(), lang=lang, regions=list(REGION_NAMES))
    for chip in region_chips[:-1]:
        assert local_analyze(chip.message).entities.region in REGION_NAMES, chip
    assert region_chips[-1].message == ANYWHERE[lang]
    for chip in ask_players_reply(lang=lang)[1]:
        assert local_analyze(chip.message).entities.players in (2, 3, 4, 5), chip


@pytest.mark.parametrize("region", REGION_NAMES)
def test_a_move_to_any_region_reads_as_that_region(region):
    assert local_analyze(region_towards(region)).entities.region == region
    assert not region_towards(region).endswith("로로")


def test_josa_follows_the_last_sound():
    assert (
        josa("강남", "으로/로") == "강남으로"
        and josa("홍대", "으로/로") == "홍대로"
        and josa("서울", "으로/로") == "서울로"
    )
    assert josa("인원", "이/가") == "인원이" and josa("난이도", "이/가") == "난이도가"


def test_conditions_read_in_both_languages():
    state = {"region": "강남", "players": 4, "genres": ["공포"], "fear": [0, 2], "difficulty": "easy"}
    assert state_describe(state, "ko") == "강남 · 4명 · 공포 · 공포도 2 이하 · 쉬운 난이도"
    assert state_describe(state, "en") == "Gangnam · 4 people · horror · fear ≤ 2 · easy"


def test_a_list_reply_never_tips_what_the_user_already_said(db):
    state = {"region": "홍대", "players": 4, "genres": ["추리"], "difficulty": "easy", "max_price": 25000}
    text, tip = recommendation_reply(state=state, rooms=[], lang="ko")
    assert tip not in ("players", "genres", "difficulty", "max_price") and "'4명'" not in text
    _, other = recommendation_reply(state=state, rooms=[], lang="ko", last_tip=tip)
    assert other != tip


# --- the welcome screen's examples and the question about no room ----------------------------------------------------
@pytest.fixture
def user(catalogue):
    return UserFactory()


def test_the_example_for_a_question_about_no_room_is_a_real_room(user):
    result = conversation_reply(user=user, session_id=None, text="그 테마 몇 분이야?")
    example = re.search(r"'([^']+)'", result.reply).group(1)
    answer = conversation_reply(user=user, session_id=None, text=example)
    assert answer.intent == "room_inquiry" and len(answer.rooms) == 1 and "분이에요" in answer.reply
    general = conversation_reply(user=user, session_id=None, text="뭐 할 수 있어?")
    for quoted in re.findall(r"'([^']+)'", general.reply):
        assert conversation_reply(user=user, session_id=None, text=quoted).intent != "general_chat", quoted
