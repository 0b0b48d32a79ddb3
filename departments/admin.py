"""Back-office pages for reference data. Validation lives in the models' clean() methods (the
admin shows their messages next to the field) and in the escalation formset below."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import register_department_subtree
from departments.models import Category, ClosureReason, Department, EscalationStep, SLAPolicy
from departments.selectors import department_subtree_ids
from departments.services import validate_escalation_levels

# A manager's user list in the back office is the staff of their department subtree.
register_department_subtree(department_subtree_ids)


class EscalationStepFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        levels = [
            form.cleaned_data["level"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("level")
        ]
        try:
            validate_escalation_levels(levels)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["escalation_policy"]) from None


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    formset = EscalationStepFormSet
    extra = 0
    verbose_name = _("escalation level")
    verbose_name_plural = _("escalation policy (no rows: the built-in default of 72 h, 48 h, 24 h)")
    fields = ["level", "hours", "notify_manager", "notify_assignee", "notify_citizen", "notify_executives"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["indented_name", "code", "manager", "contact_email", "contact_phone", "is_active"]
    list_select_related = ["manager"]
    list_filter = ["is_active", "depth"]
    search_fields = ["name", "code", "path"]
    ordering = ["path", "id"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    fieldsets = [
        (None, {"fields": ["code", "name", "parent", "path", "is_active"]}),
        (_("Contact and manager"), {"fields": ["contact_email", "contact_phone", "manager"]}),
    ]
    inlines = [EscalationStepInline]

    @admin.display(description=_("department"), ordering="path")
    def indented_name(self, obj: Department) -> str:
        return format_html(
            '<span style="padding-left:{}em" title="{}">{}{}</span>',
            obj.depth * 1.5,
            obj.path,
            "└ " if obj.depth else "",
            obj.name,
        )


class SubcategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    extra = 0
    verbose_name = _("subcategory")
    verbose_name_plural = _("subcategories")
    fields = ["code", "name", "name_hi", "default_department", "default_priority", "is_active", "ordering"]
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "default_department", "default_priority", "is_active", "ordering"]
    list_select_related = ["parent", "default_department"]
    list_filter = ["is_active", "default_priority", ("parent", admin.EmptyFieldListFilter)]
    search_fields = ["name", "name_hi", "code"]
    ordering = ["ordering", "name"]
    autocomplete_fields = ["default_department"]
    fieldsets = [
        (None, {"fields": ["code", "name", "name_hi", "description", "parent"]}),
        (_("Routing"), {"fields": ["default_department", "default_priority"]}),
        (_("Display"), {"fields": ["is_active", "ordering"]}),
    ]

    def get_inlines(self, request, obj):
        # Only a top-level category can have subcategories.
        if obj is not None and obj.parent_id is not None:
            return []
        return [SubcategoryInline]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "category", "department", "hours_low", "hours_medium", "hours_high", "hours_urgent"]
    list_select_related = ["category", "department"]
    list_filter = ["is_default"]
    autocomplete_fields = ["category", "department"]
    fieldsets = [
        (
            _("Scope (leave both empty for the default policy)"),
            {"fields": ["category", "department"]},
        ),
        (
            _("Calendar hours allowed to resolve, per priority"),
            {"fields": ["hours_low", "hours_medium", "hours_high", "hours_urgent"]},
        ),
    ]

    def get_actions(self, request):
        # No bulk delete: it would not spare the default policy.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # The default policy is what every due time falls back on.
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ClosureReason)
class ClosureReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "name_hi", "is_active", "ordering"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    ordering = ["ordering", "name"]
