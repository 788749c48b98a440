"""Signals rooms sends to the apps above it, which connect to them in their AppConfig.ready()."""

from django.dispatch import Signal

# Sent by `rooms.services.review_upsert` inside its transaction once a review is written, wherever it came
# from (the page, the API, a factory): a review means its writer played the room (the play log records that).
# kwargs: review, created.
review_saved = Signal()
