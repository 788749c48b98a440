from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.login_guard import LoginLocked
from accounts.services import InvalidCredentials, user_login, user_logout, user_register, user_update_preferences
from accounts.tokens import tokens_issue, tokens_rotate
from rooms.vocabulary import GENRE_NAMES, REGION_NAMES


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    favorite_regions = serializers.ListField(child=serializers.CharField())
    favorite_genres = serializers.ListField(child=serializers.CharField())
    usual_party_size = serializers.IntegerField(allow_null=True)
    is_staff = serializers.BooleanField()


class PreferencesSerializer(serializers.Serializer):
    favorite_regions = serializers.ListField(
        child=serializers.ChoiceField(choices=REGION_NAMES), required=False, max_length=len(REGION_NAMES)
    )
    favorite_genres = serializers.ListField(
        child=serializers.ChoiceField(choices=GENRE_NAMES), required=False, max_length=len(GENRE_NAMES)
    )
    usual_party_size = serializers.IntegerField(min_value=1, max_value=20, required=False, allow_null=True)


class AuthAPIView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def get_authenticate_header(self, request):
        # Token errors are 401 even on views that take no credentials (refresh), not DRF's 403.
        return 'Bearer realm="api"'


class RegisterApi(AuthAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(PreferencesSerializer):
        username = serializers.RegexField(
            r"^[\w.@+-]+$",
            max_length=30,
            min_length=3,
            error_messages={"invalid": "아이디는 글자, 숫자와 @ . + - _ 만 쓸 수 있습니다."},
        )
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data)
        body = {"user": UserOutputSerializer(user).data, **tokens_issue(user=user)}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginApi(AuthAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=InputSerializer)
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

    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer)
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(tokens_rotate(raw_refresh=serializer.validated_data["refresh"]))


class LogoutApi(AuthAPIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField(max_length=2000, required=False)

    @extend_schema(request=InputSerializer, responses={204: None})
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
