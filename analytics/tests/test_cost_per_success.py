"""Cost per successful recommendation, per day and per LLM model, against figures worked out by hand."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from analytics.selectors import recommendation_cost_insights
from analytics.tests.support import event_store as store
from testing.factories import UserFactory

pytestmark = pytest.mark.django_db
KST = ZoneInfo("Asia/Seoul")
GPT = {"provider": "openai", "model": "gpt-4o-mini"}
LOCAL = {"provider": "local", "model": "local-templates"}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=KST)


def turn(user_id: int, when: datetime, model: dict, cost: float) -> None:
    store("chat.message", user_id, when, {**model, "cost_usd": cost, "input_tokens": 10, "output_tokens": 5})


def test_cost_per_success_matches_the_figures_worked_out_by_hand():
    a, b = UserFactory().id, UserFactory().id
    # LLM cost: day 1 (Oct 5) gpt $0.03 + $0.01, local $0; day 2 (Oct 6) gpt $0.05, local $0.
    turn(a, at(10, 5, 9), GPT, 0.03)
    turn(b, at(10, 5, 10), GPT, 0.01)
    turn(b, at(10, 5, 23, 20), LOCAL, 0.0)
    turn(a, at(10, 6, 11), GPT, 0.05)
    turn(b, at(10, 6, 12), LOCAL, 0.0)
    # Recommendations (one per room shown). Before the range (Sep 30): a is shown room 8 by gpt.
    store("recommendation.shown", a, at(9, 30, 12), {"room_ids": [8], "message_id": 100, **GPT})
    store("recommendation.shown", a, at(10, 5, 10), {"room_ids": [1, 2, 3], "message_id": 101, **GPT})
    # 23:30 in Seoul is still Oct 5 there (14:30 UTC).
    store("recommendation.shown", b, at(10, 5, 23, 30), {"room_ids": [1, 4], "message_id": 102, **LOCAL})
    store("recommendation.shown", a, at(10, 6, 12), {"room_ids": [5, 6], "message_id": 103, **GPT})
    store("recommendation.shown", b, at(10, 6, 13), {"room_ids": [7], "message_id": 104, **LOCAL})
    store("recommendation.shown", a, at(10, 6, 14), {"room_ids": [3], "message_id": 105, **GPT})

    # a double-clicks room 1's booking link in reply 101: one success.
    store("booking.clicked", a, at(10, 5, 10, 5), {"room_id": 1, "message_id": 101})
    store("booking.clicked", a, at(10, 5, 10, 5), {"room_id": 1, "message_id": 101})
    # a plays room 2 ten days later (in the window): a success of reply 101.
    store("play.logged", a, at(10, 15, 20), {"room_id": 2, "source": "manual"})
    # a books room 3 from its page on day 2: credits the latest reply showing it (105), not 101.
    store("booking.clicked", a, at(10, 6, 15), {"room_id": 3, "message_id": None})
    # ...and plays it 40 days after reply 101 and 39 after 105: outside the window, nothing more.
    store("play.logged", a, at(11, 14, 20), {"room_id": 3})
    # b books room 4 from its page, and plays room 1 (both shown to b in reply 102).
    store("booking.clicked", b, at(10, 6, 9), {"room_id": 4})
    store("play.logged", b, at(10, 6, 21), {"room_id": 1, "source": "review"})
    # a books room 5 from reply 103 and later plays it: one success, both signals.
    store("booking.clicked", a, at(10, 6, 12, 10), {"room_id": 5, "message_id": 103, "slot_id": 77})
    store("play.logged", a, at(10, 10, 20), {"room_id": 5})
    # Not successes: an imported play (room 6), a play of a room shown to someone else (7), a click crediting a
    # reply before the range (8), a play before its room was shown to that user (b, room 7: shown on day 2 13:00).
    store("play.logged", a, at(10, 7, 20), {"room_id": 6, "source": "import"})
    store("play.logged", a, at(10, 7, 21), {"room_id": 7})
    store("booking.clicked", a, at(10, 5, 8), {"room_id": 8})
    store("play.logged", b, at(10, 6, 12, 30), {"room_id": 7})

    result = recommendation_cost_insights(day_from=date(2026, 10, 5), day_to=date(2026, 10, 6), window_days=30)

    def row(day, model, cost, shown, successes, booked, played, per_success):
        return {
            "date": day,
            **model,
            "cost_usd": cost,
            "shown": shown,
            "successes": successes,
            "booked": booked,
            "played": played,
            "cost_per_success": per_success,
        }

    d1, d2 = date(2026, 10, 5), date(2026, 10, 6)
    assert result["window_days"] == 30
    assert result["per_day"] == [
        # local sorts before openai; gpt day 1: $0.04 / 2 (room 1 booked, room 2 played)
        row(d1, LOCAL, 0.0, 2, 2, 1, 1, 0.0),  # room 4 booked, room 1 played
        row(d1, GPT, 0.04, 3, 2, 1, 1, 0.02),
        row(d2, LOCAL, 0.0, 1, 0, 0, 0, None),  # room 7: no success → no cost per success
        row(d2, GPT, 0.05, 3, 2, 2, 1, 0.025),  # room 5 (booked and played), room 3 (booked)
    ]
    by_model = {item["provider"]: item for item in result["by_model"]}
    assert by_model["openai"] == {
        **GPT,
        "cost_usd": 0.09,
        "shown": 6,
        "successes": 4,
        "booked": 3,
        "played": 2,
        "cost_per_success": 0.0225,
    }
    assert by_model["local"]["shown"] == 3 and by_model["local"]["successes"] == 2
    assert by_model["local"]["cost_per_success"] == 0.0
    assert result["total"] == {
        "cost_usd": 0.09,
        "shown": 9,
        "successes": 6,
        "booked": 4,
        "played": 3,
        "cost_per_success": 0.015,
    }


def test_a_shorter_window_drops_the_late_play_and_an_empty_range_has_no_rows():
    a = UserFactory().id
    store("recommendation.shown", a, at(10, 5, 10), {"room_ids": [2], "message_id": 1, **GPT})
    store("play.logged", a, at(10, 15, 20), {"room_id": 2})
    ten_days = recommendation_cost_insights(day_from=date(2026, 10, 5), day_to=date(2026, 10, 5), window_days=11)
    five_days = recommendation_cost_insights(day_from=date(2026, 10, 5), day_to=date(2026, 10, 5), window_days=5)
    assert ten_days["total"]["successes"] == 1
    assert five_days["total"]["successes"] == 0 and five_days["total"]["cost_per_success"] is None
    empty = recommendation_cost_insights(day_from=date(2025, 1, 1), day_to=date(2025, 1, 31))
    assert empty["per_day"] == [] and empty["by_model"] == []
    assert empty["total"]["shown"] == 0 and empty["window_days"] == settings.RECOMMENDATION_SUCCESS_WINDOW_DAYS
