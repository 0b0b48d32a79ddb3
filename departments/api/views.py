"""Reference data API: departments, categories, closure reasons (public, cached) and SLA policies
(staff only). Writes are for administrators and go through departments.services.

Lists are not paginated: reference data is small and clients (the mobile app, the AI service) want
all of it at once. Every list runs a fixed number of queries, and public reads are answered from
the cache until any reference data changes.
"""

import hashlib

import django_filters
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.utils.translation import get_language
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from departments import services
from departments.api.permissions import PublicReadAdminWrite, StaffReadAdminWrite, is_staff
from departments.api.serializers import (
    CategorySerializer,
    ClosureReasonSerializer,
    DepartmentSerializer,
    DepartmentTreeNodeSerializer,
    SLAPolicySerializer,
)
from departments.cache import REFERENCE_CACHE_SECONDS, cache_key
from departments.models import Category, ClosureReason, Department, SLAPolicy

TRUE_VALUES = {"1", "true", "yes", "on"}


class PublicReadSchema(AutoSchema):
    """Documents that reads need no authentication (the permission class is custom, so
    drf-spectacular cannot tell by itself)."""

    def get_auth(self):
        auths = super().get_auth()
        if self.method in ("GET", "HEAD", "OPTIONS") and {} not in auths:
            auths.append({})
        return auths


class CachedReadMixin:
    """Answers list and retrieve from the cache, keyed by the query string (and the id), the
    language and whether the caller is staff (staff see a few more fields). Errors are not cached."""

    cache_namespace = ""
    schema = PublicReadSchema()

    def _cached(self, request, kind: str, build, *, extra: str = ""):
        query = "&".join(f"{k}={v}" for k, values in sorted(request.query_params.lists()) for v in sorted(values))
        audience = "staff" if is_staff(request.user) else "public"
        digest = hashlib.sha256(f"{extra}?{query}".encode()).hexdigest()[:32]
        key = cache_key(self.cache_namespace, kind, audience, get_language() or "", digest)
        data = cache.get(key)
        if data is None:
            data = build()
            cache.set(key, data, REFERENCE_CACHE_SECONDS)
        return Response(data)

    def list(self, request, *args, **kwargs):
        return self._cached(request, "list", lambda: list(super(CachedReadMixin, self).list(request).data))

    def retrieve(self, request, *args, **kwargs):
        def build():
            return dict(super(CachedReadMixin, self).retrieve(request, *args, **kwargs).data)

        return self._cached(request, "detail", build, extra=str(kwargs.get(self.lookup_url_kwarg or self.lookup_field)))


# --- departments -----------------------------------------------------------------------------
class DepartmentFilter(django_filters.FilterSet):
    parent = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), help_text="Children of this department."
    )
    is_active = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="search", help_text="Text in the name, code or path.")

    class Meta:
        model = Department
        fields = ["parent", "is_active", "q"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value) | Q(path__icontains=value))


def nest_departments(rows: list[dict]) -> list[dict]:
    """Nest serialized departments under their parents; those whose parent is not in `rows` are roots."""
    by_id = {row["id"]: {**row, "children": []} for row in rows}
    roots = []
    for row in rows:
        node = by_id[row["id"]]
        parent = by_id.get(row["parent"])
        (parent["children"] if parent is not None else roots).append(node)
    return roots


