"""Rooms API: catalogue reads are public, review writes need a signed-in user."""

from __future__ import annotations

import re

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from rooms.models import Review, Room
from rooms.selectors.rooms import room_get, room_list
from rooms.selectors.search import METHODS, RoomSearchFilters, room_search_hybrid
from rooms.serializers import RoomDetailOutputSerializer, RoomOutputSerializer
from rooms.services import review_upsert, room_view_record
from rooms.vocabulary import canonical_genre, canonical_region

__all__ = ["RoomOutputSerializer"]  # chat imports it from here or from rooms.serializers

QUERY_MAX_LENGTH = 500
# tsquery operators and quotes: rejected with a message instead of reaching (or confusing) the parser.
_FORBIDDEN_QUERY_CHARS = re.compile(r"[&|!():*'\"<>\\]")


def _int_field(label: str, low: int, high: int, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        min_value=low,
        max_value=high,
        error_messages={
            "invalid": f"{label}은(는) 숫자로 입력해 주세요.",
            "min_value": f"{label}은(는) {low:,} 이상이어야 합니다.",
            "max_value": f"{label}은(는) {high:,} 이하여야 합니다.",
            "max_string_length": f"{label} 값이 너무 깁니다.",
            "null": f"{label}을(를) 입력해 주세요.",
            "required": f"{label}을(를) 입력해 주세요.",
        },
        **kwargs,
    )


def _names(raw_values: list[str]) -> list[str]:
    """Query values as a list: `genres=공포,추리` and `genres=공포&genres=추리` both work."""
    return [part.strip() for value in raw_values for part in value.split(",") if part.strip()]


class RoomFiltersSerializer(serializers.Serializer):
    region = serializers.CharField(required=False, max_length=30, allow_blank=True)
    genres = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=14,
        error_messages={"max_length": "장르는 14개 이하로 지정해 주세요."},
    )
    exclude_genres = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=14,
        error_messages={"max_length": "제외 장르는 14개 이하로 지정해 주세요."},
    )
    players = _int_field("인원", 1, 20)
    difficulty_min = _int_field("최소 난이도", 1, 5)
    difficulty_max = _int_field("최대 난이도", 1, 5)
    max_price = _int_field("최대 가격", 0, 1_000_000)
    max_fear = _int_field("최대 공포도", 0, 5)

    @classmethod
    def from_query(cls, query_params, **extra) -> RoomFiltersSerializer:
        data = {key: query_params.get(key) for key in cls().fields if key in query_params}
        for key in ("genres", "exclude_genres"):
            if key in query_params:
                data[key] = _names(query_params.getlist(key))
        return cls(data={**data, **extra})

    def validate_region(self, value: str) -> str | None:
        if not value.strip():
            return None
        region = canonical_region(value)
        if region is None:
            raise serializers.ValidationError(f"알 수 없는 지역입니다: {value}")
        return region

    def _genres(self, values: list[str]) -> tuple[str, ...]:
        genres = []
        for value in values:
            genre = canonical_genre(value)
            if genre is None:
                raise serializers.ValidationError(f"알 수 없는 장르입니다: {value}")
            genres.append(genre)
        return tuple(dict.fromkeys(genres))

    def validate_genres(self, values):
        return self._genres(values)

    def validate_exclude_genres(self, values):
        return self._genres(values)

    def validate(self, attrs):
        low, high = attrs.get("difficulty_min"), attrs.get("difficulty_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"difficulty_min": "최소 난이도가 최대 난이도보다 클 수 없습니다."})
        return attrs

    def filters(self) -> RoomSearchFilters:
        data = self.validated_data
        return RoomSearchFilters(
            region=data.get("region"),
            genres=tuple(data.get("genres", ())),
            exclude_genres=tuple(data.get("exclude_genres", ())),
            players=data.get("players"),
            difficulty_min=data.get("difficulty_min"),
            difficulty_max=data.get("difficulty_max"),
            max_price=data.get("max_price"),
            max_fear=data.get("max_fear"),
        )


class CatalogueApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]


