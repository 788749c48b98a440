"""Input serializers whose checks and OpenAPI schema are one and the same.

The schema is the API's contract: a request it calls valid is accepted, one it calls invalid is refused with
400. DRF's fields are lenient where JSON Schema is strict (`"5"` for an integer, `123` for a string, `"yes"`
for a boolean, trimmed whitespace counted after trimming), so API input goes through these:

- `JsonBodySerializer`: a JSON body's values must have the JSON type the schema states.
- `QuerySerializer`: a query string's scalar parameters appear at most once; list parameters take repeats and
  commas (`genres=공포&genres=추리` or `genres=공포,추리`).
- `text_field`: a string with its length counted before trimming, no NUL, and a pattern (the same regex is the
  server's check and the schema's `pattern`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from rest_framework import serializers

# Every character str.strip() removes, as a regex class body (JSON Schema's `\s` is ECMAScript's, which
# differs from Python's: spelling the characters out keeps the schema and the server in agreement).


def _class_body(chars: Iterable[str]) -> str:
    codes = sorted(ord(ch) for ch in chars)
    parts, start, previous = [], None, None
    for code in [*codes, None]:
        if start is not None and (code is None or code != previous + 1):
            parts.append(_escape(start) if start == previous else f"{_escape(start)}-{_escape(previous)}")
            start = None
        if code is not None and start is None:
            start = code
        previous = code
    return "".join(parts)


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


SPACE_CLASS = _class_body(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
NUL = "\\x00"
# Patterns end in `\\Z` (the end of the text, as JSON Schema's `$` means; Python's `$` also matches before a
# final newline); spectacular writes `$` in the schema. They spell characters out instead of `\\w` or `\\s`,
# whose meaning differs between JSON Schema (ECMAScript, ASCII) and Python (Unicode).
# Any text with at least one visible character and no NUL (PostgreSQL cannot store NUL).
NON_BLANK_PATTERN = f"^[^{NUL}]*[^{NUL}{SPACE_CLASS}][^{NUL}]*\\Z"
# Any text without NUL, blank allowed.
NO_NUL_PATTERN = f"^[^{NUL}]*\\Z"


def text_pattern(*, forbidden: str = "", allow_blank: bool = False) -> str:
    """The pattern of a text that has no NUL and none of `forbidden` (and a visible character unless blank)."""
    banned = NUL + "".join("\\" + ch if ch in "\\]^-[" else ch for ch in forbidden)
    if allow_blank:
        return f"^[^{banned}]*\\Z"
    return f"^[^{banned}]*[^{banned}{SPACE_CLASS}][^{banned}]*\\Z"


class TextField(serializers.CharField):
    """A string whose length is counted as sent (before trimming), matched against `pattern`."""

    def __init__(self, *, pattern: str | None = None, pattern_message: str | None = None, **kwargs):
        allow_blank = kwargs.get("allow_blank", False)
        super().__init__(**kwargs)
        self.raw_max_length = kwargs.get("max_length")
        pattern = pattern or (NO_NUL_PATTERN if allow_blank else NON_BLANK_PATTERN)
        message = pattern_message or "쓸 수 없는 문자가 들어 있습니다."
        # DRF already refuses NUL; this validator states it in the schema too, with a Korean message.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(RegexValidator(pattern, message=message))

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str) and self.raw_max_length is not None and len(data) > self.raw_max_length:
            self.fail("max_length", max_length=self.raw_max_length)
        return super().run_validation(data)


def text_field(*, max_length: int, **kwargs) -> TextField:
    return TextField(max_length=max_length, **kwargs)


# --- JSON bodies ---------------------------------------------------------------------------------


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    """Why `value` is not of the JSON type the schema gives `field` (None when it is)."""
    if value is None:
        return None  # the field's own null handling answers
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "true 또는 false로 보내 주세요."
    if isinstance(field, serializers.IntegerField):
        integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return None if integral and not isinstance(value, bool) else "정수로 보내 주세요."
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number else "숫자로 보내 주세요."
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return "목록(배열)으로 보내 주세요."
        for item in value:
            error = _json_type_error(field.child, item)
            if error:
                return f"목록의 항목: {error}"
        return None
    if isinstance(field, serializers.JSONField | serializers.DictField):
        return None
    if isinstance(field, serializers.BaseSerializer):
        return None if isinstance(value, Mapping) else "객체로 보내 주세요."
    if isinstance(field, serializers.CharField | serializers.DateField | serializers.DateTimeField):
        return None if isinstance(value, str) else "문자열로 보내 주세요."
    if isinstance(field, serializers.ChoiceField) and all(isinstance(choice, str) for choice in field.choices):
        return None if isinstance(value, str) else "문자열로 보내 주세요."
    return None


def _raw_length_error(field: serializers.Field, value: Any) -> str | None:
    """A string longer than the field's max_length as sent: DRF counts it after trimming, the schema before."""
    limit = field.max_length if isinstance(field, serializers.CharField) else None
    if limit is not None and isinstance(value, str) and len(value) > limit:
        return str(field.error_messages["max_length"]).format(max_length=limit)
    return None


