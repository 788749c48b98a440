import re
import uuid

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
