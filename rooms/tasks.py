"""Room embeddings off the request path: one task per saved batch, and a beat sweep of dirty rooms."""

from celery import shared_task
from django.conf import settings

from rooms.services import rooms_embed, rooms_embed_dirty


@shared_task(acks_late=True, ignore_result=True)
def rooms_embed_task(room_ids: list[int]) -> int:
    # Ids, not rows: a room deleted meanwhile is simply not found; a second run finds nothing to do.
    return rooms_embed(room_ids=[int(room_id) for room_id in room_ids])


@shared_task(acks_late=True, ignore_result=True)
def rooms_embed_dirty_task() -> int:
    return rooms_embed_dirty(batch_size=settings.ROOMS_EMBEDDING_BATCH_SIZE)


@shared_task(acks_late=True, ignore_result=True)
def slot_feeds_import_task() -> dict[str, str]:
    from rooms.imports import slot_feed_dirs_import

    # Each file is its own transaction and an upsert: a second run (redelivery) rewrites the same rows.
    return slot_feed_dirs_import()


@shared_task(acks_late=True, ignore_result=True)
def slots_archive_task() -> int:
    from rooms.slot_services import slots_archive

    return slots_archive()
