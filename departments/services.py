"""Writes to reference data that have rules: the REST API, the admin and the seed call these.

Each function validates (model `full_clean()` plus the rule it owns), saves in one transaction,
and raises `django.core.exceptions.ValidationError` (a 400 in the API) or `grievance.errors.Conflict`
(a 409) with a message a person can act on.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from departments.cache import invalidate_reference_cache
from departments.models import (
    MAX_ESCALATION_LEVEL,
    Category,
    ClosureReason,
    Department,
    EscalationStep,
    SLAPolicy,
)
from grievance.errors import Conflict


# --- routing ---------------------------------------------------------------------------------
def route_department(
    *,
    category: Category | None,
    subcategory: Category | None = None,
    latitude=None,
    longitude=None,
) -> Department | None:
    """The department a complaint in this category goes to: the subcategory's default department,
    else the category's (the subcategory's parent stands in when `category` is None), else None
    (a dispatcher triages it). Inactive departments are skipped.

    `latitude`/`longitude` are accepted but not used yet: they are reserved for routing by location
    (wards, zones) later, so callers (triage, the AI intake) pass them already and need not change.
    """
    if category is None and subcategory is not None and subcategory.parent_id is not None:
        category = subcategory.parent
    for candidate in (subcategory, category):
        if candidate is None or candidate.default_department_id is None:
            continue
        department = candidate.default_department
        if department.is_active:
            return department
    return None


# --- departments -----------------------------------------------------------------------------
DEPARTMENT_FIELDS = ("code", "name", "parent", "is_active", "contact_email", "contact_phone", "manager")


def _lock_department_tree() -> None:
    """Serialise tree changes: two concurrent moves could otherwise build a cycle between them."""
    list(Department.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def _apply(instance: models.Model, fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields for {type(instance).__name__}: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(instance, name, value)


@transaction.atomic
def department_create(*, escalation_policy: list[Mapping[str, Any]] | None = None, **fields) -> Department:
    """Create a department (anywhere in the tree) and, optionally, its escalation policy."""
    _lock_department_tree()
    department = Department()
    _apply(department, fields, DEPARTMENT_FIELDS)
    department.full_clean()
    department.save()
    if escalation_policy is not None:
        department_set_escalation_policy(department=department, steps=escalation_policy)
    return department


@transaction.atomic
def department_update(
    *, department: Department, escalation_policy: list[Mapping[str, Any]] | None = None, **fields
) -> Department:
    """Change a department's fields; a new parent is checked for cycles against the locked tree."""
    _lock_department_tree()
    _apply(department, fields, DEPARTMENT_FIELDS)
    department.full_clean()
    department.save()
    if escalation_policy is not None:
        department_set_escalation_policy(department=department, steps=escalation_policy)
    return department


def department_set_parent(*, department: Department, parent: Department | None) -> Department:
    """Move a department (and its whole subtree) below `parent`, or to the top with None.

    Rejects a move below itself or below one of its own descendants, at any depth."""
    return department_update(department=department, parent=parent)


