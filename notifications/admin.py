"""The back office of notifications: operators see what was sent through which channel, what
failed and why, and retry failures. Nobody adds, edits or deletes delivery rows by hand."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from notifications.kinds import kind_choices
from notifications.models import NotificationDelivery
from notifications.services import deliveries_retry


class KindFilter(admin.SimpleListFilter):
    """Kinds are registered by the apps that send them, so the choices come from the registry."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return kind_choices()

    def queryset(self, request, queryset):
        return queryset.filter(notification__kind=self.value()) if self.value() else queryset


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    """Operators' view of SMS and email sending: what failed and why, and a retry for failures."""

    list_display = ["id", "recipient", "kind", "channel", "status", "attempts", "short_error", "created_at", "sent_at"]
    list_filter = ["status", "channel", KindFilter]
    list_select_related = ["notification__recipient"]
    search_fields = [
        "notification__recipient__phone",
        "notification__recipient__email",
        "notification__reference",
    ]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    readonly_fields = [field.name for field in NotificationDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return obj.notification.recipient

    @admin.display(description=_("kind"))
    def kind(self, obj):
        return obj.notification.kind

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:80]

    def has_retry_permission(self, request) -> bool:
        # Rows are never edited here, but re-queueing a failure is an operator's change.
        return request.user.has_perm("notifications.change_notificationdelivery")

    @admin.action(description=_("Retry the selected failed deliveries"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        retried = deliveries_retry(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d failed deliveries queued again.") % {"count": retried})
