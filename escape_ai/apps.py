from django.apps import AppConfig


def asgi_request_connections_close(sender, **kwargs) -> None:
    """Close the database connections of an HTTP request served over ASGI when it ends.

    Django runs each ASGI request's sync code in a thread of its own (asgiref's ThreadSensitiveContext), so a
    persistent connection (CONN_MAX_AGE) has no later request to serve: it only waits, idle, for the garbage
    collector (an error response's traceback keeps it in a reference cycle), holding one of the server's
    connection slots. Under a burst of 4xx answers that ran out of slots ("too many clients"). The test client's
    handlers are not ASGIHandler, so a test's connection (and its transaction) is never touched.
    """
    from django.core.handlers.asgi import ASGIHandler
    from django.db import connections

    if isinstance(sender, type) and issubclass(sender, ASGIHandler):
        connections.close_all()


class EscapeAiConfig(AppConfig):
    name = "escape_ai"
    verbose_name = "방탈출 AI"

    def ready(self) -> None:
        from django.core.signals import request_finished

        request_finished.connect(asgi_request_connections_close, dispatch_uid="escape_ai.asgi_connections_close")