@transaction.atomic
def department_set_escalation_policy(*, department: Department, steps: list[Mapping[str, Any]]) -> list[EscalationStep]:
    """Replace the department's escalation policy with `steps`, a list of dicts with `level`
    (optional: defaults to the position, 1-based), `hours` and optional notify_* flags.

    Levels must run 1..N without gaps or repeats, N <= MAX_ESCALATION_LEVEL. An empty list removes
    the department's own policy, so the built-in default applies again.
    """
    validate_escalation_levels([step.get("level", index) for index, step in enumerate(steps, start=1)])
    built = []
    errors: dict[str, list[str]] = {}
    for index, spec in enumerate(steps, start=1):
        step = EscalationStep(department=department, level=spec.get("level", index))
        for flag in ("hours", "notify_manager", "notify_assignee", "notify_citizen", "notify_executives"):
            if flag in spec:
                setattr(step, flag, spec[flag])
        try:
            step.full_clean(exclude=["department"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault("escalation_policy", []).extend(f"level {step.level}: {field}: {m}" for m in messages)
        built.append(step)
    if errors:
        raise ValidationError(errors)
    department.escalation_steps.all().delete()
    created = EscalationStep.objects.bulk_create(built)
    # bulk_create sends no post_save: the department's cached API answer includes its policy.
    invalidate_reference_cache()
    if hasattr(department, "_prefetched_objects_cache"):
        department._prefetched_objects_cache.pop("escalation_steps", None)
    return created


def validate_escalation_levels(levels: list[int]) -> None:
    """Levels must be exactly 1..N (any order), N <= MAX_ESCALATION_LEVEL."""
    if not levels:
        return
    if len(levels) > MAX_ESCALATION_LEVEL:
        raise ValidationError(
            {"escalation_policy": _("At most %(max)d escalation levels.") % {"max": MAX_ESCALATION_LEVEL}}
        )
    if sorted(levels) != list(range(1, len(levels) + 1)):
        raise ValidationError(
            {"escalation_policy": _("Escalation levels must be numbered 1, 2, 3 ... without gaps or repeats.")}
        )


@transaction.atomic
def department_delete(*, department: Department) -> None:
    """Delete a department nobody refers to; otherwise a Conflict saying what still uses it
    (deactivate it instead to keep its history)."""
    try:
        department.delete()
    except models.ProtectedError as exc:
        raise Conflict(_protected_message("department", exc)) from None


def _protected_message(noun: str, exc: models.ProtectedError) -> str:
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
    return _("This %(noun)s is still used by %(what)s; deactivate it instead.") % {
        "noun": noun,
        "what": ", ".join(kinds),
    }


# --- categories ------------------------------------------------------------------------------
CATEGORY_FIELDS = (
    "code",
    "name",
    "name_hi",
    "description",
    "parent",
    "default_department",
    "default_priority",
    "is_active",
    "ordering",
)


@transaction.atomic
def category_save(*, category: Category | None = None, **fields) -> Category:
    """Create (category=None) or update a category or subcategory (one level of nesting only)."""
    category = category or Category()
    _apply(category, fields, CATEGORY_FIELDS)
    category.full_clean()
    category.save()
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    try:
        category.delete()
    except models.ProtectedError as exc:
        raise Conflict(_protected_message("category", exc)) from None


# --- SLA policies ----------------------------------------------------------------------------
SLA_POLICY_FIELDS = ("category", "department", "hours_low", "hours_medium", "hours_high", "hours_urgent")


@transaction.atomic
def sla_policy_save(*, policy: SLAPolicy | None = None, **fields) -> SLAPolicy:
    """Create (policy=None) or update an SLA policy; one per (category, department), one default."""
    policy = policy or SLAPolicy()
    was_default = policy.pk is not None and policy.is_default
    _apply(policy, fields, SLA_POLICY_FIELDS)
    policy.full_clean()
    if was_default and not policy.is_default:
        raise ValidationError(
            {"non_field_errors": [_("The default policy cannot be given a scope; create an override instead.")]}
        )
    policy.save()
    return policy


@transaction.atomic
def sla_policy_delete(*, policy: SLAPolicy) -> None:
    """Delete an override. The default policy cannot be deleted: every due time falls back on it."""
    if policy.is_default:
        raise Conflict(_("The default SLA policy cannot be deleted; change its hours instead."))
    policy.delete()


# --- closure reasons -------------------------------------------------------------------------
CLOSURE_REASON_FIELDS = ("code", "name", "name_hi", "description", "is_active", "ordering")


@transaction.atomic
def closure_reason_save(*, reason: ClosureReason | None = None, **fields) -> ClosureReason:
    reason = reason or ClosureReason()
    _apply(reason, fields, CLOSURE_REASON_FIELDS)
    reason.full_clean()
    reason.save()
    return reason


@transaction.atomic
def closure_reason_delete(*, reason: ClosureReason) -> None:
    try:
        reason.delete()
    except models.ProtectedError as exc:
        raise Conflict(_protected_message("closure reason", exc)) from None
