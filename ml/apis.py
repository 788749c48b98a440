"""Prediction endpoints under /analytics/ (personal recommendations, trends). Session quality is served by
chat (`chat.apis.SessionQualityApi`), which holds the live session's messages."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from escape_ai.api_input import QuerySerializer
from ml import inference
from rooms.serializers import RoomOutputSerializer

NOT_FOUND = "요청한 데이터를 찾을 수 없습니다."
TREND_KINDS = ("genre", "region")


def owner_or_staff_check(request, user_id: int) -> None:
    """Someone else's data is answered as if it did not exist (404), so ids are not probed."""
    if request.user.id != user_id and not request.user.is_staff:
        raise NotFound(NOT_FOUND)
    if not get_user_model().objects.filter(id=user_id).exists():
        raise NotFound(NOT_FOUND)


class PersonalizedRoomSerializer(serializers.Serializer):
    room = RoomOutputSerializer()
    score = serializers.FloatField()
    reason = serializers.CharField(help_text="추천 이유 한 줄")


class PersonalizedApi(APIView):
    """Rooms for one user from the recommender (your own; staff may read anyone's, others get 404)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(QuerySerializer):
        limit = serializers.IntegerField(
            required=False,
            default=10,
            min_value=1,
            max_value=50,
            error_messages={
                "invalid": "limit은 정수여야 합니다.",
                "min_value": "limit은 1 이상이어야 합니다.",
                "max_value": "limit은 50 이하여야 합니다.",
            },
        )

    class OutputSerializer(serializers.Serializer):
        user_id = serializers.IntegerField()
        model_version = serializers.CharField()
        results = PersonalizedRoomSerializer(many=True)

    @extend_schema(parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request, user_id: int):
        owner_or_staff_check(request, user_id)
        params = self.InputSerializer.from_query(request.query_params)
        params.is_valid(raise_exception=True)
        ranked, version = inference.personalized_rooms(user_id=user_id, limit=params.validated_data["limit"])
        results = [{"room": room, "score": round(score, 4), "reason": reason} for room, score, reason in ranked]
        return Response(
            {
                "user_id": user_id,
                "model_version": version,
                "results": PersonalizedRoomSerializer(results, many=True).data,
            }
        )


class TrendPointSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    value = serializers.FloatField()


class TrendForecastSerializer(TrendPointSerializer):
    low = serializers.FloatField()
    high = serializers.FloatField()


class TrendSeriesSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="장르나 지역 이름")
    history = TrendPointSerializer(many=True)
    forecast = TrendForecastSerializer(many=True)


class TrendsMonthlyApi(APIView):
    """Monthly demand per genre or region, with the trend model's forecast (any signed-in user)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(QuerySerializer):
        kind = serializers.ChoiceField(
            choices=TREND_KINDS,
            error_messages={
                "required": "kind를 지정해 주세요 (genre 또는 region).",
                "invalid_choice": "kind는 genre 또는 region이어야 합니다.",
            },
        )
        months = serializers.IntegerField(
            required=False,
            default=3,
            min_value=1,
            max_value=12,
            error_messages={
                "invalid": "months는 정수여야 합니다.",
                "min_value": "months는 1 이상이어야 합니다.",
                "max_value": "months는 12 이하여야 합니다.",
            },
        )

    class OutputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=TREND_KINDS)
        model_version = serializers.CharField()
        series = TrendSeriesSerializer(many=True)

    @extend_schema(parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request):
        params = self.InputSerializer.from_query(request.query_params)
        params.is_valid(raise_exception=True)
        return Response(inference.monthly_trends(**params.validated_data))
