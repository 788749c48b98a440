"""The OpenAPI schema is the API's contract: every operation lists each status it can answer.

`AutoSchema` adds to every operation the error responses its view can give, in the shared error shape
(`Error`: {"detail": "...", "errors": {field: [messages]}}), from what the view is made of:

- 400 when it takes a body or query parameters (other than `page`);
- 401 when it reads credentials (a bad or expired token is refused even where no login is needed) or needs a
  signed-in user;
- 403 when a permission beyond "signed in" applies (staff only), or for writes that accept the session cookie
  (its CSRF check);
- 404 when the path names an object, or the list is paginated (a page past the last);
- 429 when throttled (every view), with `Retry-After`.

A view states any other status (409, a 401 of its own) in `extend_schema(responses=...)`.
Nested `InputSerializer`/`OutputSerializer` classes are named after their view (`LoginApi.InputSerializer` is
`LoginInput`), so two views never share a component name.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated

from escape_ai.api_input import NON_BLANK_PATTERN

ERROR_DESCRIPTIONS = {
    400: "입력값이 올바르지 않습니다. `errors`에 필드별 메시지가 있습니다.",
    401: "로그인이 필요하거나, 보낸 토큰이 유효하지 않거나 만료되었습니다.",
    403: "이 작업을 할 권한이 없습니다 (관리자 전용이거나, 세션 쿠키로 보낸 쓰기에 CSRF 토큰이 없습니다).",
    404: "찾을 수 없습니다 (없는 id, 다른 사용자의 데이터, 마지막을 넘은 페이지).",
    409: "이미 있는 값과 충돌합니다.",
    429: "요청이 너무 많습니다. `Retry-After` 초 뒤에 다시 시도해 주세요.",
}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="사람이 읽는 한국어 메시지")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="입력 오류일 때 필드 이름별 메시지 목록",
    )

    class Meta:
        ref_name = "Error"


RETRY_AFTER_HEADER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "required": True,
        "description": "다시 시도해도 되는 때까지의 초",
    }
}


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer, direction):
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if outer:  # a serializer nested in its view: "LoginApi.InputSerializer" → "LoginInput"
            return outer.split(".")[-1].removesuffix("Api") + inner.removesuffix("Serializer")
        return type(serializer).__name__

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and isinstance(field, serializers.CharField):
            # What DRF refuses in every string (NUL; blank unless allowed, after trimming if it trims) is stated
            # as a pattern, unless the field brings its own (TextField, RegexField) or a format/enum says more.
            own_pattern = any(isinstance(v, RegexValidator) for v in field.validators)
            if not own_pattern and not any(key in schema for key in ("pattern", "format", "enum")):
                trims_to_blank = field.trim_whitespace and not field.allow_blank
                schema["pattern"] = NON_BLANK_PATTERN.replace("\\Z", "$") if trims_to_blank else "^[^\\x00]*$"
            if not field.allow_blank and "enum" not in schema:
                schema["minLength"] = max(schema.get("minLength", 0), 1)
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        for status_code in sorted(self.error_statuses(operation)):
            response = responses.setdefault(str(status_code), {})
            response.setdefault("description", ERROR_DESCRIPTIONS.get(status_code, ""))
            response.setdefault("content", {"application/json": {"schema": error_ref}})
            if status_code == 429:
                response.setdefault("headers", {}).update(RETRY_AFTER_HEADER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_statuses(self, operation: dict) -> set[int]:
        statuses: set[int] = set()
        parameters = operation.get("parameters", [])
        if "requestBody" in operation or any(p["in"] == "query" and p["name"] != "page" for p in parameters):
            statuses.add(400)
        authenticators = self.view.get_authenticators()
        permissions = self.view.get_permissions()
        if authenticators or any(not isinstance(p, AllowAny) for p in permissions):
            statuses.add(401)
        if any(type(p) not in (AllowAny, IsAuthenticated) for p in permissions):
            statuses.add(403)
        if self.method not in SAFE_METHODS and any(isinstance(a, SessionAuthentication) for a in authenticators):
            statuses.add(403)
        if any(p["in"] in ("path",) or p["name"] == "page" for p in parameters):
            statuses.add(404)
        if self.view.get_throttles():
            statuses.add(429)
        # Statuses the view declared itself (409, a 401 of a public view) are already in `responses`.
        return statuses


def schema_info_ascii(result, generator, request, public):
    """A generated client needs an ASCII name; the title stays Korean for people."""
    result["info"]["x-client-package-name"] = "escape_ai_client"
    result["info"]["x-client-project-name"] = "escape-ai-client"
    return result
