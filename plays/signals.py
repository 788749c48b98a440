"""What plays hears from the apps below it."""

from __future__ import annotations


def _review_saved(sender, *, review, created: bool, **kwargs) -> None:
    from plays.services import play_record_for_review

    play_record_for_review(review=review)


def connect() -> None:
    from rooms.signals import review_saved

    review_saved.connect(_review_saved, dispatch_uid="plays.review_saved")
