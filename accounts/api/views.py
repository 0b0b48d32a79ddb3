from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.api.serializers import LogoutSerializer, MeSerializer, PasswordLoginSerializer, TokenPairSerializer


class PublicAuthView(APIView):
    """Base for login endpoints: no authentication needed, failures still answer 401 (not 403)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


class PasswordTokenView(PublicAuthView):
    """Exchange a phone number or email and a password for a JWT pair."""

    throttle_scope = "login"

    @extend_schema(request=PasswordLoginSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        serializer = PasswordLoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        # The signal a session login sends: it stamps last_login and clears the account's failed
        # attempts (django-axes), so a success resets the lockout count on the API too.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response(TokenPairSerializer.for_user(user))


class LogoutView(PublicAuthView):
    """Blacklist a refresh token so it can never be used again."""

    @extend_schema(request=LogoutSerializer, responses={205: OpenApiResponse(description="Logged out.")})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            RefreshToken(serializer.validated_data["refresh"]).blacklist()
        except TokenError as exc:
            return Response({"code": "token_not_valid", "detail": str(exc)}, status=status.HTTP_401_UNAUTHORIZED)
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user's own profile: read it, or change name, email and language."""

    serializer_class = MeSerializer
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user
