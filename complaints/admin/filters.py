"""Changelist filters of the complaint back office."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from complaints.models import (
    OPEN_STATUSES,
    Complaint,
    Status,
)
from departments.models import Department
from departments.selectors import department_subtree_ids, subtree_ids_for_user
from grievance.filters import parse_id


# --- list filters -----------------------------------------------------------------------------
class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", _("Open (any)")), *Status.choices]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if self.value() in Status.values:
            return queryset.filter(status=self.value())
        return queryset


class DepartmentSubtreeFilter(admin.SimpleListFilter):
    """A department and everything below it, offered only within the person's own reach."""

    title = _("department (with sub-departments)")
    parameter_name = "department"

    def lookups(self, request, model_admin):
        departments = Department.objects.order_by("path", "id")
        if request.user.role in (Role.OFFICER, Role.MANAGER):
            departments = departments.filter(pk__in=subtree_ids_for_user(request.user))
        return [(str(d.pk), format_html("{}{}", "\u2003" * d.depth, d.name)) for d in departments]

    def queryset(self, request, queryset):
        department_id = parse_id(self.value()) if self.value() else None
        if department_id is not None:
            return queryset.filter(department_id__in=department_subtree_ids(department_id))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Complaint.objects.overdue().values("pk"))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("nobody", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "nobody":
            return queryset.filter(assignee__isnull=True)
        return queryset


class EscalationLevelFilter(admin.SimpleListFilter):
    title = _("escalation level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("0", _("Not escalated")), ("1", "1"), ("2", "2"), ("3", _("3 or more"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "3":
            return queryset.filter(escalation_level__gte=3)
        if value in ("0", "1", "2"):
            return queryset.filter(escalation_level=int(value))
        return queryset
