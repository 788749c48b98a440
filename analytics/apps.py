from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = "분석"

    def ready(self) -> None:
        from analytics import signals

        signals.connect()
