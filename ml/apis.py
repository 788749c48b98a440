"""Prediction endpoints under /analytics/ (personal recommendations, trends). Session quality is served by
chat (`chat.apis.SessionQualityApi`), which holds the live session's messages."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from ml import inference
from rooms.serializers import RoomOutputSerializer

NOT_FOUND = "요청한 데이터를 찾을 수 없습니다."


def owner_or_staff_check(request, user_id: int) -> None:
    """Someone else's data is answered as if it did not exist (404), so ids are not probed."""
    if request.user.id != user_id and not request.user.is_staff:
        raise NotFound(NOT_FOUND)
    if not get_user_model().objects.filter(id=user_id).exists():
        raise NotFound(NOT_FOUND)


class PersonalizedApi(APIView):
    class InputSerializer(serializers.Serializer):
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
        room = RoomOutputSerializer()
        score = serializers.FloatField()
        reason = serializers.CharField()

    def get(self, request, user_id: int):
        owner_or_staff_check(request, user_id)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        ranked, version = inference.personalized_rooms(user_id=user_id, limit=params.validated_data["limit"])
        results = [{"room": room, "score": round(score, 4), "reason": reason} for room, score, reason in ranked]
        return Response(
            {"user_id": user_id, "model_version": version, "results": self.OutputSerializer(results, many=True).data}
        )


class TrendsMonthlyApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(
            choices=("genre", "region"),
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

    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(inference.monthly_trends(**params.validated_data))
