from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rooms.imports import ImportFileError, ImportInvalid, slot_feed_file_import


class Command(BaseCommand):
    help = (
        "Import a store's slot feed (CSV or JSON: store, room, start, status[, price, booking_url]). All rows or "
        "none are written; unknown rooms and past starts are reported and left out; booked slots stay booked."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--strict", action="store_true", help="an unknown store or room is an error")

    def handle(self, *args, file: Path, strict: bool, **options):
        try:
            report = slot_feed_file_import(path=file, strict=strict)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        except ImportInvalid as exc:
            for line, message in exc.report.errors:
                self.stderr.write(f"{line}행: {message}")
            raise CommandError(str(exc)) from exc
        for line, message in report.rejected:
            self.stderr.write(f"{line}행 제외: {message}")
        self.stdout.write(f"가져오기 완료: {report.summary()}")
