"""Notices to citizens over the API: staff list their departments' notices; managers (for their
subtree) and admins write drafts and publish them. A notice outside the caller's reach is a 404."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from complaints import notices
from complaints.models import Notice
from departments.models import Category, Department


class IsStaff(BasePermission):
    message = "Notices are for department staff."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class NoticeSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())
    categories = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.all(), many=True, required=False
    )
    author = serializers.StringRelatedField()
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True
    )
    radius_m = serializers.IntegerField(min_value=10, max_value=50_000, required=False, allow_null=True)
    lookback_days = serializers.IntegerField(min_value=1, max_value=365, required=False, default=30)

    class Meta:
        model = Notice
        fields = [
            "id", "department", "author", "title", "body", "audience", "categories", "ward", "latitude",
            "longitude", "radius_m", "lookback_days", "state", "recipients_count", "sent_count", "failed_count",
            "created_at", "published_at",
        ]
        read_only_fields = [
            "author", "state", "recipients_count", "sent_count", "failed_count", "created_at", "published_at",
        ]

    def validate_department(self, department: Department) -> Department:
        user = self.context["request"].user
        try:
            notices.ensure_may_manage(actor=user, department=department)
        except Exception as exc:
            raise serializers.ValidationError(str(getattr(exc, "message", exc))) from None
        return department


@extend_schema_view(
    list=extend_schema(summary="Notices of your departments, newest first"),
    retrieve=extend_schema(summary="One notice with its delivery counts"),
    create=extend_schema(summary="Write a draft notice (department managers and admins)"),
)
class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsStaff]
    serializer_class = NoticeSerializer
    filter_backends: list = []
    lookup_value_regex = r"[0-9]+"
    queryset = Notice.objects.none()  # for the schema; get_queryset is the real source

    def get_queryset(self):
        return notices.notices_visible_to(self.request.user).order_by("-created_at", "-id")

    def create(self, request, *args, **kwargs):
        if request.user.role not in notices.NOTICE_AUTHOR_ROLES:
            raise PermissionDenied("Only department managers and administrators write notices.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Django ValidationErrors from the service become 400s with field errors in the exception handler.
        notice = notices.notice_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Publish a draft notice: it is sent to its recipients in the background",
                   request=None, responses={200: NoticeSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        notice = self.get_object()
        notice = notices.notice_publish(notice=notice, actor=request.user)
        return Response(self.get_serializer(notice).data)
