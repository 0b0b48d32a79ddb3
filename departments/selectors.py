"""Read-side queries over departments and categories. Every function here runs a fixed number of
queries whatever the size or depth of the tree."""

from django.db.models import Prefetch, QuerySet

from departments import tree
from departments.models import Category, Department
from grievance.compiled import compiled, from_values, model_lookups


def department_parent_map() -> dict[int, int | None]:
    """{department id: parent id} for every department, in one query."""
    return dict(Department.objects.values_list("id", "parent_id"))


def department_subtree_ids(department: Department | int) -> list[int]:
    """The department and all its descendants (active or not), root first, in one query.

    A manager's reach and complaint visibility are "this department and everything below it". The
    whole tree's (id, parent_id) pairs are read in one query and walked in Python: a city's tree has
    tens to a few hundred rows, so this beats a recursive CTE in simplicity at the same cost.
    Returns [] for an id that does not exist.
    """
    department_id = department.pk if isinstance(department, Department) else int(department)
    return tree.subtree_ids(department_id, department_parent_map())


def subtree_ids_for_user(user) -> list[int]:
    """Ids of the user's department and every department below it; [] when the user has none
    (anonymous users, citizens, staff not attached to a department)."""
    department_id = getattr(user, "department_id", None)
    if department_id is None:
        return []
    return department_subtree_ids(department_id)


def department_ancestor_ids(department: Department | int) -> list[int]:
    """The department and the ids above it up to the root, nearest first, in one query."""
    department_id = department.pk if isinstance(department, Department) else int(department)
    return tree.ancestor_ids(department_id, department_parent_map())


def departments_with_policy() -> QuerySet[Department]:
    """Departments with their escalation steps prefetched (two queries for any number of rows)."""
    return Department.objects.prefetch_related("escalation_steps")


def category_list(*, is_active: bool | None = None) -> QuerySet[Category]:
    """Top-level categories with their subcategories prefetched (two queries in all)."""
    subcategories = Category.objects.select_related("default_department", "parent")
    categories = Category.objects.filter(parent__isnull=True).select_related("default_department")
    if is_active is not None:
        categories = categories.filter(is_active=is_active)
        subcategories = subcategories.filter(is_active=is_active)
    return categories.prefetch_related(Prefetch("subcategories", queryset=subcategories))


_CATEGORY_WITH_DEPARTMENT = (*model_lookups(Category), *model_lookups(Department, "default_department__"))


def categories_by_code(codes: list[str]) -> dict[str, Category]:
    """The categories with these codes, each with its default department loaded (routing reads it):
    one statement, compiled once per process and number of codes (filing a complaint runs it)."""
    if not codes:
        return {}
    names = _CATEGORY_WITH_DEPARTMENT

    def build(*args):
        return Category.objects.filter(code__in=args).values_list(*names)

    found = {}
    for values in compiled(("departments.categories_by_code", len(codes)), build, codes).rows(codes):
        row = dict(zip(names, values, strict=True))
        category = from_values(Category, row)
        department = from_values(Department, row, "default_department__")
        if department is not None:
            category.default_department = department
        found[category.code] = category
    return found
