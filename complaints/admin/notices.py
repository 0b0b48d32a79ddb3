"""Notices to citizens, written and published by managers."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpResponseNotAllowed
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from complaints.admin.mixins import RowActionsMixin
from complaints.admin_forms import (
    NoticeAdminForm,
)
from complaints.models import (
    Notice,
)
from complaints.notices import NOTICE_AUTHOR_ROLES, notice_create, notice_publish, notices_visible_to
from departments.models import Department
from departments.selectors import subtree_ids_for_user


# --- notices -----------------------------------------------------------------------------------------
@admin.register(Notice)
class NoticeAdmin(RowActionsMixin, admin.ModelAdmin):
    """Managers write drafts for their departments and publish them; the fan-out runs in a task and
    the counts fill in as it goes. A published notice is never edited."""

    form = NoticeAdminForm
    list_display = [
        "title",
        "department",
        "state",
        "audience",
        "recipients_count",
        "sent_count",
        "failed_count",
        "author",
        "created_at",
        "published_at",
    ]
    list_filter = ["state", "audience"]
    list_select_related = ["department", "author"]
    search_fields = ["title", "body"]
    filter_horizontal = ["categories"]
    counts = ["state", "recipients_count", "sent_count", "failed_count", "author", "created_at", "published_at"]
    actions = ["publish_notices"]

    def get_queryset(self, request):
        return notices_visible_to(request.user)

    def get_fields(self, request, obj=None):
        fields = list(NoticeAdminForm.Meta.fields)
        return fields if obj is None else [*fields, *self.counts]

    def get_readonly_fields(self, request, obj=None):
        # Drafts are created here and then only published: the service has no "edit" operation.
        return [] if obj is None else self.get_fields(request, obj)

    def has_add_permission(self, request) -> bool:
        return request.user.role in NOTICE_AUTHOR_ROLES and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.role in NOTICE_AUTHOR_ROLES and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department" and request.user.role == Role.MANAGER:
            # A manager writes for their own department and those below it.
            kwargs["queryset"] = Department.objects.filter(pk__in=subtree_ids_for_user(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET"])
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        notice = notice_create(
            actor=request.user,
            department=data["department"],
            title=data["title"],
            body=data["body"],
            audience=data["audience"],
            categories=list(data["categories"]),
            ward=data["ward"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            radius_m=data["radius_m"],
            lookback_days=data["lookback_days"],
        )
        # The admin goes on with `obj` (messages, redirect, save_related): make it the saved notice.
        for field in Notice._meta.concrete_fields:
            setattr(obj, field.attname, getattr(notice, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # notice_create already set the categories.
        pass

    def get_actions(self, request):
        return super().get_actions(request) if self.has_change_permission(request) else {}

    def row_name(self, obj: Notice) -> str:
        return f"Notice “{obj.title}”"

    @admin.action(description=_("Publish selected notices (send them to citizens)"), permissions=["change"])
    def publish_notices(self, request, queryset):
        self._run_each(
            request,
            queryset,
            done="published",
            operation=lambda notice: notice_publish(notice=notice, actor=request.user),
        )