class RoomListApi(CatalogueApi):
    @extend_schema(parameters=[RoomFiltersSerializer], responses=RoomOutputSerializer(many=True))
    def get(self, request):
        filters = RoomFiltersSerializer.from_query(request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(room_list(filters=filters.filters()), request, view=self)
        return paginator.get_paginated_response(RoomOutputSerializer(page, many=True).data)


class RoomDetailApi(CatalogueApi):
    @extend_schema(responses=RoomDetailOutputSerializer)
    def get(self, request, room_id: int):
        room = room_get(room_id=room_id, include_inactive=request.user.is_staff)
        if room is None:
            return Response({"detail": "테마를 찾을 수 없습니다."}, status=status.HTTP_404_NOT_FOUND)
        room_view_record(room=room, user_id=request.user.id if request.user.is_authenticated else None)
        return Response(RoomDetailOutputSerializer(room).data)


class RoomSearchApi(CatalogueApi):
    class InputSerializer(RoomFiltersSerializer):
        q = serializers.CharField(
            max_length=QUERY_MAX_LENGTH,
            trim_whitespace=True,
            error_messages={
                "required": "검색어(q)를 입력해 주세요.",
                "blank": "검색어(q)를 입력해 주세요.",
                "max_length": f"검색어는 {QUERY_MAX_LENGTH}자 이하로 입력해 주세요.",
            },
        )
        limit = _int_field("결과 개수", 1, 50)
        method = serializers.ChoiceField(
            choices=METHODS, required=False, error_messages={"invalid_choice": "알 수 없는 검색 방식입니다."}
        )

        def validate_q(self, value: str) -> str:
            if _FORBIDDEN_QUERY_CHARS.search(value):
                raise serializers.ValidationError("검색어에 특수문자(& | ! ( ) : * ' \" < > \\)는 쓸 수 없습니다.")
            if "\x00" in value:
                raise serializers.ValidationError("검색어에 쓸 수 없는 문자가 있습니다.")
            return value

    class OutputSerializer(RoomOutputSerializer):
        score = serializers.FloatField()
        keyword_rank = serializers.IntegerField(allow_null=True)
        semantic_rank = serializers.IntegerField(allow_null=True)

    @extend_schema(parameters=[InputSerializer])
    def get(self, request):
        serializer = self.InputSerializer.from_query(request.query_params)
        serializer.is_valid(raise_exception=True)
        query = serializer.validated_data["q"]
        method = serializer.validated_data.get("method") or settings.ROOMS_SEARCH_METHOD
        hits = room_search_hybrid(
            query=query,
            filters=serializer.filters(),
            limit=serializer.validated_data.get("limit", 10),
            method=method,
        )
        results = [
            {
                **RoomOutputSerializer(hit.room).data,
                "score": hit.score,
                "keyword_rank": hit.keyword_rank,
                "semantic_rank": hit.semantic_rank,
            }
            for hit in hits
        ]
        return Response({"query": query, "method": method, "count": len(results), "results": results})


class ReviewOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    room_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    rating = serializers.IntegerField()
    text = serializers.CharField()
    escaped = serializers.BooleanField()
    hints_used = serializers.IntegerField()
    played_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class RoomReviewsApi(CatalogueApi):
    class InputSerializer(serializers.Serializer):
        rating = serializers.IntegerField(
            min_value=1,
            max_value=5,
            error_messages={
                "required": "평점(rating)을 입력해 주세요.",
                "null": "평점(rating)을 입력해 주세요.",
                "invalid": "평점은 1~5 사이의 숫자로 입력해 주세요.",
                "min_value": "평점은 1~5 사이여야 합니다.",
                "max_value": "평점은 1~5 사이여야 합니다.",
            },
        )
        text = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=2000,
            error_messages={
                "max_length": "후기는 2000자 이하로 입력해 주세요.",
                "invalid": "후기는 글자로 입력해 주세요.",
            },
        )
        escaped = serializers.BooleanField(
            required=False,
            default=False,
            error_messages={"invalid": "탈출 여부(escaped)는 true/false로 입력해 주세요."},
        )
        hints_used = _int_field("사용한 힌트 수", 0, 50, default=0)
        played_on = serializers.DateField(
            required=False,
            allow_null=True,
            error_messages={"invalid": "플레이한 날(played_on)은 YYYY-MM-DD 형식으로 입력해 주세요."},
        )

        def validate_played_on(self, value):
            if value is not None and value > timezone.localdate():
                raise serializers.ValidationError("플레이한 날은 오늘 이후일 수 없습니다.")
            return value

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(responses=ReviewOutputSerializer(many=True))
    def get(self, request, room_id: int):
        room = get_object_or_404(Room, id=room_id, is_active=True)
        paginator = PageNumberPagination()
        reviews = Review.objects.filter(room=room).select_related("user").order_by("-updated_at", "-id")
        page = paginator.paginate_queryset(reviews, request, view=self)
        return paginator.get_paginated_response(ReviewOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ReviewOutputSerializer, 200: ReviewOutputSerializer})
    def post(self, request, room_id: int):
        room = room_get(room_id=room_id)
        if room is None:
            return Response({"detail": "테마를 찾을 수 없습니다."}, status=status.HTTP_404_NOT_FOUND)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review, created = review_upsert(user=request.user, room=room, **serializer.validated_data)
        room.refresh_from_db(fields=["rating", "review_count"])
        body = {
            **ReviewOutputSerializer(review).data,
            "room": {"id": room.id, "rating": round(room.rating, 2), "review_count": room.review_count},
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
