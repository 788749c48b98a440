from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "계정"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(_session_logged_out, dispatch_uid="accounts.session_logged_out")


def _session_logged_out(sender, request, user, **kwargs) -> None:
    # Django's logout() (the site's /logout/, the admin's) sends this before it flushes the session.
    from accounts.services import user_session_ended

    session = getattr(request, "session", None)
    user_session_ended(user=user, session_key=session.session_key if session is not None else None)
