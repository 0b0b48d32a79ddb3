"""The complaint page's timeline in words: "Filed by the citizen", "Sent to Roads", "Escalated to
Public Works", rather than action codes, status codes and boolean icons."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from complaints.models import Complaint, ComplaintEvent
from departments.models import Department

A = ComplaintEvent.Action


@dataclass(frozen=True)
class TimelineLine:
    when: str
    text: str
    who: str
    note: str
    internal: bool
    action: str


def _new_value(event: ComplaintEvent, field: str):
    change = (event.changes or {}).get(field)
    if isinstance(change, list | tuple) and len(change) == 2:
        return change[1]
    return None


def timeline_lines(complaint: Complaint) -> list[TimelineLine]:
    """Every event of `complaint`, oldest first, as a sentence. Three queries whatever the length:
    the events (with their actors), then the departments and people the changes name."""
    events = list(
        ComplaintEvent.objects.filter(complaint=complaint).select_related("actor").order_by("created_at", "id")
    )
    # The department after each event, walked back from today's: a triage that keeps the department
    # chosen at filing records no change, yet "Sent to Roads" is what happened.
    after: list[str | None] = []
    current = complaint.department.code if complaint.department_id else None
    for event in reversed(events):
        after.append(current)
        change = (event.changes or {}).get("department")
        if isinstance(change, list | tuple) and len(change) == 2:
            current = change[0]
    after.reverse()
    codes = {str(code) for code in after if code}
    codes |= {str(e.changes.get("target_department")) for e in events if (e.changes or {}).get("target_department")}
    people = {int(v) for e in events if str(v := _new_value(e, "assignee") or "").isdigit()}
    departments = dict(Department.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=people)} if people else {}
    return [_line(complaint, event, departments, names, code) for event, code in zip(events, after, strict=True)]


def _line(
    complaint: Complaint, event: ComplaintEvent, departments: dict, names: dict, department_after: str | None
) -> TimelineLine:
    actor = event.actor
    by_citizen = actor is not None and actor.pk == complaint.citizen_id
    who = _("the citizen") if by_citizen else (str(actor) if actor is not None else _("the system"))
    department_code = _new_value(event, "department")
    department = departments.get(department_code, department_code) if department_code else None
    department_then = departments.get(department_after, department_after) if department_after else None
    assignee_id = _new_value(event, "assignee")
    assignee = names.get(int(assignee_id)) if str(assignee_id or "").isdigit() else None
    action = event.action

    if action == A.CREATED:
        text = _("Filed by the citizen") if by_citizen or actor is None else _("Filed by %(who)s") % {"who": who}
    elif action == A.TRIAGE:
        parts = [_("Sent to %(department)s") % {"department": department_then} if department_then else _("Triaged")]
        if assignee:
            parts.append(_("assigned to %(person)s") % {"person": assignee})
        text = ", ".join(parts)
    elif action == A.ASSIGN:
        text = _("Assigned to %(person)s") % {"person": assignee} if assignee else _("Assignment changed")
    elif action == A.START:
        text = _("Work started")
    elif action == A.RESOLVE:
        text = _("Resolved")
    elif action == A.CLOSE:
        text = _("Closed")
    elif action == A.REOPEN:
        text = _("Reopened")
    elif action == A.REJECT:
        text = _("Rejected")
    elif action == A.DUPLICATE:
        text = _("Marked as a duplicate")
    elif action == A.ESCALATE:
        level = _new_value(event, "escalation_level")
        if department:
            text = _("Escalated to %(department)s") % {"department": department}
        elif level is not None:
            text = _("Escalated to level %(level)s") % {"level": level}
        else:
            text = _("Escalated")
    elif action == A.COMMENTED:
        text = _("Public reply") if not by_citizen else _("The citizen wrote")
    elif action == A.INTERNAL_NOTE:
        text = _("Internal note")
    elif action == A.SUPPORTED:
        text = _("Another citizen supports this complaint")
    elif action == A.ATTACHMENT_ADDED:
        content_type = str((event.changes or {}).get("content_type", ""))
        text = _("Photo added") if content_type.startswith("image/") else _("File added")
    elif action == A.ESCALATION_REQUESTED:
        target = (event.changes or {}).get("target_department")
        target_name = departments.get(target, target) if target else None
        text = (
            _("Escalation to %(department)s requested") % {"department": target_name}
            if target_name
            else _("Escalation requested")
        )
    elif action == A.ESCALATION_REQUEST_REJECTED:
        text = _("Escalation request rejected")
    else:
        text = event.get_action_display()
    return TimelineLine(
        when=timezone.localtime(event.created_at).strftime("%d %b %Y, %H:%M"),
        text=text,
        who=who,
        note=event.note,
        internal=event.is_internal,
        action=action,
    )
