from django.apps import AppConfig


class RoomsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rooms"
    verbose_name = "방탈출 카탈로그"

    def ready(self):
        from rooms import checks  # noqa: F401 - registers the system checks
