"""Chat REST API: thin views that validate, call one service or selector, and serialize."""

import time

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.services import session_key_digest
from chat.llm.budget import seconds_until_reset
from chat.models import ChatMessage, RecommendationFeedback
from chat.selectors import session_get, session_list, session_messages, session_quality_report
from chat.services import ChatBudgetExceeded, ChatError, conversation_reply, recommendation_feedback_record
from chat.ws_tickets import ws_ticket_issue
from escape_ai.api_input import JsonBodySerializer, TextField
from escape_ai.openapi import ErrorSerializer
from escape_ai.pagination import PagePagination
from ml.apis import NOT_FOUND, owner_or_staff_check
from rooms.apis import window_bound_field
from rooms.serializers import RoomOutputSerializer
from rooms.services import slot_window_parse

FEEDBACK_KINDS = tuple(RecommendationFeedback.Kind.values)


def _error_response(exc: ChatError) -> Response:
    response = Response({"detail": exc.message}, status=exc.status)
    if isinstance(exc, ChatBudgetExceeded):
        response["Retry-After"] = str(seconds_until_reset())
    return response


class WhenSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    label = serializers.CharField(help_text='칩에 보이는 이름 (e.g. "토 12/5 19시 전후")')


class SlotCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    label = serializers.CharField(help_text='"토 12/5 19:10"')
    price = serializers.IntegerField(help_text="1인 가격 (원): 이 회차의 가격, 없으면 테마의 가격")
    booking_url = serializers.CharField(help_text="이 회차의 예약 페이지 (없으면 매장의 예약 링크)")


class RecommendationCardSerializer(RoomOutputSerializer):
    slots = SlotCardSerializer(
        many=True,
        required=False,
        help_text="시간 조건이 있을 때만: 그 시간대의 예약 가능한 회차 최대 3개 (없으면 가장 가까운 빈 회차)",
    )

    class Meta(RoomOutputSerializer.Meta):
        fields = (*RoomOutputSerializer.Meta.fields, "slots")
        read_only_fields = fields


WINDOW_HELP = "이 시간대에 예약 가능한 회차가 있는 테마만. 메시지의 시간보다 우선하고, 대화 상태에 남습니다"


class EntitiesSerializer(serializers.Serializer):
    region = serializers.CharField(allow_null=True)
    genres = serializers.ListField(child=serializers.CharField())
    exclude_genres = serializers.ListField(child=serializers.CharField())
    players = serializers.IntegerField(allow_null=True)
    difficulty = serializers.CharField(allow_null=True)
    room_name = serializers.CharField(allow_null=True)
    max_price = serializers.IntegerField(allow_null=True)
    fear = serializers.CharField(allow_null=True)
    activity = serializers.CharField(allow_null=True)
    reference = serializers.CharField(allow_null=True)
    players_delta = serializers.IntegerField(allow_null=True)
    adjust = serializers.ListField(child=serializers.CharField())
    topics = serializers.ListField(child=serializers.CharField())
    when = WhenSerializer(allow_null=True, help_text="메시지가 말한 시간대 (오늘, 토요일 저녁 7시쯤 …) or null")


class SuggestionSerializer(serializers.Serializer):
    label = serializers.CharField()
    message = serializers.CharField()


class ChatApi(APIView):
    permission_classes = [IsAuthenticated]
    # The default throttles plus the `chat` scope (THROTTLE_CHAT): each turn may call the LLM.
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]
    throttle_scope = "chat"

    class InputSerializer(JsonBodySerializer):
        message = TextField(
            max_length=settings.CHAT_MAX_MESSAGE_CHARS,
            trim_whitespace=True,
            error_messages={
                "required": "message를 보내 주세요.",
                "blank": "메시지를 입력해 주세요.",
                "null": "메시지를 입력해 주세요.",
                "invalid": "메시지는 문자열이어야 합니다.",
                "max_length": f"메시지는 {settings.CHAT_MAX_MESSAGE_CHARS:,}자 이하로 입력해 주세요.",
            },
        )
        session_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            help_text="이어 갈 대화 (없으면 새 대화)",
            error_messages={"invalid": "session_id는 정수여야 합니다.", "min_value": "session_id가 올바르지 않습니다."},
        )
        party_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            help_text="이 파티 기준으로 추천 (파티원 모두 안 해 본, 인원이 맞는 테마). 대화 상태에 남아 "
            "다음 턴에도 이어집니다.",
            error_messages={"invalid": "party_id는 정수여야 합니다.", "min_value": "party_id가 올바르지 않습니다."},
        )
        available_from = window_bound_field("시작 시각", f"시작 (포함). {WINDOW_HELP}", allow_null=True)
        available_to = window_bound_field("끝 시각", f"끝 (미포함). {WINDOW_HELP}", allow_null=True)

        def validate(self, attrs):
            # Bad format, an end before the start or more than 60 days ahead: 400 with a Korean message.
            attrs["window"] = slot_window_parse(attrs.get("available_from"), attrs.get("available_to"))
            return attrs

    class OutputSerializer(serializers.Serializer):
        session_id = serializers.IntegerField(source="session.id")
        message_id = serializers.IntegerField(source="message.id")
        reply = serializers.CharField()
        intent = serializers.CharField()
        entities = EntitiesSerializer()
        recommendations = serializers.SerializerMethodField()
        suggestions = SuggestionSerializer(many=True)

        @extend_schema_field(RecommendationCardSerializer(many=True))
        def get_recommendations(self, result) -> list[dict]:
            return result.recommendations

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(
                ErrorSerializer,
                description="session_id의 대화가 없거나 다른 사용자의 것이거나, party_id의 파티원이 아닙니다.",
            ),
            429: OpenApiResponse(
                ErrorSerializer, description="요청이 너무 많거나 오늘의 토큰 한도를 다 썼습니다 (Retry-After)."
            ),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = conversation_reply(
                user=request.user,
                session_id=serializer.validated_data.get("session_id"),
                text=serializer.validated_data["message"],
                party_id=serializer.validated_data.get("party_id"),
                window=serializer.validated_data["window"],
            )
        except ChatError as exc:
            return _error_response(exc)
        return Response(self.OutputSerializer(result).data)