def _field_message(field: serializers.Field, value: Any, *, fallback: str) -> str:
    """The field's own message for a value of the wrong type (views word them), else the generic one."""
    key = "not_a_list" if isinstance(field, serializers.ListField) else "invalid"
    message = field.error_messages.get(key)
    if not message or not any("\uac00" <= ch <= "\ud7a3" for ch in str(message)):
        return fallback
    try:
        return str(message).format(input_type=type(value).__name__, datatype=type(value).__name__)
    except (KeyError, IndexError):
        return fallback


class JsonBodySerializer(serializers.Serializer):
    # A JSON body: every value has the JSON type the schema states before DRF converts it. (A comment, not a
    # docstring: spectacular would print a docstring as the description of every input component.)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data:
                    continue
                type_error = _json_type_error(field, data[name])
                if type_error:
                    errors[name] = [_field_message(field, data[name], fallback=type_error)]
                    continue
                length_error = _raw_length_error(field, data[name])
                if length_error:
                    errors[name] = [length_error]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


# --- query strings -------------------------------------------------------------------------------


def _split_names(raw_values: list[str]) -> list[str]:
    """`genres=공포,추리` and `genres=공포&genres=추리` both give ["공포", "추리"]; an empty item stays (refused)."""
    return [part.strip() for value in raw_values for part in value.split(",")]


class QuerySerializer(serializers.Serializer):
    # Query parameters: scalars at most once (a repeated one is ambiguous), lists from repeats and commas.

    @classmethod
    def from_query(cls, query_params, **extra) -> QuerySerializer:
        serializer = cls()
        data: dict[str, Any] = {}
        repeated: dict[str, list[str]] = {}
        for name, field in serializer.fields.items():
            if name not in query_params:
                continue
            values = query_params.getlist(name)
            if isinstance(field, serializers.ListField):
                data[name] = _split_names(values)
            elif len(values) > 1:
                repeated[name] = [f"{name}은(는) 한 번만 보내 주세요."]
            else:
                data[name] = values[0]
        instance = cls(data={**data, **extra})
        instance.repeated_errors = repeated
        return instance

    def to_internal_value(self, data):
        errors = {}
        for name, field in self.fields.items():
            error = _raw_length_error(field, data.get(name)) if isinstance(data, Mapping) else None
            if error:
                errors[name] = [error]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def is_valid(self, *, raise_exception=False):
        repeated = getattr(self, "repeated_errors", None)
        if repeated:
            self._validated_data, self._errors = {}, repeated
            if raise_exception:
                raise serializers.ValidationError(repeated)
            return False
        return super().is_valid(raise_exception=raise_exception)
