from django.core.management.base import BaseCommand, CommandError

from demo.slots import DAYS, demo_slots_generate


class Command(BaseCommand):
    help = "Write deterministic demo time slots for every demo room (safe to run again; beat reruns it daily)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=DAYS, help=f"days ahead, today included (default {DAYS})")

    def handle(self, *args, days: int, **options):
        if not 1 <= days <= 60:
            raise CommandError("--days는 1 이상 60 이하여야 합니다.")
        self.stdout.write(f"slots: {demo_slots_generate(days=days)} written")