_department_list_response = PolymorphicProxySerializer(
    component_name="DepartmentListItem",
    serializers=[DepartmentSerializer, DepartmentTreeNodeSerializer],
    resource_type_field_name=None,
    many=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List departments (flat, or nested with ?tree=1)",
        parameters=[
            OpenApiParameter(
                "tree",
                OpenApiTypes.BOOL,
                description="1: nest departments under `children`; departments whose parent is filtered "
                "out become roots. Default: a flat list ordered by path.",
            )
        ],
        responses=_department_list_response,
    ),
    retrieve=extend_schema(summary="One department"),
    create=extend_schema(summary="Create a department (admin)"),
    update=extend_schema(summary="Replace a department (admin)"),
    partial_update=extend_schema(summary="Change a department, e.g. move it (admin)"),
    destroy=extend_schema(summary="Delete an unused department (admin); 409 when still used"),
)
class DepartmentViewSet(CachedReadMixin, viewsets.ModelViewSet):
    """Departments, a tree of any depth. Read by anyone; written by administrators."""

    serializer_class = DepartmentSerializer
    permission_classes = [PublicReadAdminWrite]
    # The AI service reads reference data to classify (its key's scope); writes stay admin-only.
    api_key_scopes = ("intake",)
    filter_backends = [DjangoFilterBackend]
    filterset_class = DepartmentFilter
    pagination_class = None
    cache_namespace = "departments"

    def get_queryset(self):
        return Department.objects.prefetch_related("escalation_steps").order_by("path", "id")

    def perform_destroy(self, instance):
        services.department_delete(department=instance)

    def list(self, request, *args, **kwargs):
        def build():
            queryset = self.filter_queryset(self.get_queryset())
            rows = self.get_serializer(queryset, many=True).data
            if request.query_params.get("tree", "").lower() in TRUE_VALUES:
                return nest_departments(list(rows))
            return list(rows)

        return self._cached(request, "list", build)


# --- categories ------------------------------------------------------------------------------
def _subcategory_queryset(is_active: bool | None = None):
    subcategories = Category.objects.select_related("default_department")
    if is_active is not None:
        subcategories = subcategories.filter(is_active=is_active)
    return Prefetch("subcategories", queryset=subcategories)


class CategoryFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter(
        method="filter_active", help_text="Only (in)active categories, and only (in)active subcategories in them."
    )

    class Meta:
        model = Category
        fields = ["is_active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value).prefetch_related(None).prefetch_related(_subcategory_queryset(value))


@extend_schema_view(
    list=extend_schema(summary="Top-level categories, each with its subcategories"),
    retrieve=extend_schema(summary="One category or subcategory"),
    create=extend_schema(summary="Create a category, or a subcategory with `parent` (admin)"),
    update=extend_schema(summary="Replace a category (admin)"),
    partial_update=extend_schema(summary="Change a category (admin)"),
    destroy=extend_schema(summary="Delete an unused category (admin); 409 when still used"),
)
class CategoryViewSet(CachedReadMixin, viewsets.ModelViewSet):
    """Complaint categories and their subcategories, with the department each routes to."""

    serializer_class = CategorySerializer
    permission_classes = [PublicReadAdminWrite]
    # The AI service reads reference data to classify (its key's scope); writes stay admin-only.
    api_key_scopes = ("intake",)
    filter_backends = [DjangoFilterBackend]
    filterset_class = CategoryFilter
    pagination_class = None
    cache_namespace = "categories"

    def get_queryset(self):
        queryset = Category.objects.select_related("default_department").prefetch_related(_subcategory_queryset())
        if self.action == "list":
            queryset = queryset.filter(parent__isnull=True)
        return queryset

    def perform_destroy(self, instance):
        services.category_delete(category=instance)


# --- closure reasons -------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="Reasons a complaint can be closed or rejected with"),
    destroy=extend_schema(summary="Delete an unused closure reason (admin); 409 when still used"),
)
class ClosureReasonViewSet(CachedReadMixin, viewsets.ModelViewSet):
    """Why a complaint was closed or rejected. Read by anyone; written by administrators."""

    serializer_class = ClosureReasonSerializer
    permission_classes = [PublicReadAdminWrite]
    # The AI service reads reference data to classify (its key's scope); writes stay admin-only.
    api_key_scopes = ("intake",)
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["is_active"]
    pagination_class = None
    cache_namespace = "closure-reasons"
    queryset = ClosureReason.objects.all()

    def perform_destroy(self, instance):
        services.closure_reason_delete(reason=instance)


# --- SLA policies ----------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="SLA policies: the default and the overrides (staff)"),
    destroy=extend_schema(summary="Delete an override (admin); the default policy cannot be deleted (409)"),
)
class SLAPolicyViewSet(viewsets.ModelViewSet):
    """Resolution time per priority, in calendar hours: one default and overrides per category
    and/or department. Staff read; administrators write."""

    serializer_class = SLAPolicySerializer
    permission_classes = [StaffReadAdminWrite]
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["category", "department", "is_default"]
    pagination_class = None
    queryset = SLAPolicy.objects.select_related("category", "department")

    def perform_destroy(self, instance):
        services.sla_policy_delete(policy=instance)
