"""Citizen pages: file, list and follow complaints; the public track page. No JavaScript needed
(the filing page's map, "use my location" and nearby complaints are additions by location.js).

Thin like the API: every read starts from the visibility gate (`visible_to`) or the public view
(`public()`), every change is a service call, and a service's refusal becomes a message or a form
error on the page, never a 500.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from complaints import policies, services
from complaints.forms import (
    CloseForm,
    CommentForm,
    ComplaintForm,
    EscalationRequestForm,
    NearbyForm,
    ReopenForm,
    StatusFilterForm,
    TrackForm,
)
from complaints.models import Complaint, ComplaintEvent, EscalationRequest, Status
from complaints.selectors import (
    Point,
    comments_for,
    nearby_open_complaints,
    public_replies,
    public_timeline,
    timeline_for,
)
from grievance.errors import DomainError

PAGE_SIZE = 20

# Timeline actions as a citizen reads them.
EVENT_LABELS = {
    "created": gettext_lazy("Complaint filed"),
    "triage": gettext_lazy("Sent to the department"),
    "assign": gettext_lazy("Assigned to an officer"),
    "start": gettext_lazy("Work started"),
    "resolve": gettext_lazy("Resolved"),
    "close": gettext_lazy("Closed"),
    "reopen": gettext_lazy("Reopened"),
    "reject": gettext_lazy("Rejected"),
    "duplicate": gettext_lazy("Marked as a duplicate"),
    "escalate": gettext_lazy("Escalated"),
    "commented": gettext_lazy("Comment added"),
    "supported": gettext_lazy("Someone else reported it too"),
    "attachment_added": gettext_lazy("Attachment added"),
    "internal_note": gettext_lazy("Internal note"),
    "escalation_requested": gettext_lazy("Escalation requested"),
    "escalation_request_rejected": gettext_lazy("Escalation request declined"),
}

# What each status means for the citizen, in their words (the status name alone says little).
STATUS_MEANINGS = {
    Status.NEW: gettext_lazy("We have received it. It is checked and sent to the right department."),
    Status.TRIAGED: gettext_lazy("The department has it and will start work soon."),
    Status.IN_PROGRESS: gettext_lazy("The department is working on it."),
    Status.ESCALATED: gettext_lazy("The department did not finish in time, so a senior office has taken it up."),
    Status.RESOLVED: gettext_lazy(
        "The department says the problem is fixed. Confirm and close it, or reopen it if it is not."
    ),
    Status.CLOSED: gettext_lazy("Finished. Nothing more will be done on it."),
    Status.REJECTED: gettext_lazy("Not taken up. The reason is below."),
}
DUPLICATE_MEANING = gettext_lazy("Someone reported the same problem before; the department works on that complaint.")


def status_meaning(complaint: Complaint) -> str:
    if complaint.status == Status.REJECTED and complaint.duplicate_of_id:
        return DUPLICATE_MEANING
    return STATUS_MEANINGS.get(complaint.status, "")


def category_label(complaint: Complaint) -> str:
    """ "Category › Subcategory" in the page's language."""
    language = get_language()
    names = [c.localized_name(language) for c in (complaint.category, complaint.subcategory) if c is not None]
    return " › ".join(names)


def shows_due_time(complaint: Complaint) -> bool:
    """A due time is a promise of work still to come: only while the complaint is open."""
    return complaint.is_open and complaint.sla_due_at is not None


def _label_events(events) -> list[ComplaintEvent]:
    rows = list(events)
    for event in rows:
        event.label = EVENT_LABELS.get(event.action, event.action.replace("_", " ").capitalize())
    return rows


