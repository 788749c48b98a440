"""Play log and parties API: thin views that validate, call one service or selector, and serialize.

Someone else's play or a party one is not in is answered 404, as if it did not exist.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from escape_ai.api_input import JsonBodySerializer, QuerySerializer, TextField
from escape_ai.openapi import ErrorSerializer
from escape_ai.pagination import PagePagination
from plays.importing import MAX_CSV_CHARS, PlaysImportInvalid
from plays.models import (
    HINTS_MAX,
    INVITE_CODE_LENGTH,
    MINUTES_MAX,
    NOTE_MAX_LENGTH,
    PARTY_NAME_MAX_LENGTH,
    Party,
    Play,
)
from plays.selectors import (
    PlayFilters,
    party_get_for_member,
    party_list,
    party_members,
    play_get,
    play_list,
    play_stats,
    played_room_ids,
)
from plays.services import (
    PARTY_NOT_FOUND,
    party_create,
    party_join,
    party_leave,
    party_member_remove,
    play_delete,
    play_log,
    play_update,
    plays_import,
)
from rooms import apis as rooms_apis
from rooms.apis import GenreField, RegionField, search_hit_body, search_hits_slots
from rooms.models import Room
from rooms.selectors.search import room_search_hybrid
from rooms.serializers import RoomOutputSerializer

PLAY_NOT_FOUND = "플레이 기록을 찾을 수 없습니다."
MAX_ID = 2**63 - 1


def _int_field(label: str, low: int, high: int, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=low,
        max_value=high,
        error_messages={
            "invalid": f"{label}은(는) 숫자로 입력해 주세요.",
            "min_value": f"{label}은(는) {low} 이상이어야 합니다.",
            "max_value": f"{label}은(는) {high} 이하여야 합니다.",
            "required": f"{label}을(를) 입력해 주세요.",
            "null": f"{label}을(를) 입력해 주세요.",
            "max_string_length": f"{label} 값이 너무 깁니다.",
        },
        **kwargs,
    )


# --- plays -------------------------------------------------------------------------------------


class PlayOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    room = RoomOutputSerializer()
    played_on = serializers.DateField()
    escaped = serializers.BooleanField()
    hints_used = serializers.IntegerField(min_value=0)
    minutes_left = serializers.IntegerField(allow_null=True, help_text="탈출했을 때 남은 시간(분)")
    clear_minutes = serializers.IntegerField(allow_null=True, help_text="걸린 시간(분), 클리어 타임")
    players = serializers.IntegerField(allow_null=True, help_text="함께한 인원")
    note = serializers.CharField(allow_blank=True)
    source = serializers.ChoiceField(choices=Play.Source.choices, help_text="manual·review·import·demo")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PlayFieldsSerializer(JsonBodySerializer):
    played_on = serializers.DateField(
        help_text="플레이한 날 YYYY-MM-DD (오늘 이전)",
        error_messages={
            "invalid": "플레이한 날(played_on)은 YYYY-MM-DD 형식으로 입력해 주세요.",
            "required": "플레이한 날(played_on)을 입력해 주세요.",
            "null": "플레이한 날(played_on)을 입력해 주세요.",
        },
    )
    escaped = serializers.BooleanField(
        error_messages={
            "invalid": "탈출 여부(escaped)는 true/false로 입력해 주세요.",
            "required": "탈출 여부(escaped)를 입력해 주세요.",
            "null": "탈출 여부(escaped)를 입력해 주세요.",
        }
    )
    hints_used = _int_field("사용한 힌트 수", 0, HINTS_MAX, required=False, default=0)
    minutes_left = _int_field("남은 시간(분)", 0, MINUTES_MAX, required=False, allow_null=True)
    clear_minutes = _int_field("걸린 시간(분)", 1, MINUTES_MAX, required=False, allow_null=True)
    players = _int_field("인원", 1, 20, required=False, allow_null=True)
    note = TextField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=NOTE_MAX_LENGTH,
        error_messages={"max_length": f"메모는 {NOTE_MAX_LENGTH}자 이하로 적어 주세요."},
    )

    def validate_played_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError("플레이한 날은 오늘 이후일 수 없습니다.")
        return value


class PlayListApi(APIView):
    """`GET /me/plays`: my play log (filters: region, genre, year). `POST /me/plays`: log a play (201), or update
    the record of a room already played (200): one record per room."""

    permission_classes = [IsAuthenticated]
    pagination_class = PagePagination

    class FilterSerializer(QuerySerializer):
        region = RegionField(required=False, max_length=30)
        genre = GenreField(required=False, max_length=30)
        year = _int_field("연도", 1970, 2999, required=False)

    class InputSerializer(PlayFieldsSerializer):
        room_id = _int_field("테마 id(room_id)", 1, MAX_ID)

    @extend_schema(parameters=[FilterSerializer], responses=PlayOutputSerializer(many=True))
    def get(self, request):
        params = self.FilterSerializer.from_query(request.query_params)
        params.is_valid(raise_exception=True)
        filters = PlayFilters(**params.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(play_list(user=request.user, filters=filters), request, view=self)
        return paginator.get_paginated_response(PlayOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OpenApiResponse(PlayOutputSerializer, description="새로 기록했습니다."),
            200: OpenApiResponse(PlayOutputSerializer, description="이미 기록한 테마라 기록을 고쳤습니다 (재플레이)."),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        room = Room.objects.select_related("store").filter(id=fields.pop("room_id")).first()
        if room is None:
            raise serializers.ValidationError({"room_id": ["테마를 찾을 수 없습니다. room_id를 확인해 주세요."]})
        play, created = play_log(user=request.user, room=room, **fields)
        return Response(
            PlayOutputSerializer(play).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class PlayDetailApi(APIView):
    """One play of mine: read, change (PATCH, any of the fields), or delete."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(PlayFieldsSerializer):
        pass

    def _play(self, request, play_id: int) -> Play:
        play = play_get(user=request.user, play_id=play_id)
        if play is None:
            raise NotFound(PLAY_NOT_FOUND)
        return play

    @extend_schema(responses=PlayOutputSerializer)
    def get(self, request, play_id: int):
        return Response(PlayOutputSerializer(self._play(request, play_id)).data)

    @extend_schema(request=InputSerializer, responses=PlayOutputSerializer)
    def patch(self, request, play_id: int):
        play = self._play(request, play_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(PlayOutputSerializer(play_update(play=play, **serializer.validated_data)).data)

    @extend_schema(responses={204: OpenApiResponse(description="지웠습니다.")})
    def delete(self, request, play_id: int):
        play_delete(play=self._play(request, play_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CountSerializer(serializers.Serializer):
    key = serializers.CharField()
    count = serializers.IntegerField(min_value=0)


class DifficultyStatSerializer(serializers.Serializer):
    difficulty = serializers.IntegerField(min_value=1, max_value=5)
    played = serializers.IntegerField(min_value=0)
    escaped = serializers.IntegerField(min_value=0)
    escape_rate = serializers.FloatField(allow_null=True)


class PlayStatsApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        rooms_played = serializers.IntegerField(min_value=0)
        escaped = serializers.IntegerField(min_value=0)
        escape_rate = serializers.FloatField(allow_null=True, help_text="탈출 성공률 0~1 (기록이 없으면 null)")
        hints_per_room = serializers.FloatField(allow_null=True, help_text="테마당 평균 힌트 수")
        by_genre = CountSerializer(many=True)
        by_region = CountSerializer(many=True)
        by_month = CountSerializer(many=True, help_text="key: YYYY-MM")
        by_difficulty = DifficultyStatSerializer(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        return Response(self.OutputSerializer(play_stats(user=request.user)).data)


class PlayImportApi(APIView):
    """Import a personal log from CSV: every line or none."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]
    throttle_scope = "plays_import"

    class InputSerializer(JsonBodySerializer):
        csv = TextField(
            max_length=MAX_CSV_CHARS,
            trim_whitespace=False,
            pattern_message="CSV 내용이 비어 있어요 (또는 읽을 수 없는 NUL 문자가 있어요).",
            help_text="한 줄에 한 테마: `테마 이름, 업체 이름, 플레이한 날(YYYY-MM-DD), 탈출 여부(성공/실패), "
            "힌트 수`. 첫 줄은 머리글이어도 됩니다. 이름은 비슷하면(트라이그램 유사도) 찾아 줍니다.",
            error_messages={
                "required": "csv에 CSV 내용을 넣어 보내 주세요.",
                "blank": "CSV 내용이 비어 있어요.",
                "max_length": f"CSV가 너무 커요 ({MAX_CSV_CHARS:,}자 이하로 나눠서 올려 주세요).",
            },
        )

    class OutputSerializer(serializers.Serializer):
        created = serializers.IntegerField(min_value=0, help_text="새로 기록한 테마 수")
        updated = serializers.IntegerField(min_value=0, help_text="이미 있던 기록을 고친 테마 수")
        plays = PlayOutputSerializer(many=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OpenApiResponse(OutputSerializer, description="가져왔습니다 (새 기록이 하나 이상)."),
            200: OpenApiResponse(OutputSerializer, description="가져왔습니다 (모두 이미 있던 기록을 고침)."),
            400: OpenApiResponse(
                ErrorSerializer,
                description="읽거나 찾을 수 없는 줄이 있어 아무것도 가져오지 않았습니다. `errors`에 줄마다('3번째 줄') "
                "이유가 있고, 본문의 `lines`에 같은 내용이 [{line, message, room_name, store_name, suggestions}]로 "
                "있습니다.",
            ),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            outcome = plays_import(user=request.user, text=serializer.validated_data["csv"])
        except PlaysImportInvalid as invalid:
            lines = [
                {
                    "line": problem.line,
                    "message": problem.message,
                    "room_name": problem.room_name,
                    "store_name": problem.store_name,
                    "suggestions": problem.suggestions,
                }
                for problem in invalid.problems
            ]
            body = {"detail": invalid.message, "errors": invalid.errors(), "lines": lines}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        body = self.OutputSerializer(outcome).data
        return Response(body, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)


# --- parties -----------------------------------------------------------------------------------


class PartyMemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    is_owner = serializers.BooleanField()
    joined_at = serializers.DateTimeField()


class PartyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    invite_code = serializers.CharField(help_text="다른 사람이 POST /parties/join으로 들어올 때 쓰는 코드")
    owner_id = serializers.IntegerField()
    members = PartyMemberSerializer(many=True)
    created_at = serializers.DateTimeField()


def party_body(party: Party) -> dict:
    members = party_members(party=party)
    for member in members:
        member.is_owner = member.user_id == party.owner_id
    return PartyOutputSerializer(
        {
            "id": party.id,
            "name": party.name,
            "invite_code": party.invite_code,
            "owner_id": party.owner_id,
            "members": members,
            "created_at": party.created_at,
        }
    ).data


def party_for_member(request, party_id: int) -> Party:
    party = party_get_for_member(user=request.user, party_id=party_id)
    if party is None:
        raise NotFound(PARTY_NOT_FOUND)
    return party


class PartyListApi(APIView):
    """`GET /parties`: the parties I am in. `POST /parties`: a new party with me as its owner (201)."""

    permission_classes = [IsAuthenticated]
    pagination_class = PagePagination

    class InputSerializer(JsonBodySerializer):
        name = TextField(
            max_length=PARTY_NAME_MAX_LENGTH,
            help_text="파티 이름 (예: 목요일 방탈출팟)",
            error_messages={
                "required": "파티 이름(name)을 입력해 주세요.",
                "blank": "파티 이름을 입력해 주세요.",
                "null": "파티 이름을 입력해 주세요.",
                "max_length": f"파티 이름은 {PARTY_NAME_MAX_LENGTH}자 이하로 입력해 주세요.",
            },
        )

    @extend_schema(responses=PartyOutputSerializer(many=True))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(party_list(user=request.user), request, view=self)
        return paginator.get_paginated_response([party_body(party) for party in page])

    @extend_schema(
        request=InputSerializer,
        responses={
            201: PartyOutputSerializer,
            409: OpenApiResponse(ErrorSerializer, description="참여할 수 있는 파티 수(20개)를 넘습니다."),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        party = party_create(user=request.user, name=serializer.validated_data["name"])
        return Response(party_body(party), status=status.HTTP_201_CREATED)


class PartyJoinApi(APIView):
    """Join a party with its invite code: 201 when I joined now, 200 when I was already in it."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]
    throttle_scope = "party_join"

    class InputSerializer(JsonBodySerializer):
        invite_code = TextField(
            max_length=32,
            help_text=f"초대 코드 ({INVITE_CODE_LENGTH}자, 대소문자·공백·하이픈 무시)",
            error_messages={
                "required": "초대 코드(invite_code)를 입력해 주세요.",
                "blank": "초대 코드를 입력해 주세요.",
                "null": "초대 코드를 입력해 주세요.",
                "max_length": "초대 코드가 너무 깁니다.",
            },
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OpenApiResponse(PartyOutputSerializer, description="파티에 들어갔습니다."),
            200: OpenApiResponse(PartyOutputSerializer, description="이미 이 파티의 파티원입니다."),
            404: OpenApiResponse(ErrorSerializer, description="초대 코드에 맞는 파티가 없습니다."),
            409: OpenApiResponse(ErrorSerializer, description="파티 인원이 가득 찼거나, 참여한 파티가 너무 많습니다."),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        party, joined = party_join(user=request.user, invite_code=serializer.validated_data["invite_code"])
        return Response(party_body(party), status=status.HTTP_201_CREATED if joined else status.HTTP_200_OK)


class PartyDetailApi(APIView):
    """A party I am in (anyone else gets 404)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PartyOutputSerializer)
    def get(self, request, party_id: int):
        return Response(party_body(party_for_member(request, party_id)))


class PartyMemberApi(APIView):
    """Remove a member: the owner removes anyone, every member can remove themselves (leave)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            204: OpenApiResponse(description="내보냈습니다 (마지막 파티원이 나가면 파티가 없어집니다)."),
            403: OpenApiResponse(ErrorSerializer, description="방장만 다른 파티원을 내보낼 수 있습니다."),
        }
    )
    def delete(self, request, party_id: int, user_id: int):
        party_member_remove(actor=request.user, party=party_for_member(request, party_id), user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PartyLeaveApi(APIView):
    """Leave a party (the owner's role passes to the longest-standing member; the last one out ends it)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: OpenApiResponse(description="파티에서 나왔습니다.")})
    def post(self, request, party_id: int):
        party_leave(user=request.user, party=party_for_member(request, party_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the catalogue search, aware of the play log -----------------------------------------------


class RoomSearchHitSerializer(rooms_apis.RoomSearchHitSerializer):
    played = serializers.BooleanField(help_text="내가 이미 플레이한 테마 (exclude_played=false일 때만 true가 나옴)")

    class Meta(rooms_apis.RoomSearchHitSerializer.Meta):
        fields = (*rooms_apis.RoomSearchHitSerializer.Meta.fields, "played")
        read_only_fields = fields


class RoomSearchResultSerializer(rooms_apis.RoomSearchResultSerializer):
    results = RoomSearchHitSerializer(many=True)


class RoomSearchApi(rooms_apis.RoomSearchApi):
    """Rooms for a query and filters (the hybrid search). A signed-in user's played rooms (logged or reviewed)
    are left out unless `exclude_played=false`, which shows them marked `played`."""

    class InputSerializer(rooms_apis.RoomSearchApi.InputSerializer):
        exclude_played = serializers.BooleanField(
            required=False,
            default=True,
            help_text="로그인한 사용자가 이미 플레이한 테마를 뺄지 (기본 true). false면 넣고 played로 표시합니다.",
            error_messages={"invalid": "exclude_played는 true 또는 false로 보내 주세요."},
        )

    @extend_schema(parameters=[InputSerializer], responses=RoomSearchResultSerializer)
    def get(self, request):
        serializer = self.InputSerializer.from_query(request.query_params)
        serializer.is_valid(raise_exception=True)
        params = serializer.validated_data
        method = params.get("method") or settings.ROOMS_SEARCH_METHOD
        played = played_room_ids(user_ids=[request.user.id]) if request.user.is_authenticated else set()
        filters = serializer.filters()
        if played and params.get("exclude_played", True):
            filters = dataclasses.replace(filters, exclude_ids=tuple(sorted(played)))
        hits = room_search_hybrid(query=params["q"], filters=filters, limit=params.get("limit", 10), method=method)
        slots = search_hits_slots(hits, filters)
        results = [
            {**search_hit_body(hit, slots=slots.get(hit.room.id, ())), "played": hit.room.id in played} for hit in hits
        ]
        return Response({"query": params["q"], "method": method, "count": len(results), "results": results})
