"""What plays hears from the apps below it, and what it tells the apps above it."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `plays.services.play_log` inside its transaction when a new play is recorded (a replay sends nothing),
# wherever it came from. chat counts a recommendation the play followed as a success (a Prometheus counter).
# kwargs: play.
play_logged = Signal()


def _review_saved(sender, *, review, created: bool, **kwargs) -> None:
    from plays.services import play_record_for_review

    play_record_for_review(review=review)


def connect() -> None:
    from rooms.signals import review_saved

    review_saved.connect(_review_saved, dispatch_uid="plays.review_saved")
