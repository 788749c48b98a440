"""`GET /parties/<id>/recommendations`: rooms for a whole party (ml.group), for its members only."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from escape_ai.api_input import QuerySerializer
from ml.group import DIFFICULTY_RANGES, party_recommendations
from plays.selectors import party_get_for_member, party_members
from plays.services import PARTY_NOT_FOUND
from rooms.apis import CARD_SLOTS, GenreField, RegionField, window_bound_field
from rooms.selectors import room_slots_open
from rooms.serializers import RoomOutputSerializer, TimeSlotOutputSerializer
from rooms.services import slot_window_parse


class MemberReasonSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    reason = serializers.CharField(help_text="이 파티원에게 맞는 이유 (예: 추리 좋아함, 공포 싫어함 → 공포 제외)")


class PartyPickSerializer(serializers.Serializer):
    room = RoomOutputSerializer()
    score = serializers.FloatField(help_text="그룹 점수 0~1 (최소 만족도와 평균의 혼합)")
    reason = serializers.CharField(
        help_text="파티원별 이유를 한 줄로 (예: 지연: 추리 좋아함, 민수: 공포 싫어함 → 공포 제외)"
    )
    member_reasons = MemberReasonSerializer(many=True)
    slots = TimeSlotOutputSerializer(
        many=True,
        help_text="available_from~available_to 안의 예약 가능한 회차, 이른 순 최대 3개 (창이 없으면 빈 목록)",
    )


class PartyLimitsSerializer(serializers.Serializer):
    players = serializers.IntegerField(help_text="파티 인원 (이 인원이 들어갈 수 있는 테마만)")
    excluded_genres = serializers.ListField(child=serializers.CharField(), help_text="파티원이 싫어해서 뺀 장르")
    max_fear = serializers.IntegerField(allow_null=True, help_text="가장 겁 많은 파티원의 공포도 한도")
    played_rooms_excluded = serializers.IntegerField(min_value=0, help_text="파티원 중 누군가 해 봐서 뺀 테마 수")


class PartyRecommendationsApi(APIView):
    """Rooms no member has played, that take the party's size and every member's limits (excluded genres, fear),
    best first by the group score. Members only: anyone else gets 404."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(QuerySerializer):
        region = RegionField(required=False, max_length=30)
        genres = serializers.ListField(
            child=GenreField(max_length=30),
            required=False,
            max_length=14,
            help_text="장르: 되풀이(`genres=공포&genres=추리`)나 쉼표(`genres=공포,추리`)로 여러 개",
            error_messages={"max_length": "장르는 14개 이하로 지정해 주세요."},
        )
        difficulty = serializers.ChoiceField(
            choices=tuple(DIFFICULTY_RANGES),
            required=False,
            help_text="난이도: easy(1~2), normal(2~4), hard(4~5)",
            error_messages={"invalid_choice": "난이도는 easy, normal, hard 중 하나여야 합니다."},
        )
        limit = serializers.IntegerField(
            required=False,
            default=10,
            min_value=1,
            max_value=30,
            error_messages={
                "invalid": "limit은 정수여야 합니다.",
                "min_value": "limit은 1 이상이어야 합니다.",
                "max_value": "limit은 30 이하여야 합니다.",
            },
        )
        available_from = window_bound_field("시작 시각", "이 시간대에 예약 가능한 회차가 있는 테마만: 시작 (포함)")
        available_to = window_bound_field("끝 시각", "시간대의 끝 (미포함)")

        def validate(self, attrs):
            # Bad format, an end before the start or more than 60 days ahead: 400 with a Korean message.
            attrs["window"] = slot_window_parse(attrs.get("available_from"), attrs.get("available_to"))
            return attrs

    class OutputSerializer(serializers.Serializer):
        party_id = serializers.IntegerField()
        model_version = serializers.CharField()
        misery_weight = serializers.FloatField(help_text="그룹 점수에서 최소 만족도(least misery)의 비중")
        limits = PartyLimitsSerializer()
        results = PartyPickSerializer(many=True)

    @extend_schema(parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request, party_id: int):
        party = party_get_for_member(user=request.user, party_id=party_id)
        if party is None:
            raise NotFound(PARTY_NOT_FOUND)
        params = self.InputSerializer.from_query(request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        answer = party_recommendations(
            party_id=party.id,
            member_ids=[member.user_id for member in party_members(party=party)],
            requested_by=request.user.id,
            region=data.get("region"),
            genres=tuple(dict.fromkeys(data.get("genres") or ())),
            difficulty=data.get("difficulty"),
            limit=data["limit"],
            available_from=data["window"][0],
            available_to=data["window"][1],
        )
        start, end = data["window"]
        slots = (
            room_slots_open(room_ids=[pick.room.id for pick in answer.picks], start=start, end=end, per_room=CARD_SLOTS)
            if start is not None or end is not None
            else {}
        )
        body = {
            "party_id": party.id,
            "model_version": answer.model_version or "none",
            "misery_weight": settings.ML_GROUP_MISERY_WEIGHT,
            "limits": {
                "players": answer.limits.players,
                "excluded_genres": list(answer.limits.exclude_genres),
                "max_fear": answer.limits.max_fear,
                "played_rooms_excluded": len(answer.limits.played_room_ids),
            },
            "results": [
                {
                    "room": pick.room,
                    "score": pick.score,
                    "reason": pick.reason,
                    "member_reasons": [
                        {"user_id": member.user_id, "username": member.name, "reason": reason}
                        for member, reason in pick.reasons
                    ],
                    "slots": slots.get(pick.room.id, ()),
                }
                for pick in answer.picks
            ],
        }
        return Response(self.OutputSerializer(body).data)
