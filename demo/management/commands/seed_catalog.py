import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.catalog import DEFAULT_ROOMS, catalogue_build
from rooms.models import Room, Store
from rooms.services import rooms_embed, rooms_embedding_queue, rooms_search_vector_refresh

_ROOM_VALUE_FIELDS = (
    "region",
    "genres",
    "difficulty",
    "fear",
    "activity",
    "min_players",
    "max_players",
    "duration_minutes",
    "price",
    "description",
    "rating",
    "rating_sum",
    "review_count",
)
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

    def handle(self, *args, scale: int, embed: str, **options):
        if not 1 <= scale <= 1_000_000:
            raise CommandError("--scale는 1 이상 1,000,000 이하여야 합니다.")
        started = time.monotonic()
        catalogue = catalogue_build(room_count=scale)
        with transaction.atomic():
            store_ids, stores_written = self._stores(catalogue.stores)
            changed_ids, created, updated = self._rooms(catalogue.rooms, store_ids)
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
            f"({created} created, {updated} updated) in {time.monotonic() - started:.1f}s"
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
            values = {
                "region": spec.region,
                "genres": list(spec.genres),
                "difficulty": spec.difficulty,
                "fear": spec.fear,
                "activity": spec.activity,
                "min_players": spec.min_players,
                "max_players": spec.max_players,
                "duration_minutes": spec.duration_minutes,
                "price": spec.price,
                "description": spec.description,
                # Kept equal to rating_sum / review_count, the invariant review writes maintain.
                "rating": round(round(spec.rating * spec.review_count) / spec.review_count, 4),
                "rating_sum": round(spec.rating * spec.review_count),
                "review_count": spec.review_count,
            }
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
        return changed_ids, len(new), len(changed)
