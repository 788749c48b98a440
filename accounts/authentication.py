from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts.tokens import access_token_is_revoked


class RevocableJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication plus the Redis revocation list filled by logout."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if access_token_is_revoked(jti=token["jti"]):
            raise InvalidToken("로그아웃된 토큰입니다. 다시 로그인해 주세요.")
        return token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class RevocableJWTScheme(SimpleJWTScheme):
    """The schema's bearer JWT scheme (`jwtAuth`) for our authentication class."""

    target_class = RevocableJWTAuthentication
