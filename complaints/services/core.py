"""The pieces every complaint service is made of: lock the row, check the transition, apply the
changes, write the timeline event (which is also the outbox), and the shared input rules.

Public inside `complaints.services`; other apps call the operations, not these.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext

from accounts.models import DEPARTMENT_ROLES, User
from complaints import outbox
from complaints.models import Complaint, ComplaintEvent
from complaints.workflow import check_transition
from departments.models import Category, Department
from departments.selectors import department_subtree_ids
from departments.sla import compute_sla_due_at
from grievance.compiled import insert

Action = ComplaintEvent.Action


def describe(value: Any) -> Any:
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


def set_fields(complaint: Complaint, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply `values` and return {field: [old, new]} for those that actually changed."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        field = complaint._meta.get_field(name)
        old_raw = _field_value(complaint, name)
        new_raw = new.pk if field.is_relation and isinstance(new, models.Model) else new
        if old_raw != new_raw:
            if field.is_relation and (field.is_cached(complaint) or _has_code(field.related_model)):
                old = describe(getattr(complaint, name))
            else:
                # Described by id anyway (no code): no need to fetch the old related row.
                old = describe(old_raw)
            changes[name] = [old, describe(new)]
            setattr(complaint, name, new)
    return changes


def record_event(
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
    """Write one timeline line; after commit the outbox hands it to the consumers (notifications, ...)."""
    event = ComplaintEvent(
        complaint=complaint,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        changes=changes or {},
        is_internal=is_internal,
    )
    insert(event)  # event.save(), its INSERT written once per process (grievance/compiled.py)
    outbox.dispatch_on_commit([event.pk])
    return event


def lock(complaint: Complaint | int, *, related: tuple[str, ...] = ()) -> Complaint:
    """The complaint row, locked until the end of the caller's transaction (re-read, never trusted)."""
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    if related:
        # of=self: lock the complaint row only, not the rows joined in for reading.
        return Complaint.objects.select_for_update(of=("self",)).select_related(*related).get(pk=pk)
    return Complaint.objects.select_for_update().get(pk=pk)


def transition(
    *,
    complaint: Complaint | int,
    actor: User | None,
    action: str,
    note: str = "",
    values: dict[str, Any] | None = None,
    already_locked: bool = False,
    extra_changes: dict[str, Any] | None = None,
) -> tuple[Complaint, ComplaintEvent]:
    """Lock, check the workflow table, apply `values`, save, and write the event. Caller holds the transaction.

    already_locked=True: `complaint` is an instance the caller has just locked in this transaction.
    `extra_changes` are facts recorded on the event beside the field diff (e.g. `reached_top`).
    """
    locked = complaint if already_locked and isinstance(complaint, Complaint) else lock(complaint)
    from_status = locked.status
    to_status = check_transition(action=action, status=from_status, actor=actor)
    changes = set_fields(locked, values or {})
    if to_status != from_status:
        changes["status"] = [from_status, to_status]
        locked.status = to_status
    locked.save()
    event = record_event(
        complaint=locked,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        changes={**changes, **(extra_changes or {})},
    )
    return locked, event


# --- input rules shared by the operations ------------------------------------------------------
def require_text(value: str | None, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def validate_classification(
    *, category: Category | None, subcategory: Category | None, department: Department | None
) -> None:
    errors: dict[str, str] = {}
    if category is not None:
        if category.parent_id is not None:
            errors["category"] = "Choose a top-level category; put the specific one in subcategory."
        elif not category.is_active:
            errors["category"] = gettext("This category is no longer in use.")
    if subcategory is not None:
        if category is None:
            errors["subcategory"] = gettext("Choose the category this subcategory belongs to.")
        elif subcategory.parent_id != category.pk:
            errors["subcategory"] = (
                gettext("“%(sub)s” is not part of “%(cat)s”: choose one of its subcategories, or none.")
                % {"sub": subcategory.name, "cat": category.name}
            )
        elif not subcategory.is_active:
            errors["subcategory"] = gettext("This subcategory is no longer in use.")
    if department is not None and not department.is_active:
        errors["department"] = "This department is not active."
    if errors:
        raise ValidationError(errors)


def validate_location(*, latitude: Decimal | None, longitude: Decimal | None) -> None:
    """A point is both coordinates or neither; forms and serializers rely on this check."""
    if (latitude is None) != (longitude is None):
        missing = "latitude" if latitude is None else "longitude"
        raise ValidationError({missing: gettext("Give both latitude and longitude, or neither.")})
    # The same ranges as the model's check constraints, as field errors instead of a constraint name.
    for name, value, bound in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        try:
            number = Decimal(value) if value is not None else None
        except (ArithmeticError, TypeError, ValueError):
            continue  # not a number at all: the model's field validation names it
        if number is not None and not -bound <= number <= bound:
            message = gettext("Latitude must be between -90 and 90.") if name == "latitude" else gettext(
                "Longitude must be between -180 and 180."
            )
            raise ValidationError({name: message})


def validate_place(*, latitude: Decimal | None, longitude: Decimal | None, address: str) -> None:
    """Somewhere to go: a pin (both coordinates) or an address or landmark."""
    if (latitude is None or longitude is None) and not (address or "").strip():
        raise ValidationError(
            {"address": gettext("Put a pin on the map, use your location, or enter an address or landmark")}
        )


def validate_assignee(*, assignee: User | None, department: Department | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active or assignee.role not in DEPARTMENT_ROLES:
        raise ValidationError({"assignee": "Assign to an active officer or manager."})
    if department is None:
        raise ValidationError({"assignee": "Set a department before assigning."})
    # The assignee must be able to see the complaint: their department's subtree holds it.
    if assignee.department_id is None or department.pk not in department_subtree_ids(assignee.department_id):
        raise ValidationError({"assignee": f"{assignee} does not work in {department}."})


def sla_due_at(complaint: Complaint) -> dt.datetime | None:
    if complaint.department_id is None:
        return None
    return compute_sla_due_at(
        priority=complaint.priority,
        start=complaint.created_at,
        category=complaint.subcategory or complaint.category,
        department=complaint.department,
    )
