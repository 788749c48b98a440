import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User
from escape_ai.settings.paths import VAR_DIR


class Command(BaseCommand):
    help = "Create the demo staff account once and print its credentials (development only)."

    def handle(self, *args, **options):
        username = settings.DEMO_STAFF_USERNAME
        password_file = VAR_DIR / "demo_staff_password"
        password = settings.DEMO_STAFF_PASSWORD
        if not password:
            if not password_file.exists():
                password_file.write_text(secrets.token_urlsafe(12))
                password_file.chmod(0o600)
            password = password_file.read_text().strip()
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com", "is_staff": True, "is_superuser": True}
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.is_staff = user.is_superuser = True
            user.save()
        self.stdout.write(f"staff login: {username} / {password}  (admin: http://127.0.0.1:8000/admin/)")
