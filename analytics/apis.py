from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import re
from datetime import date, timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.selectors import insights_compute
from escape_ai.api_input import QuerySerializer


class IsStaff(BasePermission):
    message = "관리자만 볼 수 있습니다."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


_DATE_ERRORS = {"invalid": "날짜 형식이 올바르지 않습니다. YYYY-MM-DD로 입력해 주세요."}
# Years 1970-2999 (time zone arithmetic near year 1 or 9999 overflows): the schema states it as a pattern.
DATE_PATTERN = r"^(19[7-9][0-9]|2[0-9]{3})-[0-9]{2}-[0-9]{2}\Z"


def _date_field(help_text: str) -> serializers.DateField:
    return serializers.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text=help_text,
        validators=[RegexValidator(DATE_PATTERN, message="날짜는 1970-01-01부터 2999-12-31 사이여야 합니다.")],
        error_messages=_DATE_ERRORS,
    )


class InsightsApi(APIView):
    """Staff dashboard figures for a range of days (at most ANALYTICS_INSIGHTS_MAX_DAYS)."""

    permission_classes = [IsStaff]

    class InputSerializer(QuerySerializer):
        def get_fields(self):
            # `from` is a Python keyword, so the fields are named here rather than declared.
            return {
                "from": _date_field("시작일 YYYY-MM-DD (기본: to의 29일 전; to보다 늦을 수 없음)"),
                "to": _date_field("종료일 YYYY-MM-DD (기본: 오늘)"),
            }

        def to_internal_value(self, data):
            # The regex sees the text as sent; DateField parses it afterwards.
            for name in ("from", "to"):
                value = data.get(name)
                if not isinstance(value, str) or not value:
                    continue
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                    raise serializers.ValidationError({name: [_DATE_ERRORS["invalid"]]})
                if not re.search(DATE_PATTERN, value):
                    raise serializers.ValidationError({name: ["날짜는 1970-01-01부터 2999-12-31 사이여야 합니다."]})
            return super().to_internal_value(data)

        def validate(self, attrs):
            today = timezone.localdate()
            day_to = attrs.get("to") or today
            day_from = attrs.get("from") or max(day_to - timedelta(days=29), date(1970, 1, 1))
            if day_from > day_to:
                raise serializers.ValidationError({"from": ["시작일(from)이 종료일(to)보다 늦을 수 없습니다."]})
            limit = settings.ANALYTICS_INSIGHTS_MAX_DAYS
            if (day_to - day_from).days + 1 > limit:
                raise serializers.ValidationError({"to": [f"조회 기간은 최대 {limit}일입니다."]})
            return {"day_from": day_from, "day_to": day_to}

    class OutputSerializer(serializers.Serializer):
        # The selector already returns plain values; this documents the shape for the schema.
        days = serializers.IntegerField()
        events_by_type = serializers.DictField(child=serializers.IntegerField())
        popular_regions = serializers.ListField(child=serializers.DictField())
        popular_genres = serializers.ListField(child=serializers.DictField())
        chats_per_day = serializers.ListField(child=serializers.DictField())
        chat_messages = serializers.IntegerField()
        chat_sessions = serializers.IntegerField()
        active_users = serializers.IntegerField()
        rag_usage = serializers.DictField()
        recommendation_success = serializers.DictField()
        llm_usage = serializers.ListField(child=serializers.DictField())
        errors_by_type = serializers.ListField(child=serializers.DictField())

        class Meta:
            ref_name = "AnalyticsInsights"

        def get_fields(self):
            return {"from": serializers.DateField(), "to": serializers.DateField(), **super().get_fields()}

    @extend_schema(parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request):
        serializer = self.InputSerializer.from_query(request.query_params)
        serializer.is_valid(raise_exception=True)
        insights = insights_compute(**serializer.validated_data)
        return Response(self.OutputSerializer(insights).data)


def _client_allowed(address: str) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if client in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def _basic_auth_ok(header: str) -> bool:
    expected = settings.METRICS_BASIC_AUTH
    if not expected or not header.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def metrics_view(request):
    """Prometheus exposition of every process's metrics, for allowed addresses or basic-auth holders."""
    # A request that came through a reverse proxy shows the proxy's (often loopback) address, so
    # the allow list only applies to direct requests; proxied ones need the basic-auth pair.
    proxied = any(request.headers.get(name) for name in ("X-Forwarded-For", "Forwarded", "X-Real-IP"))
    allowed = not proxied and _client_allowed(request.META.get("REMOTE_ADDR", ""))
    if not (allowed or _basic_auth_ok(request.headers.get("Authorization", ""))):
        if settings.METRICS_BASIC_AUTH:
            response = HttpResponse("인증이 필요합니다.", status=401, content_type="text/plain; charset=utf-8")
            response["WWW-Authenticate"] = 'Basic realm="metrics"'
            return response
        return HttpResponse("접근이 허용되지 않은 주소입니다.", status=403, content_type="text/plain; charset=utf-8")
    from django_prometheus.exports import ExportToDjangoView

    return ExportToDjangoView(request)
