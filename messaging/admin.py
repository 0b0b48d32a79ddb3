"""Back office: the chat messages staff may see, read-only, with a retry for failed sends."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from complaints.querysets import department_scope
from messaging.models import Message
from messaging.services import messages_retry


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "direction", "complaint_reference", "short_body", "status", "attempts"]
    list_filter = ["channel", "direction", "status"]
    search_fields = ["complaint__reference", "body"]
    list_select_related = ["complaint"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    fields = [
        "created_at",
        "channel",
        "direction",
        "complaint",
        "body",
        "media_ref",
        "latitude",
        "longitude",
        "status",
        "attempts",
        "last_error",
        "cost_units",
        "sent_by",
        "sent_at",
        "provider_message_id",
    ]
    readonly_fields = fields
    actions = ["retry_failed"]

    def get_queryset(self, request):
        """Messages of complaints the person may see; chats not (yet) about a complaint only for
        those who see every complaint."""
        queryset = super().get_queryset(request).select_related("complaint", "sent_by")
        if department_scope(request.user) is None:
            return queryset
        return queryset.filter(complaint__in=Complaint.objects.visible_to(request.user).values("pk"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("messaging.change_message")

    @admin.display(description=_("complaint"), ordering="complaint__reference")
    def complaint_reference(self, obj: Message) -> str:
        return obj.complaint.reference if obj.complaint_id else "-"

    @admin.display(description=_("message"))
    def short_body(self, obj: Message) -> str:
        return obj.body[:80]

    @admin.action(description=_("Send the selected failed messages again"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        count = messages_retry(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(count)d message(s) queued again.") % {"count": count}, messages.SUCCESS)
