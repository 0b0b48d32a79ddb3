"""When is a complaint due? SLA policies turned into a due time.

**Calendar hours.** An SLA counts every hour of the clock, nights, weekends and public holidays
included: a medium-priority complaint filed on Friday at 17:00 with a 72-hour policy is due on
Monday at 17:00. The hours are elapsed (absolute) hours: the arithmetic is done in UTC, so a
daylight-saving change in the start time's zone never makes a "24-hour" SLA 23 or 25 hours long
(India has no DST; the rule matters only for deployments elsewhere).

**Which policy.** The most specific one that exists, in this order:

1. the complaint's category in its department;
2. the category in any department;
3. for a subcategory with neither of the above: its parent category in the department, then the
   parent category anywhere;
4. the department (any category);
5. the default policy (exactly one exists; `manage.py seed` creates it).

One query reads every candidate policy, whatever the case (compiled once per process and shape).
"""

import datetime as dt

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from departments.models import Category, Department, Priority, SLAPolicy
from grievance.compiled import compiled, from_values, model_lookups


class NoDefaultSLAPolicy(ImproperlyConfigured):
    """No SLA policy matched and there is no default policy to fall back to."""

    def __init__(self):
        super().__init__(
            "No default SLA policy exists, so no due time can be computed. Create one in the admin "
            "(Departments > SLA policies, with no category and no department) or run `manage.py seed`."
        )


def _category_chain(category: Category | None) -> list[int]:
    if category is None:
        return []
    chain = [category.pk]
    if category.parent_id is not None:
        chain.append(category.parent_id)
    return chain


_POLICY = model_lookups(SLAPolicy)


def _candidates(category_count: int, with_department: bool):
    """The one query for every candidate policy: (no category OR one of the chain's) AND (no
    department OR the department). Compiled once per process and shape (grievance/compiled.py)
    instead of on every complaint filed (issue 11: about a tenth of a create request)."""

    def build(*args):
        categories, department = args[:category_count], args[category_count:]
        in_category = (
            Q(category__isnull=True) | Q(category_id__in=categories) if categories else Q(category__isnull=True)
        )
        in_department = (
            Q(department__isnull=True) | Q(department_id=department[0]) if department else Q(department__isnull=True)
        )
        return SLAPolicy.objects.filter(in_category, in_department).values_list(*_POLICY)

    return build


def policy_for(*, category: Category | None = None, department: Department | None = None) -> SLAPolicy:
    """The most specific SLA policy for a category (or subcategory) and department."""
    category_ids = _category_chain(category)
    department_id = department.pk if department is not None else None
    args = [*category_ids] + ([department_id] if department_id is not None else [])
    shape = (len(category_ids), department_id is not None)
    rows = compiled(("departments.sla_candidates", *shape), _candidates(*shape), args).rows(args)
    policies = [from_values(SLAPolicy, dict(zip(_POLICY, row, strict=True))) for row in rows]
    candidates = {(p.category_id, p.department_id): p for p in policies}

    order: list[tuple[int | None, int | None]] = []
    for category_id in category_ids:
        if department_id is not None:
            order.append((category_id, department_id))
        order.append((category_id, None))
    if department_id is not None:
        order.append((None, department_id))
    order.append((None, None))
    for key in order:
        if key in candidates:
            return candidates[key]
    raise NoDefaultSLAPolicy()


def resolution_hours(*, priority: str, category: Category | None = None, department: Department | None = None) -> int:
    """Calendar hours allowed to resolve a complaint of this priority, category and department."""
    if priority not in Priority.values:
        raise ValueError(f"Unknown priority {priority!r}; expected one of {', '.join(Priority.values)}.")
    return policy_for(category=category, department=department).hours_for(priority)


def add_calendar_hours(start: dt.datetime, hours: int) -> dt.datetime:
    """`start` plus `hours` elapsed hours, in `start`'s time zone. `start` must be timezone-aware."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("The start time must be timezone-aware (use django.utils.timezone.now()).")
    return (start.astimezone(dt.UTC) + dt.timedelta(hours=hours)).astimezone(start.tzinfo)


def compute_sla_due_at(
    *,
    priority: str,
    start: dt.datetime,
    category: Category | None = None,
    department: Department | None = None,
) -> dt.datetime:
    """When a complaint with this priority, category (or subcategory) and department is due, if
    its clock started at `start`: `start` + the most specific policy's hours, as calendar hours.

    Raises NoDefaultSLAPolicy when nothing matches and no default policy exists, and ValueError
    for an unknown priority or a naive `start`.
    """
    hours = resolution_hours(priority=priority, category=category, department=department)
    return add_calendar_hours(start, hours)
