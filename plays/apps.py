from django.apps import AppConfig


class PlaysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "plays"
    verbose_name = "플레이 기록과 파티"

    def ready(self) -> None:
        from plays import signals

        signals.connect()
