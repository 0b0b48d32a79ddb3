"""Filters for complaint lists (API and pages), declared once."""

from decimal import Decimal, InvalidOperation

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from complaints.models import Complaint, Status
from complaints.querysets import overdue_q
from complaints.selectors import Point, with_priority_rank, within_radius
from departments.models import Category, Department, Priority
from departments.selectors import department_subtree_ids
from grievance.filters import BoundedIsoDateTimeFilter, IdOrCodeFilter

MAX_RADIUS_M = 50_000


class PointField(forms.CharField):
    """ "lat,lng" -> Point, with both numbers range-checked."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            lat_text, lng_text = value.split(",")
            lat, lng = Decimal(lat_text.strip()), Decimal(lng_text.strip())
        except (ValueError, InvalidOperation):
            raise forms.ValidationError("Use near=latitude,longitude, e.g. near=28.6139,77.2090.") from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise forms.ValidationError("Latitude must be within -90..90 and longitude within -180..180.")
        return Point(float(lat), float(lng))


@extend_schema_field(OpenApiTypes.STR)
class PointFilter(django_filters.Filter):
    field_class = PointField


class ComplaintOrderingFilter(django_filters.OrderingFilter):
    """Ordering; the `priority_rank` annotation (urgency order) is added only when asked to sort by it."""

    def filter(self, qs, value):
        if value and any(v.lstrip("-") == "priority" for v in value) and "priority_rank" not in qs.query.annotations:
            qs = with_priority_rank(qs)
        return super().filter(qs, value)


class ComplaintFilterSet(django_filters.FilterSet):
    # distinct=False: a plain IN on the complaint's own column never repeats rows, and DISTINCT over
    # the whole row would make PostgreSQL sort every matching complaint (and again for the count).
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, distinct=False, help_text="Repeat for several."
    )
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    department = IdOrCodeFilter(method="filter_department", help_text="Code or id; includes sub-departments.")
    category = django_filters.CharFilter(method="filter_category", help_text="Code; includes its subcategories.")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    q = django_filters.CharFilter(method="filter_search", max_length=200, help_text="Reference, title, description.")
    near = PointFilter(method="filter_near", help_text="latitude,longitude")
    radius_m = django_filters.NumberFilter(
        method="filter_noop", min_value=1, max_value=MAX_RADIUS_M, help_text="Radius for near= (default 1000)."
    )
    ordering = ComplaintOrderingFilter(
        fields=(
            ("created_at", "created"),
            ("sla_due_at", "due"),
            ("priority_rank", "priority"),
            ("supporters_count", "supporters"),
        )
    )

    class Meta:
        model = Complaint
        fields: list[str] = []

    def filter_department(self, queryset, name, value):
        lookup = Q(pk=value) if isinstance(value, int) else Q(code=value)
        department = Department.objects.filter(lookup).first()
        if department is None:
            return queryset.none()
        return queryset.filter(department_id__in=department_subtree_ids(department))

    def filter_category(self, queryset, name, value):
        category = Category.objects.filter(code=value).first()
        if category is None:
            return queryset.none()
        return queryset.filter(Q(category=category) | Q(subcategory=category))

    def filter_overdue(self, queryset, name, value):
        overdue = overdue_q()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__iexact=value) | Q(title__icontains=value) | Q(description__icontains=value))

    def filter_near(self, queryset, name, value):
        if value is None:
            return queryset
        radius = self.form.cleaned_data.get("radius_m") or 1000
        return within_radius(queryset, center=value, radius_m=float(radius))

    def filter_noop(self, queryset, name, value):
        return queryset  # read by filter_near
