"""One error shape for the API: {"detail": "<Korean message>", "errors": {field: [messages]}}.

Never a stack trace or an internal message: unexpected errors become a plain 500 with a request id.
"""

import logging

from django.dispatch import Signal
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler
from rest_framework_simplejwt.exceptions import InvalidToken

logger = logging.getLogger(__name__)

# Sent when an API view raised an error nothing handled (the client gets a plain 500); analytics
# connects to it in its AppConfig.ready() to count the error and record an `error` event.
api_error_unhandled = Signal()  # kwargs: exc, request
# Sent when a request or a chat turn found every pooled database connection in use past DB_POOL_TIMEOUT
# (the client gets 503 with Retry-After); analytics counts it.
database_busy_signal = Signal()  # kwargs: source ("http" or "chat")

DATABASE_BUSY_DETAIL = "지금 이용자가 많아 요청을 처리하지 못했어요. 잠시 후 다시 시도해 주세요."


def database_busy(exc: BaseException | None) -> bool:
    """Whether `exc`, or an error it came from, is the connection pool's timeout."""
    from psycopg_pool import PoolTimeout

    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, PoolTimeout):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def database_busy_headers() -> dict[str, str]:
    from django.conf import settings

    return {"Retry-After": str(settings.DB_POOL_RETRY_AFTER_SECONDS)}


class Conflict(exceptions.ValidationError):
    """409: the input is well formed but clashes with what is stored (a taken username). Same error shape."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "이미 있는 값과 충돌합니다."
    default_code = "conflict"


_KOREAN_DETAIL = {
    exceptions.ParseError: "요청 본문을 해석할 수 없습니다. 올바른 JSON인지 확인해 주세요.",
    InvalidToken: "토큰이 유효하지 않거나 만료되었습니다.",
    exceptions.NotAuthenticated: "로그인이 필요합니다.",
    exceptions.AuthenticationFailed: "인증에 실패했습니다.",
    exceptions.PermissionDenied: "이 작업을 할 권한이 없습니다.",
    exceptions.NotFound: "찾을 수 없습니다.",
    exceptions.MethodNotAllowed: "허용되지 않는 요청 방식입니다.",
    exceptions.UnsupportedMediaType: "지원하지 않는 형식입니다. application/json으로 보내 주세요.",
}


def api_exception_handler(exc, context):
    if database_busy(exc):
        database_busy_signal.send(sender=api_exception_handler, source="http")
        return Response({"detail": DATABASE_BUSY_DETAIL}, status=503, headers=database_busy_headers())
    response = exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.exception("unhandled API error", extra={"path": getattr(request, "path", None)})
        api_error_unhandled.send(sender=api_exception_handler, exc=exc, request=request)
        return Response({"detail": "서버 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."}, status=500)

    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail
        if isinstance(data, dict):
            errors = errors_flatten(data)
            first = next(iter(errors.values()), [""])
            message = str(first[0]) if first else "입력값이 올바르지 않습니다."
            response.data = {"detail": message, "errors": errors}
        else:
            items = data if isinstance(data, list) else [data]
            response.data = {"detail": str(items[0]) if items else "입력값이 올바르지 않습니다.", "errors": {}}
        return response

    if isinstance(exc, exceptions.Throttled):
        wait = exc.wait
        message = "요청이 너무 많습니다."
        if wait:
            message += f" {int(wait) + 1}초 후에 다시 시도해 주세요."
        response.data = {"detail": message}
        return response

    for exc_type, message in _KOREAN_DETAIL.items():
        if isinstance(exc, exc_type):
            detail = getattr(exc, "detail", None)
            if isinstance(detail, dict):  # simplejwt wraps its message: {"detail": ..., "code": ...}
                detail = detail.get("detail")
            # Keep a message our own code chose (passed as detail); replace DRF's English defaults.
            if isinstance(detail, str) and detail != str(exc_type.default_detail) and _is_korean(detail):
                message = detail
            response.data = {"detail": message}
            break
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "detail" not in (response.data or {}):
        response.data = {"detail": "인증이 필요합니다."}
    return response


def errors_flatten(data) -> dict[str, list[str]]:
    """{field: [messages]}: the messages of a list's items (DRF nests them as {index: [...]}) are the field's own."""
    return {str(key): _messages(value) for key, value in data.items()}


def _messages(value) -> list[str]:
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def _is_korean(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)