class WsTicketApi(APIView):
    """A one-time ticket for `/ws/chat/?ticket=…`, so a long-lived token need not sit in a URL."""

    permission_classes = [IsAuthenticated]
    # The default throttles plus the `ws_ticket` scope.
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]
    throttle_scope = "ws_ticket"

    class OutputSerializer(serializers.Serializer):
        ticket = serializers.CharField()
        expires_in = serializers.IntegerField(help_text="seconds: the ticket opens one socket within this time")
        url = serializers.CharField(help_text="the WebSocket path with the ticket")

    @extend_schema(request=None, responses={201: OutputSerializer})
    def post(self, request):
        token = request.auth  # an access token (JWT), or None for the session cookie
        if token is not None and "jti" in getattr(token, "payload", {}):
            jti, session, exp = token["jti"], None, int(token["exp"])
        else:
            jti, session = None, session_key_digest(request.session.session_key)
            exp = int(time.time() + request.session.get_expiry_age())
        ticket = ws_ticket_issue(user_id=request.user.id, jti=jti, session=session, exp=exp)
        body = {"ticket": ticket, "expires_in": settings.CHAT_WS_TICKET_SECONDS, "url": f"/ws/chat/?ticket={ticket}"}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class SessionListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = PagePagination

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        state = serializers.JSONField()
        message_count = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(session_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=ChatMessage.Role.choices)
    text = serializers.CharField()
    intent = serializers.CharField()
    entities = serializers.JSONField()
    recommended_room_ids = serializers.ListField(child=serializers.IntegerField())
    latency_ms = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class SessionDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        state = serializers.JSONField()
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()
        messages = MessageOutputSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, session_id: int):
        session = session_get(user=request.user, session_id=session_id)
        if session is None:
            return Response({"detail": "대화를 찾을 수 없습니다."}, status=status.HTTP_404_NOT_FOUND)
        data = {
            "id": session.id,
            "title": session.title,
            "state": session.state,
            "created_at": session.created_at,
            "updated_at": session.updated_at,
            "messages": list(session_messages(session=session)),
        }
        return Response(self.OutputSerializer(data).data)


class RecommendationFeedbackApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(JsonBodySerializer):
        room_id = serializers.IntegerField(min_value=1, error_messages={"required": "room_id를 보내 주세요."})
        kind = serializers.ChoiceField(
            choices=FEEDBACK_KINDS,
            error_messages={"invalid_choice": "kind는 clicked, liked, disliked 중 하나여야 합니다."},
        )

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        message_id = serializers.IntegerField()
        room_id = serializers.IntegerField()
        kind = serializers.ChoiceField(choices=FEEDBACK_KINDS)
        created_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            404: OpenApiResponse(
                ErrorSerializer, description="내 추천 메시지가 아니거나, 그 메시지가 이 테마를 추천하지 않았습니다."
            ),
        },
    )
    def post(self, request, message_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            feedback = recommendation_feedback_record(
                user=request.user, message_id=message_id, **serializer.validated_data
            )
        except ChatError as exc:
            return _error_response(exc)
        return Response(self.OutputSerializer(feedback).data, status=status.HTTP_201_CREATED)


class SessionQualityMessageSerializer(serializers.Serializer):
    message_id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=ChatMessage.Role.choices)
    attention = serializers.FloatField(allow_null=True, help_text="이 메시지에 준 주의 가중치 (모델이 없으면 null)")


class SessionQualityApi(APIView):
    """`/analytics/session-quality/<user>/<session>`: how likely the session ends well (ml's model), per message.

    Your own sessions; staff may read anyone's. Someone else's is answered 404, as if it did not exist."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        session_id = serializers.IntegerField()
        user_id = serializers.IntegerField()
        score = serializers.FloatField(help_text="대화가 잘 끝날 확률 (0~1)")
        model_version = serializers.CharField()
        messages = SessionQualityMessageSerializer(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request, user_id: int, session_id: int):
        owner_or_staff_check(request, user_id)
        result = session_quality_report(user_id=user_id, session_id=session_id)
        if result is None:
            raise NotFound(NOT_FOUND)
        return Response(result)
