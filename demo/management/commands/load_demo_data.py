from django.core.management import call_command
from django.core.management.base import BaseCommand

# Idempotent seeders, in dependency order; each changes nothing when its data is already there.
DEMO_SEEDERS: list[str] = [
    "seed_catalog",
    "seed_activity",
    "seed_slots",
]


class Command(BaseCommand):
    help = "Load the demo catalogue and activity (used by `make run`; safe to run again)."

    def handle(self, *args, **options):
        for name in DEMO_SEEDERS:
            self.stdout.write(f"demo data: {name}")
            call_command(name)
        if not DEMO_SEEDERS:
            self.stdout.write("demo data: nothing to load yet")
