"""The organisation complaints are routed through: departments (a tree), categories with
subcategories, SLA policies, escalation policies and closure reasons.

State changes with rules (moving a department, replacing an escalation policy, deleting) go through
`departments.services`; the models guard their own invariants too (a department tree never gets a
cycle, whatever path saves it), so the admin, the API and the seed all agree.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments import tree


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# Shown between the names of a department's ancestors: "Municipal Corporation / Public Works / Roads".
PATH_SEPARATOR = " / "
# No escalation chain is longer than this (a sanity bound for the policy, not a tree-depth limit).
MAX_ESCALATION_LEVEL = 10
# Upper bound for any number of hours typed into a policy: one year.
MAX_POLICY_HOURS = 24 * 365

_hours_validators = [MinValueValidator(1), MaxValueValidator(MAX_POLICY_HOURS)]


@dataclass(frozen=True)
class EscalationRule:
    """One level of an escalation policy, whether stored (EscalationStep) or the built-in default."""

    level: int
    hours: int
    notify_manager: bool = True
    notify_assignee: bool = True
    notify_citizen: bool = True
    notify_executives: bool = False


# The policy of a department that has no escalation steps of its own: three levels, less time at
# each (the higher a complaint climbs, the more senior and the more urgent), executives told at the top.
DEFAULT_ESCALATION_POLICY: tuple[EscalationRule, ...] = (
    EscalationRule(level=1, hours=72),
    EscalationRule(level=2, hours=48),
    EscalationRule(level=3, hours=24, notify_executives=True),
)


def _department_parent_map() -> dict[int, int | None]:
    return dict(Department.objects.values_list("id", "parent_id"))


class Department(models.Model):
    """A unit of government in a tree of any depth (corporation -> public works -> roads ...).

    `path` and `depth` are derived from the ancestors' names and kept up to date by `save()` (a
    rename or a move rewrites the subtree's paths), so lists can show and sort by the full path with
    no extra query. Bulk `QuerySet.update()` of `name`/`parent` bypasses that: use the services.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Stable, used by the API."))
    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent department"),
        help_text=_("Empty for a top-level department. A department cannot sit below itself."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    path = models.CharField(_("path"), max_length=1000, default="", editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=32,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9][0-9 ()-]{4,30}$",
                _("Enter a phone number of digits, spaces, dashes and an optional leading +."),
            )
        ],
        help_text=_("As shown to citizens, e.g. +91 11 2345 6789 or 1800 180 1234."),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
        limit_choices_to={"role__in": ["manager", "admin"]},
        verbose_name=_("manager"),
        help_text=_("Receives escalated complaints at this department and approves escalation requests."),
    )

    class Meta:
        ordering = ["path", "id"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not {"name", "parent", "parent_id"} & set(update_fields):
            return super().save(*args, **kwargs)
        with transaction.atomic(using=kwargs.get("using")):
            if self.parent_id is not None and self.pk is not None:
                if tree.would_create_cycle(self.pk, self.parent_id, _department_parent_map()):
                    # Last line of defence for code that skips full_clean(); clean() says it nicer.
                    raise ValidationError({"parent": _("This parent would create a cycle in the department tree.")})
            adding = self._state.adding
            old_path = self.path
            self.path, self.depth = self._computed_path()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "path", "depth"}
            super().save(*args, **kwargs)
            if not adding and old_path != self.path:
                self._rewrite_descendant_paths()

    # --- tree -------------------------------------------------------------------------------
    def _computed_path(self) -> tuple[str, int]:
        if self.parent_id is None:
            return self.name, 0
        parent = self.parent
        return f"{parent.path}{PATH_SEPARATOR}{self.name}", parent.depth + 1

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.parent_id is not None and tree.would_create_cycle(self.pk, self.parent_id, _department_parent_map()):
            errors["parent"] = (
                _("A department cannot be its own parent.")
                if self.parent_id == self.pk
                else _("This parent is below the department in the tree: the move would create a cycle.")
            )
        if self.manager_id is not None and self.manager.role not in ("manager", "admin"):
            errors["manager"] = _("The manager must be a user with the manager (or admin) role.")
        if errors:
            raise ValidationError(errors)

    def _rewrite_descendant_paths(self) -> None:
        rows = {
            pk: (parent_id, name) for pk, parent_id, name in Department.objects.values_list("id", "parent_id", "name")
        }
        parent_map = {pk: parent_id for pk, (parent_id, _name) in rows.items()}
        computed = {self.pk: (self.path, self.depth)}
        changed = []
        for node_id in tree.descendants_in_order([self.pk], parent_map)[1:]:
            parent_id, name = rows[node_id]
            parent_path, parent_depth = computed[parent_id]
            computed[node_id] = (f"{parent_path}{PATH_SEPARATOR}{name}", parent_depth + 1)
            changed.append(Department(pk=node_id, path=computed[node_id][0], depth=computed[node_id][1]))
        if changed:
            Department.objects.bulk_update(changed, ["path", "depth"])

    # --- escalation -------------------------------------------------------------------------
    def escalation_target(self, loaded: "Mapping[int, Department] | None" = None) -> "Department":
        """Where a complaint held here goes when it escalates: the parent department, or this one at
        the top of the tree. `loaded` ({id: department}) avoids a query when many escalate at once."""
        if loaded is not None:
            return loaded.get(self.parent_id, self) if self.parent_id is not None else self
        return self.parent or self

    def escalation_policy(self) -> tuple[EscalationRule, ...]:
        """This department's escalation levels, lowest first; the built-in default when it has none.

        Reads `escalation_steps` (one query, or none with `prefetch_related("escalation_steps")`).
        """
        steps = sorted(self.escalation_steps.all(), key=lambda step: step.level)
        if not steps:
            return DEFAULT_ESCALATION_POLICY
        return tuple(step.as_rule() for step in steps)

    @property
    def max_escalation_level(self) -> int:
        """The highest level a complaint can be escalated to under this department's policy."""
        return max(rule.level for rule in self.escalation_policy())

    def escalation_rule(self, level: int) -> EscalationRule:
        """The rule for `level` (1 = first escalation). Levels above the highest get the highest
        level's rule, so a sweep never crashes; callers stop escalating at `max_escalation_level`."""
        if level < 1:
            raise ValueError(f"Escalation levels start at 1, not {level}.")
        policy = self.escalation_policy()
        by_level = {rule.level: rule for rule in policy}
        if level in by_level:
            return by_level[level]
        lower = [rule for rule in policy if rule.level < level]
        return lower[-1] if lower else policy[0]

    def escalation_hours(self, level: int) -> int:
        """Calendar hours a complaint gets to be resolved after it reaches escalation `level`."""
        return self.escalation_rule(level).hours


