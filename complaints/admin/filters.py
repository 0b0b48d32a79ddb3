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
    """Open complaints unless the person chooses otherwise: the queue is what is still to do.

    With no `status` in the address the filter reads "open" (a search by reference or title looks
    at every status, so a closed complaint is still found by its number); "All" is an explicit
    choice (`status=all`) so it survives the default."""

    title = _("status")
    parameter_name = "status"
    DEFAULT = "open"
    EVERYTHING = "all"

    def lookups(self, request, model_admin):
        return [("open", _("Open (any)")), *Status.choices]

    def value(self):
        value = super().value()
        if value is None:
            # An action posted with picked rows acts on those rows whatever their status (the
            # complaint page's buttons post without a filter); "select all N" means what was listed.
            picking_rows = self.request.method == "POST" and self.request.POST.get("select_across") != "1"
            searching = bool(self.request.GET.get("q", "").strip())
            return self.EVERYTHING if searching or picking_rows else self.DEFAULT
        return value

    def __init__(self, request, params, model, model_admin):
        self.request = request
        super().__init__(request, params, model, model_admin)

    def choices(self, changelist):
        yield {
            "selected": self.value() == self.EVERYTHING,
            "query_string": changelist.get_query_string({self.parameter_name: self.EVERYTHING}),
            "display": _("All"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

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
