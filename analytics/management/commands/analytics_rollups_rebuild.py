from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics.ingest import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the daily rollups from the stored events (all days, or --from/--to local dates)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="day_from", help="YYYY-MM-DD")
        parser.add_argument("--to", dest="day_to", help="YYYY-MM-DD")

    def handle(self, *args, day_from=None, day_to=None, **options):
        if (day_from is None) != (day_to is None):
            raise CommandError("--from와 --to를 함께 지정해 주세요.")
        try:
            first = date.fromisoformat(day_from) if day_from else None
            last = date.fromisoformat(day_to) if day_to else None
        except ValueError as exc:
            raise CommandError("날짜 형식이 올바르지 않습니다. YYYY-MM-DD로 입력해 주세요.") from exc
        if first and last and first > last:
            raise CommandError("--from이 --to보다 늦을 수 없습니다.")
        rollups_rebuild(day_from=first, day_to=last)
        self.stdout.write("rollups rebuilt" + (f" for {first}..{last}" if first else " for all days"))
