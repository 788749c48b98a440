from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rooms.catalog_import import file_text_read
from rooms.imports import ImportFileError, ImportInvalid, catalogue_import


class Command(BaseCommand):
    help = "Import a catalogue from CSV or JSON: every row is validated first; one bad row means nothing is written."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text, suffix = file_text_read(path=file)
            report = catalogue_import(text=text, suffix=suffix)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        except ImportInvalid as exc:
            for line, message in exc.report.errors:
                self.stderr.write(f"{line}행: {message}")
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"가져오기 완료: {report.summary()}")
