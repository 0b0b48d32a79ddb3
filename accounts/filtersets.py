import django_filters
from django.db.models import Q

from accounts.models import Role, User
from grievance.filters import IdOrCodeFilter


class UserFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    department = IdOrCodeFilter(method="filter_department", help_text="Department id or code.")
    is_active = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="filter_q", help_text="Search in name, email and phone.")

    class Meta:
        model = User
        fields = ["role", "department", "is_active", "q"]

    def filter_department(self, queryset, name, value):
        if isinstance(value, int):
            return queryset.filter(department_id=value)
        return queryset.filter(department__code=value)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        digits = "".join(ch for ch in value if ch in "0123456789")
        condition = Q(full_name__icontains=value) | Q(email__icontains=value)
        if len(digits) >= 3:
            condition |= Q(phone__contains=digits)
        return queryset.filter(condition)
