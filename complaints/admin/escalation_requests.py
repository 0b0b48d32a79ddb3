"""Escalation requests: the managers' queue."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import BooleanField, Case, F, Value, When
from django.http import HttpResponseNotAllowed
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from complaints import policies
from complaints.admin.mixins import RowActionsMixin
from complaints.admin_forms import (
    DecisionForm,
    RejectRequestForm,
)
from complaints.models import (
    EscalationRequest,
)
from complaints.selectors import escalation_requests_visible_to
from complaints.services import escalation_request_approve, escalation_request_reject


# --- escalation requests: the managers' queue -------------------------------------------------------
@admin.register(EscalationRequest)
class EscalationRequestAdmin(RowActionsMixin, admin.ModelAdmin):
    """Pending requests first. Approving escalates the complaint through the same service as the
    sweep; only the manager of the department it would go to (or an admin) may decide."""

    list_display = [
        "complaint_reference",
        "state",
        "short_reason",
        "requested_by",
        "target_department",
        "created_at",
        "decided_by",
        "decided_at",
    ]
    list_display_links = ["complaint_reference"]
    list_filter = ["state"]
    list_select_related = ["complaint", "requested_by", "target_department", "decided_by"]
    search_fields = ["=complaint__reference", "reason"]
    fields = [
        "complaint",
        "state",
        "reason",
        "requested_by",
        "target_department",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    readonly_fields = fields
    actions = ["approve_requests", "reject_requests"]

    def get_queryset(self, request):
        return (
            escalation_requests_visible_to(request.user)
            .select_related("complaint", "requested_by", "target_department", "decided_by")
            .annotate(
                is_pending=Case(
                    When(state=EscalationRequest.State.PENDING, then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                )
            )
        )

    def get_ordering(self, request):
        return [F("is_pending").desc(), "-created_at"]

    def has_add_permission(self, request) -> bool:
        # Requests are made through the API and the complaint pages, by citizens and officers.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        if request.user.role not in (Role.MANAGER, Role.ADMIN) or not self.has_change_permission(request):
            return {}
        return super().get_actions(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET"])
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        obj = self.get_object(request, admin.utils.unquote(object_id))
        if obj is not None:
            extra_context.update(
                title=_("Escalation request for %(reference)s") % {"reference": obj.complaint.reference},
                subtitle=obj.complaint.title,
                decision_buttons=self._decision_buttons(request, obj),
                complaint_url=reverse("admin:complaints_complaint_change", args=[obj.complaint_id]),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _decision_buttons(self, request, obj: EscalationRequest) -> list[dict[str, str]]:
        """Approve and Reject on a pending request, for the person who may decide it (the same
        actions as the list, applied to this one request)."""
        if obj.state != EscalationRequest.State.PENDING or not policies.may_decide_escalation(request.user, obj):
            return []
        offered = self.get_actions(request)
        labels = {"approve_requests": _("Approve"), "reject_requests": _("Reject")}
        return [{"name": name, "label": label} for name, label in labels.items() if name in offered]

    def row_name(self, obj: EscalationRequest) -> str:
        return obj.complaint.reference

    def row_label(self, obj: EscalationRequest) -> str:
        return f"{obj.complaint.reference}: {obj.reason[:80]} ({obj.get_state_display()})"

    @admin.display(description=_("complaint"), ordering="complaint__reference")
    def complaint_reference(self, obj: EscalationRequest) -> str:
        return obj.complaint.reference

    @admin.display(description=_("reason"))
    def short_reason(self, obj: EscalationRequest) -> str:
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    @admin.action(description=_("Approve selected requests (escalate the complaints)"), permissions=["change"])
    def approve_requests(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            name="approve_requests",
            title=_("Approve escalation requests"),
            form_class=DecisionForm,
            done="escalation approved",
            apply=lambda r, data: escalation_request_approve(
                escalation_request=r, actor=request.user, note=data["note"]
            ),
        )

    @admin.action(description=_("Reject selected requests"), permissions=["change"])
    def reject_requests(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            name="reject_requests",
            title=_("Reject escalation requests"),
            form_class=RejectRequestForm,
            done="escalation request rejected",
            apply=lambda r, data: escalation_request_reject(
                escalation_request=r, actor=request.user, note=data["note"]
            ),
        )
