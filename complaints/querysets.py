"""The one visibility gate, and reusable query pieces for complaints.

`Complaint.objects.visible_to(user)` decides who sees what, everywhere: API, admin, pages, exports,
analytics. Nothing else filters complaints by ownership or department.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role
from grievance.filters import parse_id

# Roles that see every complaint.
ALL_SEEING_ROLES = frozenset({Role.DISPATCHER, Role.EXECUTIVE, Role.ADMIN})


# --- overdue: the one definition --------------------------------------------------------------
def overdue_q(now=None) -> Q:
    """Open and past its due time. The filterset, the admin, the dashboards and the sweep use this."""
    from complaints.models import OPEN_STATUSES

    return Q(status__in=OPEN_STATUSES, sla_due_at__lt=now or timezone.now())


def is_overdue(complaint, now=None) -> bool:
    """`overdue_q` for one loaded row."""
    return is_overdue_values(complaint.status, complaint.sla_due_at, now)


def is_overdue_values(status, due, now=None) -> bool:
    """`overdue_q` for a row's status and due time."""
    from complaints.models import OPEN_STATUSES

    return bool(status in OPEN_STATUSES and due is not None and due < (now or timezone.now()))


def department_scope(user) -> list[int] | None:
    """The department ids whose complaints `user` sees: None means every department (dispatchers,
    executives, admins); [] means none through departments (citizens, services, anonymous, inactive).

    The department half of the one visibility rule, for queries over tables keyed by department
    (analytics summaries, notices). `ComplaintQuerySet.visible_to` is built on it.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.role in ALL_SEEING_ROLES:
        return None
    if user.role in (Role.OFFICER, Role.MANAGER):
        from departments.selectors import subtree_ids_for_user

        return subtree_ids_for_user(user)
    return []


NOTHING = ("none", ())


def visibility(user) -> tuple[str, tuple[int, ...]]:
    """The one visibility rule as data: (kind, values), applied by `ComplaintQuerySet.within`.

    - citizens: ("citizen", (their id,)): their own;
    - officers and managers: ("departments", ids): their department and every department below it;
    - dispatchers, executives, admins: ("all", ()): all;
    - service accounts: ("created_by", (their id,)): the complaints they filed;
    - anyone else (anonymous, inactive, an officer without a department): ("none", ()).

    As data so that the API's hot reads can compile a query once per kind and number of values and
    run it with this user's values (grievance/compiled.py) under exactly this rule.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.role in ALL_SEEING_ROLES:
        return ("all", ())
    if user.role == Role.CITIZEN:
        return ("citizen", (user.pk,))
    if user.role in (Role.OFFICER, Role.MANAGER):
        department_ids = department_scope(user)
        return ("departments", tuple(department_ids)) if department_ids else NOTHING
    if user.role == Role.SERVICE:
        return ("created_by", (user.pk,))
    return NOTHING


def id_or_reference_lookup(value: str) -> dict:
    """{"pk": id} for plain digits, else {"reference": VALUE} (references match in any case)."""
    value = (value or "").strip()
    pk = parse_id(value)
    return {"pk": pk} if pk is not None else {"reference": value.upper()}


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user) -> ComplaintQuerySet:
        """Complaints `user` may see in full (the rule: `visibility`).
        Others' complaints reach citizens only through the PII-free public views (`public()`).
        """
        return self.within(*visibility(user))

    def within(self, kind: str, values: tuple) -> ComplaintQuerySet:
        """Apply a `visibility(user)` result."""
        if kind == "all":
            return self.all()
        if kind == "citizen":
            return self.filter(citizen_id=values[0])
        if kind == "departments":
            return self.filter(department_id__in=values)
        if kind == "created_by":
            return self.filter(created_by_id=values[0])
        if kind == "none":
            return self.none()
        raise ValueError(f"unknown visibility kind {kind!r}")

    def by_id_or_reference(self, value: str) -> ComplaintQuerySet:
        """Filter by numeric id or by reference (GRV-2026-000123, any case): both identify a complaint."""
        return self.filter(**id_or_reference_lookup(value))

    def public(self) -> ComplaintQuerySet:
        """Every complaint, loading only the allow-listed public fields (`selectors.PUBLIC_FIELDS`):
        what anyone may know without seeing who filed it (track, nearby, Open311). Serializers and
        pages of the public view show those fields and nothing else."""
        from complaints.selectors import PUBLIC_FIELDS

        # The citizen's id is loaded for "is this mine?" checks (support, owner links); never shown.
        return self.only(*PUBLIC_FIELDS, "citizen")

    def open(self) -> ComplaintQuerySet:
        from complaints.models import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now=None) -> ComplaintQuerySet:
        return self.filter(overdue_q(now))

    def with_list_relations(self) -> ComplaintQuerySet:
        """Everything a list row shows, joined in one query (no N+1)."""
        return self.select_related("category", "subcategory", "department", "assignee", "citizen")
