"""Every change to a complaint, one function per operation.

REST views, citizen pages, admin actions, commands and Celery tasks all call these. Each runs in a
transaction, locks the complaint row, checks the workflow table, writes a ComplaintEvent and
schedules notifications after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone

from accounts.models import DEPARTMENT_ROLES, Role, User
from complaints import notifications
from complaints.attachments import clean_upload
from complaints.models import (
    Attachment,
    Comment,
    Complaint,
    ComplaintEvent,
    Escalation,
    Feedback,
    IdempotencyRecord,
    Source,
    Status,
    Support,
)
from complaints.references import next_reference
from complaints.workflow import check_transition
from departments.models import Category, ClosureReason, Department, Priority
from departments.selectors import department_subtree_ids
from departments.services import route_department
from departments.sla import compute_sla_due_at
from grievance.errors import ActionForbidden, Conflict, TransitionNotAllowed


# --- helpers ---------------------------------------------------------------------------------
def _describe(value: Any) -> Any:
    """A JSON-friendly, human-meaningful form of a field value for the timeline's `changes`."""
    if value is None or isinstance(value, str | int | bool | float):
        return value
    if isinstance(value, models.Model):
        return getattr(value, "code", None) or str(value.pk)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _field_value(instance: models.Model, name: str) -> Any:
    field = instance._meta.get_field(name)
    if field.is_relation:
        # Compare related objects by id without fetching them.
        return getattr(instance, field.attname)
    return getattr(instance, name)


def _has_code(model: type[models.Model]) -> bool:
    return any(f.name == "code" for f in model._meta.concrete_fields)


def _set_fields(complaint: Complaint, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply `values` and return {field: [old, new]} for those that actually changed."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        field = complaint._meta.get_field(name)
        old_raw = _field_value(complaint, name)
        new_raw = new.pk if field.is_relation and isinstance(new, models.Model) else new
        if old_raw != new_raw:
            if field.is_relation and (field.is_cached(complaint) or _has_code(field.related_model)):
                old = _describe(getattr(complaint, name))
            else:
                # Described by id anyway (no code): no need to fetch the old related row.
                old = _describe(old_raw)
            changes[name] = [old, _describe(new)]
            setattr(complaint, name, new)
    return changes


def _record_event(
    *,
    complaint: Complaint,
    actor: User | None,
    action: str,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    changes: dict | None = None,
    is_internal: bool = False,
) -> ComplaintEvent:
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        changes=changes or {},
        is_internal=is_internal,
    )
    transaction.on_commit(lambda: notifications.event_recorded(event_id=event.pk))
    return event


def _lock(complaint: Complaint | int, *, related: tuple[str, ...] = ()) -> Complaint:
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    if related:
        # of=self: lock the complaint row only, not the rows joined in for reading.
        return Complaint.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)
    return Complaint.objects.select_for_update().get(pk=pk)


def _transition(
    *,
    complaint: Complaint | int,
    actor: User | None,
    action: str,
    note: str = "",
    values: dict[str, Any] | None = None,
    already_locked: bool = False,
) -> tuple[Complaint, ComplaintEvent]:
    """Lock, check the workflow table, apply `values`, save, and write the event. Caller holds the transaction.

    already_locked=True: `complaint` is an instance the caller has just locked in this transaction.
    """
    locked = complaint if already_locked and isinstance(complaint, Complaint) else _lock(complaint)
    from_status = locked.status
    to_status = check_transition(action=action, status=from_status, actor=actor)
    changes = _set_fields(locked, values or {})
    if to_status != from_status:
        changes["status"] = [from_status, to_status]
        locked.status = to_status
    locked.save()
    event = _record_event(
        complaint=locked,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        changes=changes,
    )
    return locked, event


def _ensure_may_write(actor: User) -> None:
    # Executives see everything and change nothing; the workflow table already leaves them out.
    if actor.role not in (Role.CITIZEN, Role.OFFICER, Role.MANAGER, Role.DISPATCHER, Role.ADMIN, Role.SERVICE):
        raise ActionForbidden(f"A {actor.role} has read-only access.")


