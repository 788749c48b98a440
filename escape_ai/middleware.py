import re
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from escape_ai.exceptions import DATABASE_BUSY_DETAIL, database_busy, database_busy_headers, database_busy_signal
from escape_ai.logging import chat_session_id_var, request_id_var, user_id_var

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane incoming X-Request-ID) for logs and the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        session_token = chat_session_id_var.set(None)  # a thread serves many requests: none inherits a chat
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                user_id_var.set(user.pk)
        finally:
            request_id_var.reset(token)
            user_id_var.reset(user_token)
            chat_session_id_var.reset(session_token)
        response["X-Request-ID"] = request_id
        return response


def database_busy_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the JSON error shape for API clients, a page for browsers."""
    database_busy_signal.send(sender=database_busy_response, source="http")
    if "text/html" in request.headers.get("Accept", "") and not request.headers.get("Authorization"):
        response = render(request, "503.html", {"detail": DATABASE_BUSY_DETAIL}, status=503)
    else:
        response = JsonResponse({"detail": DATABASE_BUSY_DETAIL}, status=503)
    for name, value in database_busy_headers().items():
        response[name] = value
    return response


class DatabaseBusyMiddleware:
    """A page whose database work found every pooled connection in use past the pool's timeout answers 503
    with Retry-After, never 500. (API views answer the same from escape_ai.exceptions.api_exception_handler;
    an error raised outside a view reaches `server_error` in escape_ai.views.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_busy(exception):
            return database_busy_response(request)
        return None