def _apply_service_error(form: Form, exc: Exception) -> int:
    """Put a service's refusal on the form, next to the field it names; return the HTTP status."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return 400
    assert isinstance(exc, DomainError)
    form.add_error(None, exc.message)
    return exc.status_code


def _visible_complaint(request: HttpRequest, reference: str) -> Complaint:
    """The complaint by reference, through the gate: anything the user may not see is a 404."""
    queryset = Complaint.objects.visible_to(request.user).select_related("category", "subcategory", "department")
    return get_object_or_404(queryset, reference=reference.upper())


# --- my complaints -------------------------------------------------------------------------------
@login_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    filter_form = StatusFilterForm(request.GET or None)
    queryset: QuerySet[Complaint] = (
        Complaint.objects.visible_to(request.user)
        .select_related("category", "subcategory", "department")
        .order_by("-created_at", "-id")
    )
    if filter_form.is_valid() and filter_form.cleaned_data["status"]:
        queryset = queryset.filter(status=filter_form.cleaned_data["status"])
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for complaint in page.object_list:
        complaint.category_label = category_label(complaint)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "complaints/list.html",
        {"page": page, "filter_form": filter_form, "query": query.urlencode(), "now": timezone.now()},
    )


# --- file a complaint ----------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    # Pages file for the signed-in citizen; staff file for citizens from the back office or the API.
    if request.user.role != Role.CITIZEN or not policies.may_file(request.user):
        return render(request, "complaints/staff_cannot_file.html", status=403)
    form = ComplaintForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                complaint = _file_complaint(request, form.cleaned_data)
            except (DomainError, ValidationError) as exc:
                status = _apply_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Your complaint is filed. Its reference is %(reference)s: keep it to track the complaint.")
                    % {"reference": complaint.reference},
                )
                return redirect("complaints:detail", reference=complaint.reference)
        else:
            status = 400
    # A browser cannot put files back into a file input: say so plainly and name them.
    files_not_kept = [f.name for f in request.FILES.getlist("files")] if form.errors else []
    context = {
        "form": form,
        "files_not_kept": files_not_kept,
        "map": {
            "tile_url": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "center": settings.MAP_DEFAULT_CENTER,
        },
    }
    return render(request, "complaints/new.html", context, status=status)


@login_required
@require_GET
def complaint_nearby(request: HttpRequest) -> HttpResponse:
    """The filing page's "already reported nearby?" box: an HTML fragment (empty when there is
    nothing to show) of open complaints of the chosen (sub)category around the pin."""
    form = NearbyForm(request.GET)
    if not form.is_valid():
        return HttpResponse("", status=400)
    data = form.cleaned_data
    rows = nearby_open_complaints(
        center=Point(float(data["lat"]), float(data["lng"])),
        radius_m=settings.COMPLAINT_NEARBY_RADIUS_M,
        category=data.get("subcategory") or data["category"],
        limit=5,
    )
    if not rows:
        return HttpResponse("")
    language = get_language()
    for row in rows:
        row.category_label = (row.subcategory or row.category).localized_name(language) if row.category_id else ""
    return render(request, "complaints/_nearby.html", {"complaints": rows})


def _file_complaint(request: HttpRequest, data: dict) -> Complaint:
    return services.complaint_create_with_attachments(
        uploads=list(data.get("files") or []),
        citizen=request.user,
        created_by=request.user,
        title=data["title"],
        description=data["description"],
        category=data["category"],
        subcategory=data.get("subcategory"),
        address=data.get("address", ""),
        ward=data.get("ward", ""),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        require_place=True,
    )


# --- one complaint -------------------------------------------------------------------------------
def _detail_context(request: HttpRequest, complaint: Complaint, **forms) -> dict:
    user = request.user
    # Every offer on this page is a policy call: the same answers the API's allowed_actions gives.
    actions = policies.allowed_actions(user, complaint)
    pending_escalation = complaint.escalation_requests.filter(state=EscalationRequest.State.PENDING).first()
    can_request_escalation = user.role == Role.CITIZEN and policies.may_request_escalation(
        user, complaint, pending=pending_escalation is not None
    )
    bound = [form for form in forms.values() if form is not None and form.is_bound]
    return {
        "complaint": complaint,
        "error_form": bound[0] if bound else None,
        "status_meaning": status_meaning(complaint),
        "shows_due_time": shows_due_time(complaint),
        "category_label": category_label(complaint),
        "show_address": True,
        "actions": actions,
        "timeline": _label_events(timeline_for(complaint, user)),
        # Citizen pages show the public conversation only; internal notes live in the back office.
        "comments": comments_for(complaint, user).filter(is_internal=False),
        "attachments": complaint.attachments.all(),
        "duplicate_of": complaint.duplicate_of if complaint.duplicate_of_id else None,
        "feedback": getattr(complaint, "feedback", None) if complaint.status == Status.CLOSED else None,
        "is_owner": complaint.citizen_id == user.pk,
        "comment_form": forms.get("comment_form") or (CommentForm() if policies.may_comment(user, complaint) else None),
        "close_form": forms.get("close_form")
        or (CloseForm() if "close" in actions and user.role == Role.CITIZEN else None),
        "reopen_form": forms.get("reopen_form") or (ReopenForm() if "reopen" in actions else None),
        "escalation_form": forms.get("escalation_form")
        or (EscalationRequestForm() if can_request_escalation else None),
        "pending_escalation": pending_escalation,
        "reopen_days": policies.reopen_window().days,
        "now": timezone.now(),
    }


@login_required
@require_GET
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _visible_complaint(request, reference)
    return render(request, "complaints/detail.html", _detail_context(request, complaint))


def _workflow_post(request, reference, *, form_class, form_name, perform, success) -> HttpResponse:
    """One POST on the detail page: validate, call the service, redirect; or show the form with errors."""
    complaint = _visible_complaint(request, reference)
    form = form_class(request.POST)
    status = 400
    if form.is_valid():
        try:
            perform(complaint, form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            status = _apply_service_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("complaints:detail", reference=complaint.reference)
    context = _detail_context(request, complaint, **{form_name: form})
    return render(request, "complaints/detail.html", context, status=status)


@login_required
@require_POST
def complaint_comment(request: HttpRequest, reference: str) -> HttpResponse:
    return _workflow_post(
        request,
        reference,
        form_class=CommentForm,
        form_name="comment_form",
        perform=lambda c, data: services.comment_add(complaint=c, author=request.user, body=data["body"]),
        success=_("Your comment was added."),
    )


@login_required
@require_POST
def complaint_close(request: HttpRequest, reference: str) -> HttpResponse:
    return _workflow_post(
        request,
        reference,
        form_class=CloseForm,
        form_name="close_form",
        perform=lambda c, data: services.complaint_close(
            complaint=c, actor=request.user, rating=data["rating"], comment=data["comment"]
        ),
        success=_("Thank you. The complaint is closed."),
    )


@login_required
@require_POST
def complaint_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return _workflow_post(
        request,
        reference,
        form_class=ReopenForm,
        form_name="reopen_form",
        perform=lambda c, data: services.complaint_reopen(complaint=c, actor=request.user, reason=data["reason"]),
        success=_("The complaint is reopened and goes back to the department."),
    )


@login_required
@require_POST
def complaint_request_escalation(request: HttpRequest, reference: str) -> HttpResponse:
    return _workflow_post(
        request,
        reference,
        form_class=EscalationRequestForm,
        form_name="escalation_form",
        perform=lambda c, data: services.escalation_request_create(
            complaint=c, requested_by=request.user, reason=data["reason"]
        ),
        success=_("Your request for escalation was sent to the department's manager."),
    )


# --- public tracking -----------------------------------------------------------------------------
@require_GET
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_valid():
        return redirect("complaints:track-detail", reference=form.cleaned_data["reference"])
    return render(request, "complaints/track.html", {"form": form}, status=400 if form.is_bound else 200)


@require_GET
def track_detail(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = get_object_or_404(
        Complaint.objects.public().select_related("category", "subcategory", "department"),
        reference=reference.upper(),
    )
    user = request.user
    context = {
        "complaint": complaint,
        "status_meaning": status_meaning(complaint),
        "shows_due_time": shows_due_time(complaint),
        "category_label": category_label(complaint),
        "duplicate_of": (
            Complaint.objects.public().filter(pk=complaint.duplicate_of_id).first()
            if complaint.duplicate_of_id
            else None
        ),
        "timeline": _label_events(public_timeline(complaint)),
        "replies": public_replies(complaint),
        "is_owner": user.is_authenticated and complaint.citizen_id == user.pk,
        # Anonymous visitors see the button and are asked to sign in.
        "can_support": (not user.is_authenticated and complaint.is_open)
        or (user.is_authenticated and bool(policies.may_support(user, complaint))),
        "already_supported": user.is_authenticated and complaint.supports.filter(user=user).exists(),
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': request.path})}",
    }
    return render(request, "complaints/track_detail.html", context)


@require_POST
def track_support(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = get_object_or_404(Complaint.objects.public(), reference=reference.upper())
    if not request.user.is_authenticated:
        # Back to the track page after signing in (this URL only takes POSTs).
        return redirect_to_login(reverse("complaints:track-detail", kwargs={"reference": complaint.reference}))
    try:
        services.complaint_support(complaint=complaint, user=request.user)
    except DomainError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("Thank you: your support was added to this complaint."))
    return redirect("complaints:track-detail", reference=complaint.reference)
