"""The complaint's life: filing, triage, assignment, work, resolution, closing, reopening, rejection.

Each operation is one transaction that locks the row, checks the workflow table and the policies,
and writes a timeline event (the outbox) through `complaints.services.core`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import DEPARTMENT_ROLES, Role, User
from complaints import policies
from complaints.models import Complaint, Feedback, Source, Support
from complaints.references import next_reference
from complaints.services.core import (
    Action,
    lock,
    record_event,
    require_text,
    sla_due_at,
    transition,
    validate_assignee,
    validate_classification,
    validate_location,
    validate_place,
)
from departments.models import Category, ClosureReason, Department, Priority
from departments.services import route_department
from grievance.compiled import insert
from grievance.errors import Conflict


# --- create ----------------------------------------------------------------------------------
@transaction.atomic
def complaint_create(
    *,
    citizen: User,
    created_by: User,
    title: str,
    description: str,
    category: Category | None = None,
    subcategory: Category | None = None,
    department: Department | None = None,
    priority: str | None = None,
    source: str = Source.WEB,
    language: str = "",
    transcript: str = "",
    translated_text: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    address: str = "",
    ward: str = "",
    metadata: dict | None = None,
    require_place: bool = False,
) -> Complaint:
    """File a complaint for `citizen`. With a category it is routed to that category's department at
    once and its SLA clock starts; otherwise a dispatcher triages it.

    `require_place`: the filing page asks for a pin or an address (services.core.validate_place).
    """
    policies.enforce(policies.may_file(created_by, for_citizen=citizen, source=source))
    validate_classification(category=category, subcategory=subcategory, department=department)
    validate_location(latitude=latitude, longitude=longitude)
    if require_place:
        validate_place(latitude=latitude, longitude=longitude, address=address)
    if department is None and category is not None:
        department = route_department(
            category=category, subcategory=subcategory, latitude=latitude, longitude=longitude
        )
    if priority is None:
        chosen = subcategory or category
        priority = chosen.default_priority if chosen else Priority.MEDIUM
    now = timezone.now()
    complaint = Complaint(
        citizen=citizen,
        created_by=created_by,
        title=require_text(title, "title", gettext("Give the complaint a title.")),
        description=require_text(description, "description", gettext("Describe the problem.")),
        category=category,
        subcategory=subcategory,
        department=department,
        priority=priority,
        source=source,
        language=language,
        transcript=transcript,
        translated_text=translated_text,
        latitude=latitude,
        longitude=longitude,
        address=address,
        ward=ward,
        metadata=metadata or {},
        created_at=now,
    )
    complaint.sla_due_at = sla_due_at(complaint)
    _full_clean_for_create(complaint)
    # Taken last: the counter row stays locked until commit, so every other create waits on it.
    complaint.reference = next_reference(timezone.localdate(now).year)
    insert(complaint)  # complaint.save(), its INSERT written once per process (grievance/compiled.py)
    record_event(complaint=complaint, actor=created_by, action=Action.CREATED, to_status=complaint.status)
    return complaint


# The relations complaint_create receives are rows its caller loaded (and the foreign keys hold them).
_LOADED_RELATIONS = ("citizen", "created_by", "category", "subcategory", "department")


def _full_clean_for_create(complaint: Complaint) -> None:
    """`full_clean` without its queries: one existence query per foreign key (for rows passed in as
    loaded instances) and one per check constraint (the coordinate ranges: `validate_location`, run
    on the converted values here, is the same rule in Python)."""
    complaint.full_clean(exclude=["reference", *_LOADED_RELATIONS], validate_constraints=False)
    errors: dict[str, str] = {}
    for name in _LOADED_RELATIONS:
        field = complaint._meta.get_field(name)
        if getattr(complaint, field.attname) is None and not field.blank:
            errors[name] = "This field cannot be null."
    if errors:
        raise ValidationError(errors)
    # Decimals now (full_clean converted them): both or neither, and within range.
    validate_location(latitude=complaint.latitude, longitude=complaint.longitude)


# --- workflow actions ------------------------------------------------------------------------
@transaction.atomic
def complaint_triage(
    *,
    complaint: Complaint,
    actor: User,
    department: Department,
    category: Category | None = None,
    subcategory: Category | None = None,
    priority: str | None = None,
    assignee: User | None = None,
    note: str = "",
) -> Complaint:
    """Classify a new complaint: department, category, priority, optional assignee; starts the SLA."""
    validate_classification(category=category, subcategory=subcategory, department=department)
    validate_assignee(assignee=assignee, department=department)
    current = lock(complaint)
    values: dict[str, Any] = {"department": department, "assignee": assignee}
    if category is not None:
        values["category"] = category
        values["subcategory"] = subcategory
    if priority is not None:
        values["priority"] = priority
    preview = Complaint(
        created_at=current.created_at,
        department=department,
        category=category or current.category,
        subcategory=subcategory if category is not None else current.subcategory,
        priority=priority or current.priority,
    )
    values["sla_due_at"] = sla_due_at(preview)
    complaint, _ = transition(complaint=current, actor=actor, action=Action.TRIAGE, note=note, values=values)
    return complaint


@transaction.atomic
def complaint_assign(*, complaint: Complaint, actor: User, assignee: User, note: str = "") -> Complaint:
    """Give the complaint to an officer or manager of its department; work starts."""
    current = lock(complaint)
    policies.enforce(policies.may_act(actor, current, Action.ASSIGN))
    validate_assignee(assignee=assignee, department=current.department)
    complaint, _ = transition(
        complaint=current, actor=actor, action=Action.ASSIGN, note=note, values={"assignee": assignee}
    )
    return complaint


@transaction.atomic
def complaint_start(*, complaint: Complaint, actor: User, note: str = "") -> Complaint:
    """An officer takes the complaint up; it becomes theirs if nobody had it."""
    current = lock(complaint)
    values = {"assignee": actor} if current.assignee_id is None and actor.role in DEPARTMENT_ROLES else {}
    complaint, _ = transition(complaint=current, actor=actor, action=Action.START, note=note, values=values)
    return complaint


@transaction.atomic
def complaint_resolve(*, complaint: Complaint, actor: User, note: str) -> Complaint:
    """Mark the work done. The note tells the citizen what was done and is required."""
    note = require_text(note, "note", "Say what was done to resolve the complaint.")
    complaint, _ = transition(
        complaint=complaint,
        actor=actor,
        action=Action.RESOLVE,
        note=note,
        values={"resolution_note": note, "resolved_at": timezone.now()},
    )
    return complaint


@transaction.atomic
def complaint_close(
    *, complaint: Complaint, actor: User | None, rating: int | None = None, comment: str = ""
) -> Complaint:
    """Close a resolved complaint. A citizen confirms with a 1-5 rating (and a comment); the system
    (actor None) closes without feedback once the reopen window has passed."""
    current = lock(complaint)
    if actor is not None and actor.role == Role.CITIZEN:
        if rating is None:
            raise ValidationError({"rating": gettext("Rate the resolution from 1 to 5.")})
        if not 1 <= int(rating) <= 5:
            raise ValidationError({"rating": gettext("The rating is a number from 1 to 5.")})
    complaint, _ = transition(
        complaint=current,
        actor=actor,
        action=Action.CLOSE,
        note=comment,
        values={"closed_at": timezone.now()},
    )
    if rating is not None:
        if Feedback.objects.filter(complaint=complaint).exists():
            raise Conflict(gettext("Feedback has already been given for this complaint."))
        Feedback.objects.create(complaint=complaint, citizen=complaint.citizen, rating=int(rating), comment=comment)
    return complaint


def reopen_window():
    """Kept for callers of the old module; the rule lives in `policies.reopen_window`."""
    return policies.reopen_window()


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, actor: User, reason: str) -> Complaint:
    """The citizen says the problem is not fixed: back to work, within the reopen window."""
    reason = require_text(reason, "reason", gettext("Say why the complaint is not resolved."))
    current = lock(complaint)
    policies.enforce(policies.may_reopen(actor, current))
    complaint, _ = transition(
        complaint=current, actor=actor, action=Action.REOPEN, note=reason, values={"resolved_at": None}
    )
    return complaint


@transaction.atomic
def complaint_reject(*, complaint: Complaint, actor: User, closure_reason: ClosureReason, note: str = "") -> Complaint:
    """Turn a complaint away (spam, not our jurisdiction, ...) with a closure reason."""
    if not closure_reason.is_active:
        raise ValidationError({"closure_reason": "This closure reason is no longer in use."})
    complaint, _ = transition(
        complaint=complaint,
        actor=actor,
        action=Action.REJECT,
        note=note,
        values={"closure_reason": closure_reason, "closed_at": timezone.now()},
    )
    return complaint


@transaction.atomic
def complaint_mark_duplicate(
    *, complaint: Complaint, actor: User, duplicate_of: Complaint, note: str = ""
) -> Complaint:
    """Close a complaint as a duplicate of another; the original gains a supporter if the citizens differ."""
    original = duplicate_of
    # Point at the root of a duplicate chain, so every copy links to the complaint being worked.
    while original.duplicate_of_id is not None:
        original = original.duplicate_of
    if original.pk == complaint.pk:
        raise ValidationError({"duplicate_of": "A complaint cannot duplicate itself."})
    reason = ClosureReason.objects.filter(code="duplicate").first()
    complaint, _ = transition(
        complaint=complaint,
        actor=actor,
        action=Action.DUPLICATE,
        note=note or f"Duplicate of {original.reference}.",
        values={"duplicate_of": original, "closure_reason": reason, "closed_at": timezone.now()},
    )
    if complaint.citizen_id != original.citizen_id:
        _, created = Support.objects.get_or_create(complaint=original, user_id=complaint.citizen_id)
        if created:
            Complaint.objects.filter(pk=original.pk).update(supporters_count=F("supporters_count") + 1)
    return complaint
