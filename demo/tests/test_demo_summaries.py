"""Demo rooms get spoiler-free review summaries, and some demo reviews are spoilers (hidden on the page)."""

from io import StringIO

import pytest
from django.core.management import call_command

from demo.activity import review_spoiler
from rooms.models import Review, Room, SpoilerSource
from rooms.spoilers import is_spoiler_sentence, review_sentences

pytestmark = pytest.mark.django_db


def test_demo_reviews_include_spoilers_and_demo_rooms_get_summaries_without_them():
    call_command("seed_catalog", scale=30, embed="none", stdout=StringIO())
    call_command("seed_activity", users=60, months=13, seed=5, train=False, stdout=StringIO())
    spoilers = Review.objects.filter(is_spoiler=True)
    assert spoilers.filter(spoiler_source=SpoilerSource.DETECTOR).exists()
    assert spoilers.filter(spoiler_source=SpoilerSource.AUTHOR).exists()
    assert Room.objects.filter(review_summary_dirty=True).count() == 30

    out = StringIO()
    call_command("build_review_summaries", dirty=True, stdout=out)
    summarised = Room.objects.exclude(review_summary={})
    assert summarised.count() >= 20 and "built" in out.getvalue()
    assert not Room.objects.filter(review_summary_dirty=True).exists()
    for room in summarised:
        assert room.review_summary_line
        spoiler_sentences = {
            sentence
            for text in spoilers.filter(room=room).values_list("text", flat=True)
            for sentence in review_sentences(text)
        }
        for sentence in [*room.review_summary["liked"], *room.review_summary["disliked"]]:
            assert sentence not in spoiler_sentences and not is_spoiler_sentence(sentence), (room.name, sentence)

    # A second run finds nothing to do.
    out = StringIO()
    call_command("build_review_summaries", dirty=True, stdout=out)
    assert "0 built" in out.getvalue()


def test_the_spoiler_stream_is_its_own_and_leaves_empty_reviews_alone():
    assert review_spoiler(user=1, room_id=2, text="") == ("", False)
    assert review_spoiler(user=1, room_id=2, text="좋아요.") == review_spoiler(user=1, room_id=2, text="좋아요.")
    changed = [review_spoiler(user=u, room_id=7, text="좋아요.") for u in range(400)]
    share = sum(text != "좋아요." for text, _ in changed) / len(changed)
    assert 0.03 < share < 0.15
    assert any(flag for _, flag in changed)