class EscalationStep(models.Model):
    """One level of a department's escalation policy: how long the complaint gets once it reaches the
    level, and who is told. A department's steps are numbered 1..N without gaps (the service and the
    admin check that); N is the highest level its complaints can reach."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="escalation_steps")
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(MAX_ESCALATION_LEVEL)]
    )
    hours = models.PositiveIntegerField(
        _("hours allowed"),
        validators=_hours_validators,
        help_text=_("Calendar hours the complaint gets to be resolved after reaching this level."),
    )
    notify_manager = models.BooleanField(
        _("notify the manager"), default=True, help_text=_("The manager of the department that receives the complaint.")
    )
    notify_assignee = models.BooleanField(
        _("notify the previous assignee"), default=True, help_text=_("The officer who held the complaint.")
    )
    notify_citizen = models.BooleanField(_("notify the citizen"), default=True)
    notify_executives = models.BooleanField(_("notify executives"), default=False)

    class Meta:
        ordering = ["department", "level"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation policy")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "level"],
                name="escalationstep_unique_level",
                violation_error_message=_("This department already has a step for this level."),
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=MAX_ESCALATION_LEVEL), name="escalationstep_level_range"
            ),
            models.CheckConstraint(condition=Q(hours__gte=1), name="escalationstep_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"level {self.level}: {self.hours} h"

    def as_rule(self) -> EscalationRule:
        return EscalationRule(
            level=self.level,
            hours=self.hours,
            notify_manager=self.notify_manager,
            notify_assignee=self.notify_assignee,
            notify_citizen=self.notify_citizen,
            notify_executives=self.notify_executives,
        )


class Category(models.Model):
    """What a complaint is about. A category with a parent is a subcategory (one level only).

    Names are stored in English (`name`) and Hindi (`name_hi`): reference data typed by admins is
    not in the gettext catalogues, so translations live next to the text. `localized_name()` picks one.
    """

    code = models.SlugField(
        _("code"), max_length=50, unique=True, help_text=_("Stable, used by the API and the AI service.")
    )
    name = models.CharField(_("name (English)"), max_length=150)
    name_hi = models.CharField(_("name (Hindi)"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subcategories",
        limit_choices_to={"parent__isnull": True},
        verbose_name=_("parent category"),
        help_text=_("Set for a subcategory. Subcategories cannot have subcategories."),
    )
    default_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routed_categories",
        verbose_name=_("default department"),
        help_text=_("Where complaints in this category are routed. A subcategory's wins over its parent's."),
    )
    default_priority = models.CharField(
        _("default priority"), max_length=8, choices=Priority.choices, default=Priority.MEDIUM
    )
    is_active = models.BooleanField(_("active"), default=True)
    ordering = models.PositiveIntegerField(_("ordering"), default=0, help_text=_("Lower numbers are listed first."))

    class Meta:
        ordering = ["ordering", "name", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def is_subcategory(self) -> bool:
        return self.parent_id is not None

    def localized_name(self, language: str | None) -> str:
        if (language or "").lower().startswith("hi") and self.name_hi:
            return self.name_hi
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A category cannot be its own parent.")})
        if self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": _("Choose a top-level category: subcategories cannot have subcategories.")}
            )
        if self.pk is not None and Category.objects.filter(parent_id=self.pk).exists():
            raise ValidationError({"parent": _("This category has subcategories, so it cannot become a subcategory.")})


class SLAPolicy(models.Model):
    """Calendar hours allowed to resolve a complaint, per priority.

    Exactly one default policy (no category, no department) applies when nothing more specific
    does; overrides name a category and/or a department. See `departments.sla` for the lookup order.
    """

    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
        verbose_name=_("category"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
        verbose_name=_("department"),
    )
    hours_low = models.PositiveIntegerField(_("low priority (hours)"), validators=_hours_validators)
    hours_medium = models.PositiveIntegerField(_("medium priority (hours)"), validators=_hours_validators)
    hours_high = models.PositiveIntegerField(_("high priority (hours)"), validators=_hours_validators)
    hours_urgent = models.PositiveIntegerField(_("urgent priority (hours)"), validators=_hours_validators)
    is_default = models.BooleanField(
        _("default policy"), default=False, editable=False, help_text=_("Set when neither category nor department is.")
    )

    class Meta:
        ordering = ["-is_default", "category__name", "department__path", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="slapolicy_one_default",
                violation_error_message=_("There is already a default SLA policy; edit it instead."),
            ),
            models.UniqueConstraint(
                fields=["category", "department"],
                condition=Q(category__isnull=False, department__isnull=False),
                name="slapolicy_unique_category_department",
                violation_error_message=_("There is already a policy for this category in this department."),
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(category__isnull=False, department__isnull=True),
                name="slapolicy_unique_category",
                violation_error_message=_("There is already a policy for this category."),
            ),
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(category__isnull=True, department__isnull=False),
                name="slapolicy_unique_department",
                violation_error_message=_("There is already a policy for this department."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(is_default=True, category__isnull=True, department__isnull=True)
                    | (Q(is_default=False) & (Q(category__isnull=False) | Q(department__isnull=False)))
                ),
                name="slapolicy_default_iff_unscoped",
            ),
        ]

    def __str__(self) -> str:
        if self.is_default or (self.category_id is None and self.department_id is None):
            return str(_("Default SLA policy"))
        parts = []
        if self.category_id is not None:
            parts.append(str(self.category))
        if self.department_id is not None:
            parts.append(str(self.department))
        return _("SLA policy: %(scope)s") % {"scope": " in ".join(parts)}

    def save(self, *args, **kwargs):
        self._sync_is_default()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_default"}
        super().save(*args, **kwargs)

    def hours_for(self, priority: str) -> int:
        if priority not in Priority.values:
            raise ValueError(f"Unknown priority {priority!r}; expected one of {', '.join(Priority.values)}.")
        return getattr(self, f"hours_{priority}")

    def _sync_is_default(self) -> None:
        self.is_default = self.category_id is None and self.department_id is None

    def clean(self) -> None:
        self._sync_is_default()
        super().clean()
        values = [self.hours_urgent, self.hours_high, self.hours_medium, self.hours_low]
        if None not in values and values != sorted(values):
            raise ValidationError(
                _("More urgent priorities must get fewer (or equal) hours: urgent <= high <= medium <= low.")
            )


class ClosureReason(models.Model):
    """Why a complaint was closed or rejected (resolved, duplicate, not our jurisdiction, ...)."""

    code = models.SlugField(_("code"), max_length=50, unique=True, help_text=_("Stable, used by the API."))
    name = models.CharField(_("name (English)"), max_length=150)
    name_hi = models.CharField(_("name (Hindi)"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    is_active = models.BooleanField(_("active"), default=True)
    ordering = models.PositiveIntegerField(_("ordering"), default=0, help_text=_("Lower numbers are listed first."))

    class Meta:
        ordering = ["ordering", "name", "id"]
        verbose_name = _("closure reason")
        verbose_name_plural = _("closure reasons")

    def __str__(self) -> str:
        return self.name

    def localized_name(self, language: str | None) -> str:
        if (language or "").lower().startswith("hi") and self.name_hi:
            return self.name_hi
        return self.name
