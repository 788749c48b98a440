"""Auth API: register, log in, refresh, log out, and the signed-in user's profile (JWT bearer tokens)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.login_guard import LoginLocked
from accounts.models import USERNAME_PATTERN
from accounts.services import InvalidCredentials, user_login, user_logout, user_register, user_update_preferences
from accounts.tokens import tokens_issue, tokens_rotate
from escape_ai.api_input import JsonBodySerializer, TextField
from escape_ai.openapi import ErrorSerializer
from rooms.vocabulary import GENRE_NAMES, REGION_NAMES


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    favorite_regions = serializers.ListField(child=serializers.CharField())
    favorite_genres = serializers.ListField(child=serializers.CharField())
    usual_party_size = serializers.IntegerField(allow_null=True)
    disliked_genres = serializers.ListField(child=serializers.CharField(), help_text="싫어하는 장르 (추천에서 빠짐)")
    max_fear = serializers.IntegerField(
        allow_null=True, help_text="견딜 수 있는 공포도 0~5 (넘는 테마는 추천에서 빠짐)"
    )
    is_staff = serializers.BooleanField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="액세스 토큰 (Authorization: Bearer …)")
    refresh = serializers.CharField(help_text="리프레시 토큰 (/auth/refresh, /auth/logout)")


class SessionSerializer(TokenPairSerializer):
    user = UserOutputSerializer()


class PreferencesSerializer(JsonBodySerializer):
    favorite_regions = serializers.ListField(
        child=serializers.ChoiceField(choices=REGION_NAMES), required=False, max_length=len(REGION_NAMES)
    )
    favorite_genres = serializers.ListField(
        child=serializers.ChoiceField(choices=GENRE_NAMES), required=False, max_length=len(GENRE_NAMES)
    )
    usual_party_size = serializers.IntegerField(min_value=1, max_value=20, required=False, allow_null=True)
    disliked_genres = serializers.ListField(
        child=serializers.ChoiceField(choices=GENRE_NAMES),
        required=False,
        max_length=len(GENRE_NAMES),
        help_text="싫어하는 장르: 나와 내 파티의 추천에서 빠집니다",
    )
    max_fear = serializers.IntegerField(
        min_value=0,
        max_value=5,
        required=False,
        allow_null=True,
        help_text="견딜 수 있는 공포도 0~5 (쫄보라면 1~2): 더 무서운 테마는 나와 내 파티의 추천에서 빠집니다",
        error_messages={
            "min_value": "공포도는 0~5 사이여야 합니다.",
            "max_value": "공포도는 0~5 사이여야 합니다.",
            "invalid": "공포도는 숫자로 입력해 주세요.",
        },
    )


class AuthAPIView(APIView):
    # The default throttles plus the tighter `auth` scope (THROTTLE_AUTH) for credential guessing.
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle]
    throttle_scope = "auth"

    def get_authenticate_header(self, request):
        # Token errors are 401 even on views that take no credentials (refresh), not DRF's 403.
        return 'Bearer realm="api"'


class RegisterApi(AuthAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(PreferencesSerializer):
        username = TextField(
            pattern=USERNAME_PATTERN,
            pattern_message="아이디는 영문, 한글, 숫자와 @ . + - _ 만 쓸 수 있습니다.",
            max_length=30,
            min_length=3,
            trim_whitespace=False,
        )
        email = serializers.EmailField(max_length=254, trim_whitespace=False)
        password = serializers.CharField(
            min_length=8,
            max_length=128,
            write_only=True,
            trim_whitespace=False,
            style={"input_type": "password"},
            help_text="8자 이상, 숫자만으로는 안 되며 흔한 비밀번호나 아이디·이메일과 비슷한 것은 거절됩니다 (400)",
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            201: SessionSerializer,
            409: OpenApiResponse(ErrorSerializer, description="이미 사용 중인 아이디나 이메일입니다."),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data)
        body = {"user": UserOutputSerializer(user).data, **tokens_issue(user=user)}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginApi(AuthAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(JsonBodySerializer):
        username = serializers.CharField(max_length=150, trim_whitespace=False)
        password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(
        request=InputSerializer,
        responses={
            200: SessionSerializer,
            401: OpenApiResponse(ErrorSerializer, description="아이디 또는 비밀번호가 올바르지 않습니다."),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user, tokens = user_login(
                **serializer.validated_data, ip=request.META.get("REMOTE_ADDR", ""), request=request
            )
        except LoginLocked as locked:
            return Response(
                {"detail": f"로그인 시도가 너무 많습니다. {locked.retry_after}초 후에 다시 시도해 주세요."},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(locked.retry_after)},
            )
        except InvalidCredentials:
            return Response(
                {"detail": "아이디 또는 비밀번호가 올바르지 않습니다."}, status=status.HTTP_401_UNAUTHORIZED
            )
        return Response({"user": UserOutputSerializer(user).data, **tokens})


class RefreshApi(AuthAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(JsonBodySerializer):
        refresh = serializers.CharField(max_length=2000, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(ErrorSerializer, description="리프레시 토큰이 유효하지 않거나 이미 쓰였습니다."),
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(tokens_rotate(raw_refresh=serializer.validated_data["refresh"]))


class LogoutApi(AuthAPIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(JsonBodySerializer):
        refresh = serializers.CharField(
            max_length=2000, required=False, trim_whitespace=False, help_text="함께 폐기할 리프레시 토큰"
        )

    @extend_schema(request=InputSerializer, responses={204: OpenApiResponse(description="로그아웃했습니다.")})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_logout(user=request.user, access_token=request.auth, raw_refresh=serializer.validated_data.get("refresh"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserOutputSerializer)
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)

    @extend_schema(request=PreferencesSerializer, responses=UserOutputSerializer)
    def patch(self, request):
        serializer = PreferencesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_update_preferences(user=request.user, **serializer.validated_data)
        return Response(UserOutputSerializer(user).data)
