"""Back office: the chat messages staff may see, read-only, with a retry for failed sends; and
the notices' broadcast campaigns."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed
from django.utils.translation import gettext_lazy as _

from complaints.admin.mixins import RowActionsMixin
from complaints.models import Complaint
from complaints.notices import NOTICE_AUTHOR_ROLES, notices_visible_to
from complaints.querysets import department_scope
from messaging.campaigns import campaign_cancel, campaign_create, campaign_start
from messaging.models import Campaign, ChannelName, Message
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


# --- campaigns ---------------------------------------------------------------------------------------
class CampaignAdminForm(forms.ModelForm):
    """A new campaign: which notice, over which channels (in order of preference), and when."""

    channels = forms.MultipleChoiceField(
        choices=ChannelName.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each citizen gets the notice once, on the first of these channels that reaches them."),
    )
    scheduled_at = forms.DateTimeField(
        required=False, help_text=_("Leave empty to keep a draft and start it with the action.")
    )

    class Meta:
        model = Campaign
        fields = ["notice", "channels", "scheduled_at"]


@admin.register(Campaign)
class CampaignAdmin(RowActionsMixin, admin.ModelAdmin):
    """Managers broadcast their notices over the chat channels: create a campaign (a draft or
    scheduled), start or cancel it; the counters fill in as the sending task goes."""

    form = CampaignAdminForm
    list_display = [
        "id",
        "notice",
        "channel_list",
        "state",
        "scheduled_at",
        "recipients_count",
        "sent_count",
        "failed_count",
        "skipped_count",
        "cost_units",
        "created_at",
    ]
    list_filter = ["state"]
    list_select_related = ["notice", "created_by"]
    search_fields = ["notice__title"]
    readonly_after = [
        "notice",
        "channels",
        "state",
        "scheduled_at",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "recipients_count",
        "sent_count",
        "failed_count",
        "skipped_count",
        "cost_units",
    ]
    actions = ["start_campaigns", "cancel_campaigns"]

    def get_queryset(self, request):
        notices = notices_visible_to(request.user)
        return super().get_queryset(request).filter(notice__in=notices.values("pk")).select_related("notice")

    def get_fields(self, request, obj=None):
        return ["notice", "channels", "scheduled_at"] if obj is None else self.readonly_after

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_after

    def has_add_permission(self, request) -> bool:
        return request.user.role in NOTICE_AUTHOR_ROLES and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.role in NOTICE_AUTHOR_ROLES and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "notice":
            kwargs["queryset"] = notices_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET"])
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        campaign = campaign_create(
            actor=request.user, notice=data["notice"], channels=data["channels"], scheduled_at=data["scheduled_at"]
        )
        for field in Campaign._meta.concrete_fields:
            setattr(obj, field.attname, getattr(campaign, field.attname))
        obj._state.adding = False

    def get_actions(self, request):
        return super().get_actions(request) if self.has_change_permission(request) else {}

    def row_name(self, obj: Campaign) -> str:
        return f"Campaign {obj.pk} ({obj.notice})"

    @admin.display(description=_("channels"))
    def channel_list(self, obj: Campaign) -> str:
        return ", ".join(obj.channels)

    @admin.action(description=_("Start selected campaigns now"), permissions=["change"])
    def start_campaigns(self, request, queryset):
        self._run_each(
            request, queryset, done="started", operation=lambda c: campaign_start(campaign=c, actor=request.user)
        )

    @admin.action(description=_("Cancel selected campaigns"), permissions=["change"])
    def cancel_campaigns(self, request, queryset):
        self._run_each(
            request, queryset, done="cancelled", operation=lambda c: campaign_cancel(campaign=c, actor=request.user)
        )
