"""Plays per month and the share of recommended rooms later logged as played, from hand-placed events."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.selectors import plays_insights
from analytics.tests.support import event_store as store
from testing.factories import UserFactory

pytestmark = pytest.mark.django_db
KST = ZoneInfo("Asia/Seoul")


def test_plays_per_month_and_recommendations_later_played():
    a, b, c = (UserFactory().id for _ in range(3))
    # In the range (November): a is shown rooms 1, 2, 3 (room 1 twice: one recommendation); a party of b and c
    # is shown rooms 4 and 5 (two members: four recommendations). Total: 3 + 4 = 7.
    store("recommendation.shown", a, datetime(2026, 11, 2, 12, tzinfo=KST), {"room_ids": [1, 2, 3]})
    store("recommendation.shown", a, datetime(2026, 11, 9, 12, tzinfo=KST), {"room_ids": [1]})
    store(
        "party.recommendations_shown",
        b,
        datetime(2026, 11, 3, 12, tzinfo=KST),
        {"party_id": 1, "room_ids": [4, 5], "member_ids": [b, c]},
    )
    # Before the range: not counted as a recommendation of this range.
    store("recommendation.shown", c, datetime(2026, 10, 20, 12, tzinfo=KST), {"room_ids": [9]})
    # Plays: a plays room 1 after it was shown (counts), room 2 before it was shown (does not), c plays room 5
    # after the party saw it (counts), b plays room 9 (never recommended to b), c plays room 9 (recommended before
    # the range).
    store("play.logged", a, datetime(2026, 11, 5, 20, tzinfo=KST), {"room_id": 1})
    store("play.logged", a, datetime(2026, 10, 30, 20, tzinfo=KST), {"room_id": 2})
    store("play.logged", c, datetime(2026, 11, 20, 20, tzinfo=KST), {"room_id": 5})
    store("play.logged", b, datetime(2026, 11, 21, 20, tzinfo=KST), {"room_id": 9})
    store("play.logged", c, datetime(2026, 9, 1, 20, tzinfo=KST), {"room_id": 9})

    result = plays_insights(day_from=date(2026, 11, 1), day_to=date(2026, 11, 30), months=3)
    assert result["recommended_then_played"] == {"rate": round(2 / 7, 4), "played": 2, "recommended": 7}
    assert result["plays_per_month"] == [
        {"month": "2026-09", "plays": 1},
        {"month": "2026-10", "plays": 1},
        {"month": "2026-11", "plays": 3},
    ]
    empty = plays_insights(day_from=date(2025, 1, 1), day_to=date(2025, 1, 31), months=1)
    assert empty == {
        "plays_per_month": [{"month": "2025-01", "plays": 0}],
        "recommended_then_played": {"rate": None, "played": 0, "recommended": 0},
    }
