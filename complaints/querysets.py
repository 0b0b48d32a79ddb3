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
    from complaints.models import OPEN_STATUSES

    due = complaint.sla_due_at
    return bool(complaint.status in OPEN_STATUSES and due is not None and due < (now or timezone.now()))


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


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user) -> ComplaintQuerySet:
        """Complaints `user` may see in full.

        - citizens: their own;
        - officers and managers: their department and every department below it;
        - dispatchers, executives, admins: all;
        - service accounts: the complaints they filed;
        - anyone else (anonymous, inactive): nothing.
        Others' complaints reach citizens only through the PII-free public views (`public()`).
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role in ALL_SEEING_ROLES:
            return self.all()
        if user.role == Role.CITIZEN:
            return self.filter(citizen=user)
        if user.role in (Role.OFFICER, Role.MANAGER):
            department_ids = department_scope(user)
            return self.filter(department_id__in=department_ids) if department_ids else self.none()
        if user.role == Role.SERVICE:
            return self.filter(created_by=user)
        return self.none()

    def by_id_or_reference(self, value: str) -> ComplaintQuerySet:
        """Filter by numeric id or by reference (GRV-2026-000123, any case): both identify a complaint."""
        value = (value or "").strip()
        pk = parse_id(value)
        return self.filter(pk=pk) if pk is not None else self.filter(reference=value.upper())

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
