"""The complaint admin: department queues, read-only pages, workflow actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, F, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from complaints import policies, services
from complaints.admin.filters import (
    AssigneeFilter,
    DepartmentSubtreeFilter,
    EscalationLevelFilter,
    OverdueFilter,
    StatusFilter,
)
from complaints.admin.mixins import ReadOnlyInline, RowActionsMixin, error_text
from complaints.admin.timeline import timeline_lines
from complaints.admin_forms import (
    AssignForm,
    CommentForm,
    DuplicateForm,
    EscalateForm,
    RejectForm,
    ResolveForm,
    TriageForm,
    assignees_for,
)
from complaints.models import (
    Comment,
    Complaint,
    Escalation,
    EscalationRequest,
)
from complaints.querysets import overdue_q
from complaints.selectors import Point, nearby_open_complaints
from complaints.workflow import TRANSITIONS
from grievance.errors import DomainError
from grievance.filters import parse_id

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
    # Staff close a resolved complaint for the citizen: say so, so it is not read as "close this page".
    "close_complaints": _("Close complaint"),
}
DUPLICATE_RADIUS_M = 300
DUPLICATE_CANDIDATES = 8


def overdue_flag(now) -> Case:
    """1 for an open complaint past its due time, else 0: the changelist sorts overdue rows first."""
    return Case(
        When(overdue_q(now), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


class CommentInline(ReadOnlyInline):
    model = Comment
    verbose_name_plural = _("comments and internal notes")
    fields = ["created_at", "author", "visibility", "body"]
    readonly_fields = fields

    @admin.display(description=_("seen by"))
    def visibility(self, obj: Comment) -> str:
        return _("staff only") if obj.is_internal else _("the citizen and staff")

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


# --- the complaint admin ------------------------------------------------------------------------
@admin.register(Complaint)
class ComplaintAdmin(RowActionsMixin, admin.ModelAdmin):
    # Few, narrow columns so the due time stays on screen at 1366 px next to the filters.
    list_display = [
        "reference",
        "title",
        "status",
        "priority",
        "department_short",
        "assignee",
        "due",
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
    # No date drill-down row above the list: the queue sorts overdue first, and the row it took
    # is worth one more complaint on screen.
    # About one screen of compact rows (templates/admin/base_site.html, static/css/backoffice.css).
    list_per_page = 15
    inlines = [CommentInline, EscalationInline]
    # The first screen (description, photos, location, due time, pending request) is the summary at
    # the top of templates/admin/complaints/complaint/change_form.html; these are the full details.
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
    def department_short(self, obj: Complaint) -> str:
        if not obj.department_id:
            return "-"
        return format_html('<span title="{}">{}</span>', obj.department.path, obj.department.name)

    @admin.display(description=_("due"), ordering="sla_due_at")
    def due(self, obj: Complaint) -> str:
        if obj.sla_due_at is None:
            return "-"
        when = timezone.localtime(obj.sla_due_at).strftime("%d %b %H:%M")
        overdue = getattr(obj, "is_overdue_flag", None)
        if overdue if overdue is not None else obj.is_overdue:
            return format_html('<strong class="overdue">{} \u26a0 {}</strong>', when, _("overdue"))
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
                        'class="thumbnail"></a>',
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
            path(
                "assignees/",
                self.admin_site.admin_view(self.assignees_view),
                name="{}_{}_assignees".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        # A queue, not "Select complaint to change".
        return super().changelist_view(request, {"title": _("Complaints"), **(extra_context or {})})

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
        if obj is not None:
            extra_context.update(self._summary_context(request, obj))
        extra_context.update(
            show_save=False,
            show_save_and_continue=False,
            show_save_and_add_another=False,
            show_delete=False,
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def _summary_context(self, request, obj: Complaint) -> dict:
        """The first screen: what, where, by when, photos, a pending escalation request, the timeline."""
        pending = (
            EscalationRequest.objects.filter(complaint=obj, state=EscalationRequest.State.PENDING)
            .order_by("created_at", "id")
            .first()
        )
        photos = []
        files = []
        for attachment in obj.attachments.all():
            # Served by the permission-checked API route (session auth), never a public media URL.
            item = {
                "url": reverse("api:complaint-download", args=[obj.pk, attachment.pk]),
                "name": attachment.original_name or _("attachment %(id)s") % {"id": attachment.pk},
            }
            (photos if attachment.content_type.startswith("image/") else files).append(item)
        has_pin = obj.latitude is not None and obj.longitude is not None
        return {
            # A heading that names the complaint, not Django's "Change complaint" / "View complaint".
            "title": _("Complaint %(reference)s") % {"reference": obj.reference},
            "subtitle": obj.title,
            "summary": {
                "complaint": obj,
                "due": self.due(obj),
                "photos": photos,
                "files": files,
                "has_pin": has_pin,
                "map_tile_url": settings.MAP_TILE_URL if has_pin else "",
                "map_attribution": settings.MAP_TILE_ATTRIBUTION,
            },
            "pending_request": pending,
            "pending_request_url": (
                reverse("admin:complaints_escalationrequest_change", args=[pending.pk]) if pending else ""
            ),
            "timeline": timeline_lines(obj),
        }

    def assignees_view(self, request: HttpRequest) -> JsonResponse:
        """The triage form's assignee choices for a department (the page's script refreshes the list
        with it when the department changes); the same queryset the form validates against."""
        routers = TRANSITIONS["triage"].roles | TRANSITIONS["assign"].roles
        if not self.has_change_permission(request) or request.user.role not in routers:
            raise PermissionDenied
        department_id = parse_id(request.GET.get("department", ""))
        field = TriageForm.base_fields["assignee"]
        people = assignees_for(department_id) if department_id is not None else []
        return JsonResponse({"assignees": [{"id": p.pk, "label": field.label_from_instance(p)} for p in people]})

    def _workflow_buttons(self, request, obj: Complaint) -> list[dict[str, str]]:
        offered = self.get_actions(request)
        buttons = []
        # The same answer the API's allowed_actions and the citizen pages give.
        for workflow_action in policies.allowed_actions(request.user, obj):
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
    @admin.action(description=_("Triage selected complaints"), permissions=["change"])
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
            form_kwargs={
                # One department among the selected complaints: it is the default choice.
                "current_department": self._shared_department(queryset),
                "assignees_url": reverse("admin:complaints_complaint_assignees"),
            },
            done="triaged",
            apply=apply,
        )

    @admin.action(description=_("Assign selected complaints"), permissions=["change"])
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
            form_kwargs={"department": self._shared_department(queryset)},
            done="assigned",
            apply=apply,
        )

    @admin.action(description=_("Start work on selected complaints"), permissions=["change"])
    def start_complaints(self, request, queryset):
        self._run_each(
            request,
            queryset,
            done="started",
            operation=lambda c: services.complaint_start(complaint=c, actor=request.user),
        )
        return self._after(request, queryset)

    @admin.action(description=_("Resolve selected complaints"), permissions=["change"])
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

    @admin.action(description=_("Escalate selected complaints"), permissions=["change"])
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

    @admin.action(description=_("Reject selected complaints"), permissions=["change"])
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

    @admin.action(description=_("Mark selected complaints as duplicates"), permissions=["change"])
    def mark_duplicate_complaints(self, request, queryset):
        return self._form_action(
            request,
            queryset,
            name="mark_duplicate_complaints",
            title=_("Mark complaints as duplicates"),
            form_class=DuplicateForm,
            form_kwargs={"user": request.user, "candidates": self._duplicate_candidates(request, queryset)},
            done="marked as duplicate",
            apply=lambda c, data: services.complaint_mark_duplicate(
                complaint=c, actor=request.user, duplicate_of=data["original"], note=data["note"]
            ),
        )

    @staticmethod
    def _shared_department(queryset):
        """The one department of the selected complaints, or None when they differ or have none."""
        departments = {c.department for c in queryset}
        return departments.pop() if len(departments) == 1 else None

    def _duplicate_candidates(self, request, queryset) -> list[Complaint]:
        """For one complaint with a pin: the open complaints of its category nearby that the person
        can see, nearest first (none for a bulk selection: each row would have its own)."""
        selected = list(queryset[:2])
        if len(selected) != 1:
            return []
        complaint = selected[0]
        if complaint.latitude is None or complaint.longitude is None:
            return []
        rows = nearby_open_complaints(
            center=Point(float(complaint.latitude), float(complaint.longitude)),
            radius_m=DUPLICATE_RADIUS_M,
            category=complaint.subcategory or complaint.category,
            limit=DUPLICATE_CANDIDATES + 1,
        )
        visible = set(
            Complaint.objects.visible_to(request.user).filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True)
        )
        return [r for r in rows if r.pk != complaint.pk and r.pk in visible][:DUPLICATE_CANDIDATES]

    @admin.action(description=_("Close selected complaints"), permissions=["change"])
    def close_complaints(self, request, queryset):
        self._run_each(
            request,
            queryset,
            done="closed",
            operation=lambda c: services.complaint_close(complaint=c, actor=request.user),
        )
        return self._after(request, queryset)
