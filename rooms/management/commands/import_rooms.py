from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from rooms.catalog_import import ImportFileError, catalogue_file_read
from rooms.models import ROOM_FIELDS, Room, Store
from rooms.services import TEXT_FIELDS, rooms_after_change

# The room's editable fields, less `name`: an import finds the room by store and name.
_ROOM_FIELDS = tuple(field for field in ROOM_FIELDS if field != "name")
_TEXT_FIELDS = TEXT_FIELDS - {"name"}


class Command(BaseCommand):
    help = "Import a catalogue from CSV or JSON: every row is validated first; one bad row means nothing is written."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            result = catalogue_file_read(path=file)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)}개 행에 오류가 있어 아무것도 저장하지 않았습니다.")
        created, updated, unchanged = self._write(result.rows)
        self.stdout.write(f"가져오기 완료: 테마 {created}개 추가, {updated}개 변경, {unchanged}개 그대로")

    @transaction.atomic
    def _write(self, rows: list[dict]) -> tuple[int, int, int]:
        stores: dict[str, Store] = {}
        for row in rows:
            name = row["store_name"]
            if name in stores:
                continue
            values = {
                "region": row["region"],
                "address": row.get("address", ""),
                "phone": row.get("phone", ""),
                "booking_url": row.get("booking_url", ""),
            }
            store, was_created = Store.objects.get_or_create(name=name, defaults=values)
            if not was_created and any(getattr(store, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(store, key, value)
                store.save()
                # The region travels to the rooms; the search text carries the store's name and region.
                Room.objects.filter(store=store).update(region=store.region)
                rooms_after_change(room_ids=list(store.rooms.values_list("id", flat=True)), text_changed=True)
            stores[name] = store

        created = updated = unchanged = 0
        changed_text: list[int] = []
        changed_other: list[int] = []
        for row in rows:
            store = stores[row["store_name"]]
            values = {key: row[key] for key in _ROOM_FIELDS if key in row}
            if row.get("rating") is not None:
                count = row["review_count"]
                total = round(row["rating"] * count)
                values.update(rating_sum=total, review_count=count, rating=round(total / count, 4) if count else 0)
            room = Room.objects.filter(store=store, name=row["name"]).first()
            if room is None:
                room = Room(store=store, name=row["name"], region=store.region, **values)
                room.full_clean()
                room.save()
                created += 1
                changed_text.append(room.id)
                continue
            diff = {key for key, value in values.items() if getattr(room, key) != value}
            if not diff:
                unchanged += 1
                continue
            for key in diff:
                setattr(room, key, values[key])
            room.region = store.region
            room.full_clean()
            room.save()
            updated += 1
            (changed_text if diff & _TEXT_FIELDS else changed_other).append(room.id)
        if changed_text:
            rooms_after_change(room_ids=changed_text, text_changed=True)
        if changed_other:
            rooms_after_change(room_ids=changed_other, text_changed=False)
        return created, updated, unchanged
