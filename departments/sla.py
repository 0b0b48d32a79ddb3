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

One query reads every candidate policy, whatever the case (its SQL written once per process).
"""

import datetime as dt
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from departments.models import Category, Department, Priority, SLAPolicy


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


@lru_cache(maxsize=16)
def _candidates_sql(vendor: str, category_count: int, with_department: bool) -> str:
    """The one query for every candidate policy, written once per process and shape instead of an
    ORM query compiled on every complaint filed (issue 11: about a tenth of a create request):
    (no category OR one of the chain's) AND (no department OR the department)."""
    quote = connection.ops.quote_name
    meta = SLAPolicy._meta
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    category, department = quote(meta.get_field("category").column), quote(meta.get_field("department").column)
    where = f"({category} IS NULL"
    if category_count:
        where += f" OR {category} IN ({', '.join(['%s'] * category_count)})"
    where += f") AND ({department} IS NULL"
    if with_department:
        where += f" OR {department} = %s"
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {where})"


def policy_for(*, category: Category | None = None, department: Department | None = None) -> SLAPolicy:
    """The most specific SLA policy for a category (or subcategory) and department."""
    category_ids = _category_chain(category)
    department_id = department.pk if department is not None else None
    params = [*category_ids] + ([department_id] if department_id is not None else [])
    sql = _candidates_sql(connection.vendor, len(category_ids), department_id is not None)
    candidates = {(p.category_id, p.department_id): p for p in SLAPolicy.objects.raw(sql, params)}

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
