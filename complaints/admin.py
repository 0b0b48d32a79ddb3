"""The back office: department staff work their queues here.

Every page starts from the one visibility gate (`Complaint.objects.visible_to`), so nothing outside a
person's reach is listed or reachable by URL. Nothing is edited in place: workflow fields are
read-only and every change is an action (single from the change page, or bulk from the list) that
calls the same service function as the API; the services and the workflow table decide what each
role may do, and each row's outcome is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, F, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from complaints import services
from complaints.admin_forms import (
    AssignForm,
    CommentForm,
    DecisionForm,
    DuplicateForm,
    EscalateForm,
    NoticeAdminForm,
    RejectForm,
    RejectRequestForm,
    ResolveForm,
    TriageForm,
)
from complaints.escalation import (
    escalation_request_approve,
    escalation_request_reject,
    escalation_requests_visible_to,
)
from complaints.models import (
    OPEN_STATUSES,
    Comment,
    Complaint,
    ComplaintEvent,
    Escalation,
    EscalationRequest,
    Notice,
    Status,
)
from complaints.notices import NOTICE_AUTHOR_ROLES, notice_create, notice_publish, notices_visible_to
from complaints.workflow import TRANSITIONS, allowed_actions
from departments.models import Department
from departments.selectors import department_subtree_ids, subtree_ids_for_user
from grievance.errors import DomainError

# Admin action name -> workflow action it performs (the workflow table says which roles may).
ACTION_TRANSITIONS: dict[str, str] = {
    "triage_complaints": "triage",
    "assign_complaints": "assign",
    "start_complaints": "start",
    "resolve_complaints": "resolve",
    "escalate_complaints": "escalate",
    "reject_complaints": "reject",
    "mark_duplicate_complaints": "duplicate",
    "close_complaints": "close",
}
WORKFLOW_TO_ACTION = {workflow: name for name, workflow in ACTION_TRANSITIONS.items()}
BUTTON_LABELS = {
    "triage_complaints": _("Triage"),
    "assign_complaints": _("Assign"),
    "start_complaints": _("Start work"),
    "resolve_complaints": _("Resolve"),
    "escalate_complaints": _("Escalate"),
    "reject_complaints": _("Reject"),
    "mark_duplicate_complaints": _("Mark duplicate"),
    "close_complaints": _("Close"),
}
ACTION_FORM_TEMPLATE = "admin/complaints/action_form.html"


def overdue_flag(now) -> Case:
    """1 for an open complaint past its due time, else 0: the changelist sorts overdue rows first."""
    return Case(
        When(status__in=OPEN_STATUSES, sla_due_at__lt=now, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def error_text(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


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
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(department_id__in=department_subtree_ids(int(value)))
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


# --- read-only inlines: the timeline, the conversation, the escalation history ----------------
class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = ComplaintEvent
    verbose_name = _("timeline event")
    verbose_name_plural = _("timeline")
    fields = ["created_at", "actor", "action", "from_status", "to_status", "note", "is_internal"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("created_at", "id")


class CommentInline(ReadOnlyInline):
    model = Comment
    verbose_name_plural = _("comments and internal notes")
    fields = ["created_at", "author", "is_internal", "body"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").order_by("created_at", "id")


class EscalationInline(ReadOnlyInline):
    model = Escalation
    verbose_name_plural = _("escalation history")
    fields = ["created_at", "kind", "from_level", "to_level", "from_department", "to_department", "actor", "reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("from_department", "to_department", "actor")
            .order_by("created_at", "id")
        )


# --- actions that report per row and may ask for input first ------------------------------------
class RowActionsMixin:
    """Admin actions that call a service once per selected row, catch its domain and validation
    errors, and report every row ("GRV-2026-000012: resolved"). Actions that need input (a note, an
    assignee) first show an intermediate form (ACTION_FORM_TEMPLATE), then run on the same rows."""

    def row_label(self, obj) -> str:
        return str(obj)

    def row_name(self, obj) -> str:
        return str(obj)

    def _run_each(self, request, queryset, *, done: str, operation: Callable[[Any], Any]) -> None:
        """Apply `operation` row by row (each its own transaction in the service) and report each row."""
        for obj in queryset.order_by("pk"):
            try:
                operation(obj)
            except (DomainError, ValidationError) as exc:
                self.message_user(request, f"{self.row_name(obj)}: {error_text(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"{self.row_name(obj)}: {done}", messages.SUCCESS)

    def _after(self, request, queryset) -> HttpResponse | None:
        # From the change page (one complaint), go back to it; from the list, back to the list.
        if request.POST.get("_return_to_change"):
            pks = list(queryset.values_list("pk", flat=True)[:2])
            if len(pks) == 1:
                info = self.opts.app_label, self.opts.model_name
                return HttpResponseRedirect(reverse("admin:{}_{}_change".format(*info), args=[pks[0]]))
        return None

    def _form_action(
        self,
        request,
        queryset,
        *,
        name: str,
        title: str,
        form_class,
        done: str,
        apply: Callable[[Any, dict], Any],
        form_kwargs: dict | None = None,
    ) -> HttpResponse | None:
        """An action that needs input: show the intermediate form, then run it on every selected row."""
        form_kwargs = form_kwargs or {}
        if "apply" in request.POST:
            form = form_class(request.POST, **form_kwargs)
            if form.is_valid():
                self._run_each(request, queryset, done=done, operation=lambda c: apply(c, form.cleaned_data))
                return self._after(request, queryset)
        else:
            form = form_class(**form_kwargs)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "targets": [(obj.pk, self.row_label(obj)) for obj in queryset.order_by("pk")],
            "action_name": name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "return_to_change": request.POST.get("_return_to_change", ""),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, ACTION_FORM_TEMPLATE, context)


# --- the complaint admin ------------------------------------------------------------------------
@admin.register(Complaint)
class ComplaintAdmin(RowActionsMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "status",
        "priority",
        "department_path",
        "assignee",
        "due",
        "escalation_level",
        "age",
        "supporters_count",
    ]
    list_display_links = ["reference", "title"]
    list_select_related = ["department", "assignee"]
    list_filter = [
        StatusFilter,
        "priority",
        DepartmentSubtreeFilter,
        "category",
        OverdueFilter,
        AssigneeFilter,
        "source",
        EscalationLevelFilter,
    ]
    search_fields = ["=reference", "title", "citizen__phone"]
    date_hierarchy = "created_at"
    list_per_page = 50
    inlines = [EventInline, CommentInline, EscalationInline]
    fieldsets = [
        (None, {"fields": ["reference", "title", "status", "priority", "source", "created_at", "updated_at"]}),
        (_("Citizen"), {"fields": ["citizen_contact"]}),
        (
            _("Routing and time limit"),
            {
                "fields": [
                    "department",
                    "category",
                    "subcategory",
                    "assignee",
                    "due",
                    "escalation_level",
                    "supporters_count",
                ]
            },
        ),
        (_("What happened"), {"fields": ["description", "transcript", "language", "translated_text"]}),
        (_("Where"), {"fields": ["address", "ward", "latitude", "longitude"]}),
        (_("Attachments"), {"fields": ["attachments_preview"]}),
        (
            _("Outcome"),
            {"fields": ["resolution_note", "closure_reason", "duplicate_of", "resolved_at", "closed_at"]},
        ),
        (_("Metadata"), {"classes": ["collapse"], "fields": ["metadata", "created_by"]}),
    ]
    actions = list(ACTION_TRANSITIONS)

    # --- the gate and permissions ----------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Complaint]:
        return (
            Complaint.objects.visible_to(request.user)
            .select_related("department", "assignee")
            .annotate(is_overdue_flag=overdue_flag(timezone.now()))
        )

    def get_ordering(self, request):
        return [F("is_overdue_flag").desc(), F("sla_due_at").asc(nulls_last=True), "-created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        # Complaints are filed through the API and the citizen pages, never typed in here.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A complaint leaves the queue through the workflow (reject, duplicate, close), never deletion.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if request.user.role == Role.EXECUTIVE:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def get_actions(self, request):
        if not self.has_change_permission(request):
            return {}
        role = request.user.role
        return {
            name: action
            for name, action in super().get_actions(request).items()
            if name in ACTION_TRANSITIONS and role in TRANSITIONS[ACTION_TRANSITIONS[name]].roles
        }

    def row_name(self, obj: Complaint) -> str:
        return obj.reference

    def row_label(self, obj: Complaint) -> str:
        return f"{obj.reference} {obj.title} ({obj.get_status_display()})"

    # --- columns and read-only fields ------------------------------------------------------
    @admin.display(description=_("department"), ordering="department__path")
    def department_path(self, obj: Complaint) -> str:
        return obj.department.path if obj.department_id else "-"

    @admin.display(description=_("due"), ordering="sla_due_at")
    def due(self, obj: Complaint) -> str:
        if obj.sla_due_at is None:
            return "-"
        when = timezone.localtime(obj.sla_due_at).strftime("%Y-%m-%d %H:%M")
        overdue = getattr(obj, "is_overdue_flag", None)
        if overdue if overdue is not None else obj.is_overdue:
            return format_html(
                '<strong class="overdue" style="color:#ba2121">{} \u26a0 {}</strong>', when, _("overdue")
            )
        return when

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj: Complaint) -> str:
        return timesince(obj.created_at)

    @admin.display(description=_("contact"))
    def citizen_contact(self, obj: Complaint) -> str:
        citizen = obj.citizen
        return format_html(
            "{}<br>{}: {}<br>{}: {}",
            citizen.full_name or "-",
            _("phone"),
            citizen.phone or "-",
            _("email"),
            citizen.email or "-",
        )

    @admin.display(description=_("files"))
    def attachments_preview(self, obj: Complaint) -> str:
        items = []
        for attachment in obj.attachments.all():
            # Served by the permission-checked API route (session auth), never a public media URL.
            url = reverse("api:complaint-download", args=[obj.pk, attachment.pk])
            label = attachment.original_name or f"attachment {attachment.pk}"
            if attachment.content_type.startswith("image/"):
                items.append(
                    format_html(
                        '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" loading="lazy" '
                        'style="max-height:120px;max-width:160px;margin:0 8px 8px 0;border:1px solid #ccc"></a>',
                        url,
                        url,
                        label,
                    )
                )
            else:
                items.append(format_html('<a href="{}" target="_blank" rel="noopener">{}</a> ', url, label))
        return format_html_join("", "{}", ((item,) for item in items)) if items else "-"

    # --- the change page: read-only, with workflow buttons and a comment box -----------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/comment/",
                self.admin_site.admin_view(self.comment_view),
                name="{}_{}_comment".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            # Fields are never saved directly: that would bypass the workflow and the timeline.
            return HttpResponseNotAllowed(["GET"])
        extra_context = extra_context or {}
        obj = self.get_object(request, admin.utils.unquote(object_id))
        if obj is not None and self.has_change_permission(request, obj):
            extra_context.update(
                workflow_buttons=self._workflow_buttons(request, obj),
                comment_form=CommentForm(),
                comment_url=reverse("admin:complaints_complaint_comment", args=[obj.pk]),
            )
        extra_context.update(
            show_save=False,
            show_save_and_continue=False,
            show_save_and_add_another=False,
            show_delete=False,
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def _workflow_buttons(self, request, obj: Complaint) -> list[dict[str, str]]:
        offered = self.get_actions(request)
        buttons = []
        for workflow_action in allowed_actions(status=obj.status, actor=request.user):
            name = WORKFLOW_TO_ACTION.get(workflow_action)
            if name in offered:
                buttons.append({"name": name, "label": BUTTON_LABELS[name]})
        return buttons

    def comment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, admin.utils.unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse("admin:complaints_complaint_change", args=[obj.pk])
        form = CommentForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                self.message_user(request, f"{field}: {' '.join(errors)}", messages.ERROR)
            return HttpResponseRedirect(change_url)
        try:
            services.comment_add(
                complaint=obj,
                author=request.user,
                body=form.cleaned_data["body"],
                is_internal=form.cleaned_data["is_internal"],
            )
        except (DomainError, ValidationError) as exc:
            self.message_user(request, f"{obj.reference}: {error_text(exc)}", messages.ERROR)
        else:
            kind = _("internal note") if form.cleaned_data["is_internal"] else _("public reply")
            self.message_user(request, f"{obj.reference}: {kind} added", messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    # --- actions ---------------------------------------------------------------------------
    @admin.action(description=_("Triage selected complaints"))
    def triage_complaints(self, request, queryset):
        def apply(complaint, data):
            services.complaint_triage(
                complaint=complaint,
                actor=request.user,
                department=data["department"],
                category=data["category"],
                subcategory=data["subcategory"],
                priority=data["priority"] or None,
                assignee=data["assignee"],
                note=data["note"],
            )

        return self._form_action(
            request,
            queryset,
            name="triage_complaints",
            title=_("Triage complaints"),
            form_class=TriageForm,
            done="triaged",
            apply=apply,
        )

    @admin.action(description=_("Assign selected complaints"))
    def assign_complaints(self, request, queryset):
        def apply(complaint, data):
            services.complaint_assign(
                complaint=complaint, actor=request.user, assignee=data["assignee"], note=data["note"]
            )

        return self._form_action(
            request,
            queryset,
            name="assign_complaints",
            title=_("Assign complaints"),
            form_class=AssignForm,
            done="assigned",
            apply=apply,
        )

    @admin.action(description=_("Start work on selected complaints"))
    def start_complaints(self, request, queryset):
        self._run_each(
            request,
            queryset,
            done="started",
            operation=lambda c: services.complaint_start(complaint=c, actor=request.user),
        )
        return self._after(request, queryset)

    @admin.action(description=_("Resolve selected complaints"))
    def resolve_complaints(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            name="resolve_complaints",
            title=_("Resolve complaints"),
            form_class=ResolveForm,
            done="resolved",
            apply=lambda c, data: services.complaint_resolve(complaint=c, actor=request.user, note=data["note"]),
        )

    @admin.action(description=_("Escalate selected complaints"))
    def escalate_complaints(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            name="escalate_complaints",
            title=_("Escalate complaints"),
            form_class=EscalateForm,
            done="escalated",
            apply=lambda c, data: services.complaint_escalate(complaint=c, actor=request.user, reason=data["reason"]),
        )

    @admin.action(description=_("Reject selected complaints"))
    def reject_complaints(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            name="reject_complaints",
            title=_("Reject complaints"),
            form_class=RejectForm,
            done="rejected",
            apply=lambda c, data: services.complaint_reject(
                complaint=c, actor=request.user, closure_reason=data["closure_reason"], note=data["note"]
            ),
        )

    @admin.action(description=_("Mark selected complaints as duplicates"))
    def mark_duplicate_complaints(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            name="mark_duplicate_complaints",
            title=_("Mark complaints as duplicates"),
            form_class=DuplicateForm,
            form_kwargs={"user": request.user},
            done="marked as duplicate",
            apply=lambda c, data: services.complaint_mark_duplicate(
                complaint=c, actor=request.user, duplicate_of=data["original"], note=data["note"]
            ),
        )

    @admin.action(description=_("Close selected complaints"))
    def close_complaints(self, request, queryset):
        self._run_each(
            request,
            queryset,
            done="closed",
            operation=lambda c: services.complaint_close(complaint=c, actor=request.user),
        )
        return self._after(request, queryset)


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
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

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

    @admin.action(description=_("Approve selected requests (escalate the complaints)"))
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

    @admin.action(description=_("Reject selected requests"))
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

    @admin.action(description=_("Publish selected notices (send them to citizens)"))
    def publish_notices(self, request, queryset):
        self._run_each(
            request,
            queryset,
            done="published",
            operation=lambda notice: notice_publish(notice=notice, actor=request.user),
        )
