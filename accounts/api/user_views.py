"""`/api/v1/users/`: administrators manage accounts of every role. Views only call services."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import services
from accounts.api.user_serializers import (
    PasswordResetRequestSerializer,
    PasswordResetSentSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from accounts.filtersets import UserFilterSet
from accounts.models import User
from accounts.permissions import IsAdminRole

CONFLICT = OpenApiResponse(description="A user with this phone number or email address already exists.")


@extend_schema_view(
    create=extend_schema(request=UserCreateSerializer, responses={201: UserSerializer, 409: CONFLICT}),
    partial_update=extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer, 409: CONFLICT}),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = User.objects.select_related("department").order_by("id")
    serializer_class = UserSerializer
    permission_classes = [IsAdminRole]
    filterset_class = UserFilterSet
    ordering_fields = ["id", "full_name", "date_joined", "last_login"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request):
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(actor=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        user = self.get_object()
        serializer = UserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=user, actor=request.user, data=serializer.validated_data)
        return Response(UserSerializer(self.get_queryset().get(pk=user.pk)).data)

    @extend_schema(request=None, responses={200: UserSerializer, 409: OpenApiResponse(description="Own account.")})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Switch the account off; its tokens, sessions and API keys stop working at once."""
        user = services.user_deactivate(user=self.get_object(), actor=request.user)
        return Response(UserSerializer(self.get_queryset().get(pk=user.pk)).data)

    @extend_schema(request=None, responses={200: UserSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Switch a deactivated account back on."""
        user = services.user_activate(user=self.get_object(), actor=request.user)
        return Response(UserSerializer(self.get_queryset().get(pk=user.pk)).data)

    @extend_schema(
        request=PasswordResetRequestSerializer,
        responses={202: PasswordResetSentSerializer, 409: OpenApiResponse(description="Deactivated or service.")},
    )
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request, pk=None):
        """Send the user a one-time link (email or SMS) to set a new password."""
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel = services.user_send_password_reset(
            user=self.get_object(),
            actor=request.user,
            base_url=request.build_absolute_uri("/"),
            channel=serializer.validated_data.get("channel"),
        )
        return Response(
            {"detail": f"A one-time link to set a new password was sent by {channel}.", "channel": channel},
            status=status.HTTP_202_ACCEPTED,
        )
