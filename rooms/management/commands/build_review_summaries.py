"""Build the rooms' spoiler-free review summaries now (the beat task does it for rooms whose reviews changed)."""

import time

from django.core.management.base import BaseCommand, CommandError

from rooms.models import Room
from rooms.summaries import room_summary_build, rooms_summaries_build_all, rooms_summaries_build_dirty


class Command(BaseCommand):
    help = "Build review summaries: every room, one room (--room), or only rooms whose reviews changed (--dirty)."

    def add_arguments(self, parser):
        parser.add_argument("--dirty", action="store_true", help="only rooms whose reviews changed since their summary")
        parser.add_argument("--room", type=int, help="one room by id")

    def handle(self, *args, dirty: bool, room: int | None, **options):
        started = time.monotonic()
        if room is not None:
            if not Room.objects.filter(id=room).exists():
                raise CommandError(f"테마 {room}을(를) 찾을 수 없습니다.")
            built = int(room_summary_build(room_id=room))
        elif dirty:
            # Each batch claims its rooms (clearing their flags, whether or not they get a summary), so this ends.
            built = 0
            while Room.objects.filter(review_summary_dirty=True).exists():
                built += rooms_summaries_build_dirty(batch_size=200)
        else:
            built = rooms_summaries_build_all()
        self.stdout.write(f"review summaries: {built} built in {time.monotonic() - started:.1f}s")
