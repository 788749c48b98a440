from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"
    verbose_name = "채팅"

    def ready(self) -> None:
        from chat import checks  # noqa: F401 - registers the LLM provider check
        from chat.booking import play_success_observe
        from plays.signals import play_logged

        play_logged.connect(play_success_observe, dispatch_uid="chat.play_success")

        from chat.review_summaries import review_summary_write
        from rooms.summaries import summary_writer_register

        # rooms sits below chat: its review summaries get the LLM writer from here (offline it answers None).
        summary_writer_register(review_summary_write)