def _require_text(value: str | None, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def _validate_classification(
    *, category: Category | None, subcategory: Category | None, department: Department | None
) -> None:
    errors: dict[str, str] = {}
    if category is not None:
        if category.parent_id is not None:
            errors["category"] = "Choose a top-level category; put the specific one in subcategory."
        elif not category.is_active:
            errors["category"] = "This category is no longer in use."
    if subcategory is not None:
        if category is None or subcategory.parent_id != category.pk:
            errors["subcategory"] = "This subcategory does not belong to the chosen category."
        elif not subcategory.is_active:
            errors["subcategory"] = "This subcategory is no longer in use."
    if department is not None and not department.is_active:
        errors["department"] = "This department is not active."
    if errors:
        raise ValidationError(errors)


def _validate_assignee(*, assignee: User | None, department: Department | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active or assignee.role not in DEPARTMENT_ROLES:
        raise ValidationError({"assignee": "Assign to an active officer or manager."})
    if department is None:
        raise ValidationError({"assignee": "Set a department before assigning."})
    # The assignee must be able to see the complaint: their department's subtree holds it.
    if assignee.department_id is None or department.pk not in department_subtree_ids(assignee.department_id):
        raise ValidationError({"assignee": f"{assignee} does not work in {department}."})


def _sla_due_at(complaint: Complaint) -> dt.datetime | None:
    if complaint.department_id is None:
        return None
    return compute_sla_due_at(
        priority=complaint.priority,
        start=complaint.created_at,
        category=complaint.subcategory or complaint.category,
        department=complaint.department,
    )


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
) -> Complaint:
    """File a complaint for `citizen`. With a category it is routed to that category's department at
    once and its SLA clock starts; otherwise a dispatcher triages it."""
    if citizen.role != Role.CITIZEN:
        raise ValidationError({"citizen": "Complaints are filed for a citizen."})
    _validate_classification(category=category, subcategory=subcategory, department=department)
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
        title=_require_text(title, "title", "Give the complaint a title."),
        description=_require_text(description, "description", "Describe the problem."),
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
    complaint.sla_due_at = _sla_due_at(complaint)
    complaint.full_clean(exclude=["reference"])
    # Taken last: the counter row stays locked until commit, so every other create waits on it.
    complaint.reference = next_reference(timezone.localdate(now).year)
    complaint.save()
    _record_event(complaint=complaint, actor=created_by, action="created", to_status=complaint.status)
    return complaint


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
    _validate_classification(category=category, subcategory=subcategory, department=department)
    _validate_assignee(assignee=assignee, department=department)
    current = _lock(complaint)
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
    values["sla_due_at"] = _sla_due_at(preview)
    complaint, _ = _transition(complaint=current, actor=actor, action="triage", note=note, values=values)
    return complaint


@transaction.atomic
def complaint_assign(*, complaint: Complaint, actor: User, assignee: User, note: str = "") -> Complaint:
    """Give the complaint to an officer or manager of its department; work starts."""
    current = _lock(complaint)
    _validate_assignee(assignee=assignee, department=current.department)
    complaint, _ = _transition(
        complaint=current, actor=actor, action="assign", note=note, values={"assignee": assignee}
    )
    return complaint


@transaction.atomic
def complaint_start(*, complaint: Complaint, actor: User, note: str = "") -> Complaint:
    """An officer takes the complaint up; it becomes theirs if nobody had it."""
    current = _lock(complaint)
    values = {"assignee": actor} if current.assignee_id is None and actor.role in DEPARTMENT_ROLES else {}
    complaint, _ = _transition(complaint=current, actor=actor, action="start", note=note, values=values)
    return complaint


@transaction.atomic
def complaint_resolve(*, complaint: Complaint, actor: User, note: str) -> Complaint:
    """Mark the work done. The note tells the citizen what was done and is required."""
    note = _require_text(note, "note", "Say what was done to resolve the complaint.")
    complaint, _ = _transition(
        complaint=complaint,
        actor=actor,
        action="resolve",
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
    current = _lock(complaint)
    if actor is not None and actor.role == Role.CITIZEN:
        if rating is None:
            raise ValidationError({"rating": "Rate the resolution from 1 to 5."})
        if not 1 <= int(rating) <= 5:
            raise ValidationError({"rating": "The rating is a number from 1 to 5."})
    complaint, _ = _transition(
        complaint=current,
        actor=actor,
        action="close",
        note=comment,
        values={"closed_at": timezone.now()},
    )
    if rating is not None:
        if Feedback.objects.filter(complaint=complaint).exists():
            raise Conflict("Feedback has already been given for this complaint.")
        Feedback.objects.create(complaint=complaint, citizen=complaint.citizen, rating=int(rating), comment=comment)
    return complaint


def reopen_window() -> dt.timedelta:
    return dt.timedelta(days=settings.COMPLAINT_REOPEN_WINDOW_DAYS)


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, actor: User, reason: str) -> Complaint:
    """The citizen says the problem is not fixed: back to work, within the reopen window."""
    reason = _require_text(reason, "reason", "Say why the complaint is not resolved.")
    current = _lock(complaint)
    if (
        current.status == Status.RESOLVED
        and current.resolved_at
        and timezone.now() > current.resolved_at + reopen_window()
    ):
        raise TransitionNotAllowed(
            f"The reopen window of {settings.COMPLAINT_REOPEN_WINDOW_DAYS} days has passed; file a new complaint.",
            extra={"status": current.status, "allowed_actions": []},
        )
    complaint, _ = _transition(
        complaint=current, actor=actor, action="reopen", note=reason, values={"resolved_at": None}
    )
    return complaint


@transaction.atomic
def complaint_reject(*, complaint: Complaint, actor: User, closure_reason: ClosureReason, note: str = "") -> Complaint:
    """Turn a complaint away (spam, not our jurisdiction, ...) with a closure reason."""
    if not closure_reason.is_active:
        raise ValidationError({"closure_reason": "This closure reason is no longer in use."})
    complaint, _ = _transition(
        complaint=complaint,
        actor=actor,
        action="reject",
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
    complaint, _ = _transition(
        complaint=complaint,
        actor=actor,
        action="duplicate",
        note=note or f"Duplicate of {original.reference}.",
        values={"duplicate_of": original, "closure_reason": reason, "closed_at": timezone.now()},
    )
    if complaint.citizen_id != original.citizen_id:
        _, created = Support.objects.get_or_create(complaint=original, user_id=complaint.citizen_id)
        if created:
            Complaint.objects.filter(pk=original.pk).update(supporters_count=F("supporters_count") + 1)
    return complaint


@transaction.atomic
def complaint_escalate(
    *,
    complaint: Complaint | int,
    actor: User | None,
    reason: str,
    kind: str = Escalation.Kind.MANUAL,
    now: dt.datetime | None = None,
    departments: Mapping[int, Department] | None = None,
) -> Complaint:
    """Raise the complaint one level: to the parent department (at the top it stays, with its manager
    as assignee), with a new due time (counted from `now`) from that department's escalation policy.

    A complaint already at the highest level of that policy is not escalated further (409): there is
    nobody above to tell, and its manager already holds it.
    The SLA sweep calls this with actor=None and kind=automatic; an approved request with kind=request.
    `departments` ({id: department} with parent, manager and escalation steps loaded) lets a caller
    that escalates many complaints read the tree once instead of once per complaint.
    """
    reason = _require_text(reason, "reason", "Say why the complaint is escalated.")
    if departments is None:
        # One query for the row and everything escalation reads.
        current = _lock(complaint, related=("department__parent__manager", "department__manager", "assignee"))
    else:
        current = _lock(complaint)
        if current.department_id is not None:
            current.department = departments[current.department_id]
    from_department = current.department
    if from_department is None:
        raise TransitionNotAllowed(
            "A complaint without a department cannot be escalated; triage it first.",
            extra={"status": current.status, "allowed_actions": ["triage"]},
        )
    check_transition(action="escalate", status=current.status, actor=actor)
    if departments is None:
        to_department = from_department.parent or from_department
        prefetch_related_objects([to_department], "escalation_steps")  # the policy, read once below
    else:
        to_department = departments.get(from_department.parent_id, from_department)
    level = current.escalation_level + 1
    if level > to_department.max_escalation_level:
        raise TransitionNotAllowed(
            f"This complaint is already at the highest escalation level ({current.escalation_level}) "
            f"of {to_department}'s policy.",
            extra={"status": current.status, "allowed_actions": []},
        )
    due = (now or timezone.now()) + dt.timedelta(hours=to_department.escalation_hours(level))
    complaint, _ = _transition(
        complaint=current,
        actor=actor,
        action="escalate",
        note=reason,
        values={
            "department": to_department,
            "assignee": to_department.manager,
            "escalation_level": level,
            "sla_due_at": due,
        },
        already_locked=True,
    )
    Escalation.objects.create(
        complaint=complaint,
        kind=kind,
        from_level=level - 1,
        to_level=level,
        from_department=from_department,
        to_department=to_department,
        actor=actor,
        reason=reason,
    )
    return complaint


# --- conversation and participation ----------------------------------------------------------
@transaction.atomic
def comment_add(*, complaint: Complaint, author: User, body: str, is_internal: bool = False) -> Comment:
    """A public reply (citizen or staff) or an internal note (staff only, never shown to citizens)."""
    _ensure_may_write(author)
    body = _require_text(body, "body", "Write a comment.")
    if is_internal and not author.is_staff:
        raise ActionForbidden("Only staff can write internal notes.")
    current = _lock(complaint)
    if author.role == Role.CITIZEN and current.status in (Status.CLOSED, Status.REJECTED):
        raise TransitionNotAllowed(
            "This complaint is closed; file a new complaint or reopen it while you can.",
            extra={"status": current.status, "allowed_actions": []},
        )
    comment = Comment.objects.create(complaint=current, author=author, body=body, is_internal=is_internal)
    current.save(update_fields=["updated_at"])
    _record_event(
        complaint=current,
        actor=author,
        action="internal_note" if is_internal else "commented",
        note=body,
        is_internal=is_internal,
        changes={"comment_id": comment.pk},
    )
    return comment


@transaction.atomic
def complaint_support(*, complaint: Complaint, user: User) -> Complaint:
    """A citizen says "me too" to an open complaint of someone else; once."""
    current = _lock(complaint)
    if user.role != Role.CITIZEN:
        raise ActionForbidden("Only citizens can support a complaint.")
    if current.citizen_id == user.pk:
        raise Conflict("You filed this complaint; support is for complaints of others.")
    if not current.is_open:
        raise TransitionNotAllowed(
            "Only open complaints can be supported.", extra={"status": current.status, "allowed_actions": []}
        )
    try:
        with transaction.atomic():
            Support.objects.create(complaint=current, user=user)
    except IntegrityError:
        raise Conflict("You already support this complaint.") from None
    Complaint.objects.filter(pk=current.pk).update(supporters_count=F("supporters_count") + 1)
    current.refresh_from_db(fields=["supporters_count"])
    _record_event(complaint=current, actor=user, action="supported")
    return current


def attachment_add(*, complaint: Complaint, uploaded_by: User, upload: UploadedFile) -> Attachment:
    """Store a cleaned file and attach it. A failure leaves neither a row nor an orphan file."""
    _ensure_may_write(uploaded_by)
    clean = clean_upload(upload)
    original_name = (upload.name or "")[:200]
    stored_name: str | None = None
    attachment = Attachment(
        complaint_id=complaint.pk,
        uploaded_by=uploaded_by,
        content_type=clean.content_type,
        size=len(clean.content),
        original_name=original_name,
    )
    try:
        with transaction.atomic():
            current = _lock(complaint)
            if current.attachments.count() >= settings.COMPLAINT_MAX_ATTACHMENTS:
                raise Conflict(f"A complaint can have at most {settings.COMPLAINT_MAX_ATTACHMENTS} attachments.")
            attachment.file.save(f"upload{clean.suffix}", ContentFile(clean.content), save=False)
            stored_name = attachment.file.name
            attachment.save()
            _record_event(
                complaint=current,
                actor=uploaded_by,
                action="attachment_added",
                changes={"attachment_id": attachment.pk, "content_type": clean.content_type},
            )
    except BaseException:
        if stored_name:
            attachment.file.storage.delete(stored_name)
        raise
    return attachment


def complaint_create_with_attachments(*, uploads: list[UploadedFile], **fields: Any) -> Complaint:
    """File a complaint and its attachments together: all of it, or nothing (rows and stored files).

    `fields` are complaint_create's arguments; `uploaded_by` of each attachment is `created_by`.
    """
    stored: list = []
    try:
        with transaction.atomic():
            complaint = complaint_create(**fields)
            for upload in uploads:
                attachment = attachment_add(complaint=complaint, uploaded_by=fields["created_by"], upload=upload)
                stored.append(attachment.file)
    except BaseException:
        # The rows roll back with the transaction; files already written must go too.
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise
    return complaint


def complaint_create_idempotent(
    *,
    owner: User,
    key: str,
    fingerprint: str,
    create: Callable[[], Complaint],
    render: Callable[[Complaint], dict],
) -> tuple[dict, int, bool]:
    """Run `create` once per (owner, Idempotency-Key); returns (body, status, replayed).

    The key's row is claimed first, in the creating transaction: a concurrent retry waits on it and
    then replays the stored first response. The same key with a different request (`fingerprint`)
    is a Conflict.
    """
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(owner=owner, key=key, request_fingerprint=fingerprint)
            complaint = create()
            body = render(complaint)
            record.complaint = complaint
            record.response_status = 201
            record.response_body = body
            record.save(update_fields=["complaint", "response_status", "response_body"])
            return body, 201, False
    except IntegrityError:
        record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if record is None:
            raise
    if record.request_fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was already used with a different request.")
    return record.response_body, record.response_status, True
