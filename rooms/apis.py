"""Rooms API: catalogue reads are public, review writes need a signed-in user."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from escape_ai.api_input import JsonBodySerializer, QuerySerializer, TextField, text_pattern
from escape_ai.pagination import PagePagination
from rooms.models import Review, Room, SpoilerSource
from rooms.selectors.rooms import room_get, room_list
from rooms.selectors.search import METHODS, RoomSearchFilters, room_search_hybrid
from rooms.selectors.slots import room_slots, room_slots_open
from rooms.serializers import RoomDetailOutputSerializer, RoomOutputSerializer, TimeSlotOutputSerializer
from rooms.services import SLOT_WINDOW_FORMAT, review_upsert, room_view_record, slot_window_parse
from rooms.vocabulary import GENRES, REGIONS, canonical_genre, canonical_region

__all__ = ["RoomOutputSerializer"]  # chat imports it from here or from rooms.serializers

QUERY_MAX_LENGTH = 500
SLOT_LIST_DEFAULT_DAYS = 14
# tsquery operators and quotes: rejected with a message instead of reaching (or confusing) the parser.
QUERY_FORBIDDEN_CHARS = "&|!():*'\"<>\\"


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


def _spellings(table: dict[str, tuple[str, ...]]) -> list[str]:
    """Every accepted spelling once: case and spaces are ignored, so "sf" adds nothing to "SF"."""
    seen: dict[str, str] = {}
    for canonical, aliases in table.items():
        for spelling in (canonical, *aliases):
            seen.setdefault("".join(spelling.split()).lower(), spelling)
    return list(seen.values())


@extend_schema_field(
    {
        "type": "string",
        "enum": _spellings(REGIONS),
        "description": "지역: 정식 이름이나 별칭 (대소문자·공백 무시). 예: 강남, 강남역, gangnam",
    }
)
class RegionField(serializers.CharField):
    def to_internal_value(self, data):
        region = canonical_region(super().to_internal_value(data))
        if region is None:
            raise serializers.ValidationError(f"알 수 없는 지역입니다: {data}")
        return region


@extend_schema_field(
    {
        "type": "string",
        "enum": _spellings(GENRES),
        "description": "장르: 정식 이름이나 별칭 (대소문자·공백 무시). 예: 공포, 호러, horror",
    }
)
class GenreField(serializers.CharField):
    def to_internal_value(self, data):
        genre = canonical_genre(super().to_internal_value(data))
        if genre is None:
            raise serializers.ValidationError(f"알 수 없는 장르입니다: {data}")
        return genre


def _genre_list(label: str) -> serializers.ListField:
    return serializers.ListField(
        child=GenreField(max_length=30),
        required=False,
        max_length=14,
        help_text=f"{label}: 되풀이(`genres=공포&genres=추리`)나 쉼표(`genres=공포,추리`)로 여러 개",
        error_messages={"max_length": f"{label}는 14개 이하로 지정해 주세요."},
    )


WINDOW_HELP = "ISO 8601 날짜·시각(시간대 없으면 Asia/Seoul, 예: 2026-12-05T19:00) 또는 날짜(2026-12-05: 그날 하루)"


# The shape of a bound (the schema's pattern and the server's first check); slot_window_parse checks the rest (a
# real date, the end after the start, within ROOMS_SLOT_WINDOW_MAX_DAYS), stated in the description.
WINDOW_PATTERN = (
    "^([0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?\\Z"
)


def window_bound_field(label: str, help_text: str, *, allow_null: bool = False) -> TextField:
    """One bound of a time window (`available_from`/`available_to`, the slots' `from`/`to`), the same in every API
    that takes one; slot_window_parse reads the pair. `label` ends in 시각 (its particles are 이 and 은)."""
    return TextField(
        required=False,
        allow_null=allow_null,
        allow_blank=True,
        max_length=40,
        pattern=WINDOW_PATTERN,
        pattern_message=SLOT_WINDOW_FORMAT,
        help_text=f"{help_text}. {WINDOW_HELP}. 끝은 시작보다 뒤, 둘 다 오늘부터 ROOMS_SLOT_WINDOW_MAX_DAYS(60)일 이내",
        error_messages={"max_length": f"{label}이 너무 깁니다.", "invalid": f"{label}은 글자로 보내 주세요."},
    )


class RoomFiltersSerializer(QuerySerializer):
    region = RegionField(required=False, max_length=30)
    genres = _genre_list("장르")
    exclude_genres = _genre_list("제외 장르")
    players = _int_field("인원", 1, 20)
    difficulty_min = _int_field("최소 난이도", 1, 5)
    difficulty_max = _int_field("최대 난이도", 1, 5)
    max_price = _int_field("최대 가격", 0, 1_000_000)
    max_fear = _int_field("최대 공포도", 0, 5)
    available_from = window_bound_field("시작 시각", "이 시각 이후(포함)에 예약 가능한 회차가 있는 테마만")
    available_to = window_bound_field("끝 시각", "이 시각 이전(미포함)에 시작하는 예약 가능한 회차가 있는 테마만")

    def validate_genres(self, values):
        return tuple(dict.fromkeys(values))

    def validate_exclude_genres(self, values):
        return tuple(dict.fromkeys(values))

    def validate(self, attrs):
        low, high = attrs.get("difficulty_min"), attrs.get("difficulty_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"difficulty_min": "최소 난이도가 최대 난이도보다 클 수 없습니다."})
        # Within ROOMS_SLOT_WINDOW_MAX_DAYS, end after start, a readable format (400 with a Korean message).
        attrs["available_from"], attrs["available_to"] = slot_window_parse(
            attrs.get("available_from"), attrs.get("available_to")
        )
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
            available_from=data.get("available_from"),
            available_to=data.get("available_to"),
        )


class RoomSearchHitSerializer(RoomOutputSerializer):
    score = serializers.FloatField(help_text="결합 점수 (클수록 잘 맞음)")
    keyword_rank = serializers.IntegerField(allow_null=True, help_text="키워드 검색에서의 순위 (없으면 null)")
    semantic_rank = serializers.IntegerField(allow_null=True, help_text="의미 검색에서의 순위 (없으면 null)")
    slots = TimeSlotOutputSerializer(
        many=True,
        help_text="available_from~available_to 안의 예약 가능한 회차, 이른 순 최대 3개 (창이 없으면 빈 목록)",
    )

    class Meta(RoomOutputSerializer.Meta):
        fields = (*RoomOutputSerializer.Meta.fields, "score", "keyword_rank", "semantic_rank", "slots")
        read_only_fields = fields


class RoomSearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    method = serializers.ChoiceField(choices=METHODS)
    count = serializers.IntegerField(min_value=0)
    results = RoomSearchHitSerializer(many=True)


class CatalogueApi(APIView):
    """Public reads (a staff token also sees inactive rooms); throttled per user or address by default."""

    permission_classes = [AllowAny]


class RoomListApi(CatalogueApi):
    pagination_class = PagePagination

    @extend_schema(parameters=[RoomFiltersSerializer], responses=RoomOutputSerializer(many=True))
    def get(self, request):
        filters = RoomFiltersSerializer.from_query(request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = self.pagination_class()
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
    """The catalogue's hybrid search. Routed as `plays.apis.RoomSearchApi`, which adds the user's play log."""

    class InputSerializer(RoomFiltersSerializer):
        q = TextField(
            max_length=QUERY_MAX_LENGTH,
            pattern=text_pattern(forbidden=QUERY_FORBIDDEN_CHARS),
            pattern_message="검색어에 특수문자(& | ! ( ) : * ' \" < > \\)나 제어 문자는 쓸 수 없습니다.",
            help_text="검색어 (특수문자 & | ! ( ) : * ' \" < > \\ 제외)",
            error_messages={
                "required": "검색어(q)를 입력해 주세요.",
                "blank": "검색어(q)를 입력해 주세요.",
                "max_length": f"검색어는 {QUERY_MAX_LENGTH}자 이하로 입력해 주세요.",
            },
        )
        limit = _int_field("결과 개수", 1, 50, help_text="결과 개수 (기본 10)")
        method = serializers.ChoiceField(
            choices=METHODS,
            required=False,
            help_text="순위 결합 방식 (기본: 설정의 ROOMS_SEARCH_METHOD)",
            error_messages={"invalid_choice": "알 수 없는 검색 방식입니다."},
        )

    @extend_schema(parameters=[InputSerializer], responses=RoomSearchResultSerializer)
    def get(self, request):
        serializer = self.InputSerializer.from_query(request.query_params)
        serializer.is_valid(raise_exception=True)
        query = serializer.validated_data["q"]
        method = serializer.validated_data.get("method") or settings.ROOMS_SEARCH_METHOD
        filters = serializer.filters()
        hits = room_search_hybrid(
            query=query, filters=filters, limit=serializer.validated_data.get("limit", 10), method=method
        )
        slots = search_hits_slots(hits, filters)
        results = [search_hit_body(hit, slots=slots.get(hit.room.id, ())) for hit in hits]
        return Response({"query": query, "method": method, "count": len(results), "results": results})


CARD_SLOTS = 3  # open slots a card shows in the asked window


def search_hits_slots(hits, filters: RoomSearchFilters) -> dict[int, list]:
    """The first open slots in the filters' window of each hit's room (one query), or {} without a window."""
    if filters.available_from is None and filters.available_to is None:
        return {}
    return room_slots_open(
        room_ids=[hit.room.id for hit in hits],
        start=filters.available_from,
        end=filters.available_to,
        per_room=CARD_SLOTS,
    )


def search_hit_body(hit, slots=()) -> dict:
    return {
        **RoomOutputSerializer(hit.room).data,
        "score": hit.score,
        "keyword_rank": hit.keyword_rank,
        "semantic_rank": hit.semantic_rank,
        "slots": TimeSlotOutputSerializer(slots, many=True).data,
    }


class RoomSlotsResultSerializer(serializers.Serializer):
    room_id = serializers.IntegerField()
    start = serializers.DateTimeField(help_text="조회한 구간의 시작")
    end = serializers.DateTimeField(help_text="조회한 구간의 끝 (미포함)")
    count = serializers.IntegerField(min_value=0)
    results = TimeSlotOutputSerializer(many=True)


# `from` is a Python keyword: the query serializer's fields are declared by name.
RoomSlotsQuerySerializer = type(
    "RoomSlotsQuerySerializer",
    (QuerySerializer,),
    {
        "from": window_bound_field("시작 시각(from)", "이 시각부터 (기본: 지금)"),
        "to": window_bound_field("끝 시각(to)", f"이 시각 전까지 (기본: {SLOT_LIST_DEFAULT_DAYS}일 뒤)"),
    },
)


class RoomSlotsApi(CatalogueApi):
    """A room's open and booked slots in a window (default: from now for SLOT_LIST_DEFAULT_DAYS days)."""

    @extend_schema(parameters=[RoomSlotsQuerySerializer], responses=RoomSlotsResultSerializer)
    def get(self, request, room_id: int):
        room = room_get(room_id=room_id, include_inactive=request.user.is_staff)
        if room is None:
            return Response({"detail": "테마를 찾을 수 없습니다."}, status=status.HTTP_404_NOT_FOUND)
        query = RoomSlotsQuerySerializer.from_query(request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        start, end = slot_window_parse(params.get("from"), params.get("to"), fields=("from", "to"))
        start = max(start, timezone.now()) if start is not None else timezone.now()
        if end is None:
            end = start + timedelta(days=SLOT_LIST_DEFAULT_DAYS)
        slots = room_slots(room=room, start=start, end=end)
        body = {"room_id": room.id, "start": start, "end": end, "count": len(slots), "results": slots}
        return Response(RoomSlotsResultSerializer(body).data)


class ReviewOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    room_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    rating = serializers.IntegerField()
    text = serializers.CharField()
    escaped = serializers.BooleanField()
    hints_used = serializers.IntegerField()
    played_on = serializers.DateField(allow_null=True)
    is_spoiler = serializers.BooleanField(
        help_text="스포일러로 가려지는 후기 (작성자·자동 감지·운영자 판단 중 우선하는 것)"
    )
    spoiler_source = serializers.ChoiceField(
        choices=SpoilerSource.choices, help_text="판단 주체: staff > author > detector 순으로 우선"
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class RoomRatingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rating = serializers.FloatField(help_text="후기 평점의 평균")
    review_count = serializers.IntegerField(min_value=0)


class ReviewSavedSerializer(ReviewOutputSerializer):
    room = RoomRatingSerializer(help_text="저장 뒤의 테마 평점")


class RoomReviewsApi(CatalogueApi):
    pagination_class = PagePagination

    class InputSerializer(JsonBodySerializer):
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
        text = TextField(
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
            help_text="플레이한 날 (오늘 이전)",
            error_messages={"invalid": "플레이한 날(played_on)은 YYYY-MM-DD 형식으로 입력해 주세요."},
        )

        spoiler = serializers.BooleanField(
            required=False,
            default=False,
            help_text="스포일러가 있는 후기라고 작성자가 표시 (자동 감지는 이와 별도로 돌고, 운영자 판단이 우선)",
            error_messages={"invalid": "스포일러 여부(spoiler)는 true/false로 입력해 주세요."},
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
        paginator = self.pagination_class()
        reviews = Review.objects.filter(room=room).select_related("user").order_by("-updated_at", "-id")
        page = paginator.paginate_queryset(reviews, request, view=self)
        return paginator.get_paginated_response(ReviewOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OpenApiResponse(ReviewSavedSerializer, description="새 후기"),
            200: OpenApiResponse(ReviewSavedSerializer, description="이 테마에 쓴 후기를 고쳤습니다 (한 사람에 하나)"),
        },
    )
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
