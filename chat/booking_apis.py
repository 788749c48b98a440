"""`POST /rooms/{id}/booking-clicks`: API clients report a followed booking link (the web pages use a beacon)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from chat.booking import booking_click_record
from chat.services import ChatError
from escape_ai.api_input import JsonBodySerializer
from escape_ai.openapi import ErrorSerializer

_MAX_ID = 2**63 - 1


class BookingClickApi(APIView):
    """A signed-in user followed a booking link of this room, from a recommendation (`message_id`) or not."""

    permission_classes = [IsAuthenticated]
    # The default throttles plus the `booking_click` scope (THROTTLE_BOOKING_CLICK).
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]
    throttle_scope = "booking_click"

    class InputSerializer(JsonBodySerializer):
        message_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=_MAX_ID,
            help_text="예약 링크가 있던 추천 메시지 (채팅 카드에서 눌렀을 때)",
        )
        slot_id = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=_MAX_ID, help_text="링크가 가리킨 시간대"
        )

    class OutputSerializer(serializers.Serializer):
        room_id = serializers.IntegerField()
        message_id = serializers.IntegerField(allow_null=True)
        slot_id = serializers.IntegerField(allow_null=True)
        credited_message_id = serializers.IntegerField(
            allow_null=True, help_text="이 클릭이 성공으로 잡힌 추천 메시지 (없으면 null)"
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            404: OpenApiResponse(
                ErrorSerializer, description="테마가 없거나, message_id가 이 테마를 추천한 내 메시지가 아닙니다."
            ),
        },
    )
    def post(self, request, room_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            click = booking_click_record(user=request.user, room_id=room_id, **serializer.validated_data)
        except ChatError as exc:
            return Response({"detail": exc.message}, status=exc.status)
        return Response(self.OutputSerializer(click).data, status=status.HTTP_201_CREATED)
