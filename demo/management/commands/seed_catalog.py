import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Sum

from demo.catalog import DEFAULT_ROOMS, catalogue_build
from rooms.models import ROOM_FACT_FIELDS, Room, Store
from rooms.services import rooms_embed, rooms_embedding_queue, rooms_search_vector_refresh

# What the seed writes: the room's facts and its store's region. Rating and review count are not
# seeded: they come from the room's reviews (demo activity writes them through the review service).
_ROOM_VALUE_FIELDS = ("region", *ROOM_FACT_FIELDS)
_BATCH = 2000


class Command(BaseCommand):
    help = "Load the deterministic demo catalogue (safe to run again: unchanged rooms are left alone)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=DEFAULT_ROOMS, help=f"number of rooms (default {DEFAULT_ROOMS})"
        )
        parser.add_argument(
            "--embed",
            choices=("queue", "sync", "none"),
            default="queue",
            help="queue: Celery embeds new/changed rooms (default); sync: embed here; none: leave them dirty",
        )

    removed = 0

    def handle(self, *args, scale: int, embed: str, **options):
        if not 1 <= scale <= 1_000_000:
            raise CommandError("--scale는 1 이상 1,000,000 이하여야 합니다.")
        started = time.monotonic()
        catalogue = catalogue_build(room_count=scale)
        with transaction.atomic():
            store_ids, stores_written = self._stores(catalogue.stores)
            changed_ids, created, updated = self._rooms(catalogue.rooms, store_ids)
            updated += self._ratings_from_reviews(set(store_ids.values()))
            for start in range(0, len(changed_ids), _BATCH):
                rooms_search_vector_refresh(room_ids=changed_ids[start : start + _BATCH])
            if embed == "queue":
                batch = settings.ROOMS_EMBEDDING_BATCH_SIZE
                for start in range(0, len(changed_ids), batch):
                    rooms_embedding_queue(room_ids=changed_ids[start : start + batch])
        if embed == "sync" and changed_ids:
            for start in range(0, len(changed_ids), 256):
                rooms_embed(room_ids=changed_ids[start : start + 256])
        self.stdout.write(
            f"catalogue: {len(catalogue.stores)} stores ({stores_written} written), {len(catalogue.rooms)} rooms "
            f"({created} created, {updated} updated{f', {self.removed} removed' if self.removed else ''}) "
            f"in {time.monotonic() - started:.1f}s"
        )

    def _stores(self, specs) -> tuple[dict[int, int], int]:
        existing = {store.name: store for store in Store.objects.filter(name__in=[spec.name for spec in specs])}
        written = 0
        new = []
        for spec in specs:
            values = {
                "region": spec.region,
                "address": spec.address,
                "phone": spec.phone,
                "booking_url": spec.booking_url,
            }
            store = existing.get(spec.name)
            if store is None:
                new.append(Store(name=spec.name, **values))
            elif any(getattr(store, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(store, key, value)
                store.save()
                written += 1
        Store.objects.bulk_create(new, batch_size=_BATCH)
        written += len(new)
        ids = dict(Store.objects.filter(name__in=[spec.name for spec in specs]).values_list("name", "id"))
        return {spec.key: ids[spec.name] for spec in specs}, written

    def _rooms(self, specs, store_ids) -> tuple[list[int], int, int]:
        existing = {
            (room.store_id, room.name): room
            for room in Room.objects.filter(store_id__in=set(store_ids.values())).only(
                "id", "store_id", "name", *_ROOM_VALUE_FIELDS
            )
        }
        new, changed, changed_ids = [], [], []
        for spec in specs:
            store_id = store_ids[spec.store_key]
            values = {name: getattr(spec, name) for name in _ROOM_VALUE_FIELDS}
            values["genres"] = list(spec.genres)
            room = existing.get((store_id, spec.name))
            if room is None:
                new.append(Room(store_id=store_id, name=spec.name, **values))
            elif any(getattr(room, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(room, key, value)
                changed.append(room)
        for start in range(0, len(new), _BATCH):
            created = Room.objects.bulk_create(new[start : start + _BATCH])
            changed_ids += [room.id for room in created]
        for room in changed:
            room.save()
            changed_ids.append(room.id)
        # Rooms of the demo's stores that the catalogue no longer has (an older generator's names) go.
        wanted = {(store_ids[spec.store_key], spec.name) for spec in specs}
        gone = [room.id for key, room in existing.items() if key not in wanted]
        self.removed = Room.objects.filter(id__in=gone).delete()[1].get("rooms.Room", 0) if gone else 0
        return changed_ids, len(new), len(changed)

    def _ratings_from_reviews(self, store_ids: set[int]) -> int:
        """Put back the rating and review count of rooms whose numbers differ from their reviews
        (a database seeded before ratings came from reviews); rooms that agree are not touched."""
        rooms = Room.objects.filter(store_id__in=store_ids)
        stale = [
            room.id
            for room in rooms.annotate(reviews_total=Sum("reviews__rating"), reviews_count=Count("reviews")).only(
                "id", "rating_sum", "review_count"
            )
            if (room.rating_sum, room.review_count) != (room.reviews_total or 0, room.reviews_count)
        ]
        # Locked like a review write, then recounted under the lock.
        for room in rooms.select_for_update().filter(id__in=stale).order_by("id"):
            totals = room.reviews.aggregate(total=Sum("rating"), count=Count("id"))
            total, count = totals["total"] or 0, totals["count"]
            Room.objects.filter(id=room.id).update(
                rating_sum=total, review_count=count, rating=round(total / count, 4) if count else 0
            )
        return len(stale)
