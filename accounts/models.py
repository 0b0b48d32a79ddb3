"""Users of every kind: citizens, department staff, executives, admins and service accounts."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.phones import normalize_phone


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    OFFICER = "officer", _("Department officer")
    DISPATCHER = "dispatcher", _("Dispatcher")
    MANAGER = "manager", _("Department manager")
    EXECUTIVE = "executive", _("Executive")
    ADMIN = "admin", _("Administrator")
    SERVICE = "service", _("Service account")


# Roles that work in the Django admin (the back office). Citizens and services never do.
STAFF_ROLES = frozenset({Role.OFFICER, Role.DISPATCHER, Role.MANAGER, Role.EXECUTIVE, Role.ADMIN})
# Roles whose reach is a department subtree rather than everything.
DEPARTMENT_ROLES = frozenset({Role.OFFICER, Role.MANAGER})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, *, email=None, phone=None, password=None, **fields):
        email = self.normalize_email(email) or None
        user = self.model(email=email, phone=phone or None, **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **fields):
        fields.setdefault("role", Role.CITIZEN)
        return self._create_user(email=email, password=password, **fields)

    def create_superuser(self, email=None, password=None, **fields):
        fields["role"] = Role.ADMIN
        return self._create_user(email=email, password=password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person or a machine that uses Grievance.

    A citizen is known by phone; staff by email (and optionally phone). At least one of the two is
    required and each is unique. `is_staff` is not stored: it follows the role, so changing a role
    can never leave a stale admin flag behind.
    """

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CITIZEN, db_index=True)
    phone = models.CharField(
        _("phone (E.164)"),
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Stored in E.164, e.g. +919812345678."),
    )
    email = models.EmailField(_("email"), unique=True, null=True, blank=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        default="en",
        choices=[("en", _("English")), ("hi", _("Hindi"))],
    )
    department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("The department an officer or manager works in."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    # Django's createsuperuser and admin login use email; citizens log in by phone via OTP.
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=False) | Q(email__isnull=False),
                name="user_has_phone_or_email",
                violation_error_message=_("A user needs a phone number or an email address."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"user {self.pk}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_citizen(self) -> bool:
        return self.role == Role.CITIZEN

    def clean(self) -> None:
        super().clean()
        if self.email == "":
            self.email = None
        if self.phone == "":
            self.phone = None
        if self.email:
            self.email = self.__class__.objects.normalize_email(self.email).lower()
        if self.phone:
            self.phone = normalize_phone(self.phone)
        if not self.phone and not self.email:
            raise ValidationError(_("A user needs a phone number or an email address."))

    def save(self, *args, **kwargs):
        # Admins are superusers; no other role is. Kept here so every path that saves a user agrees.
        self.is_superuser = self.role == Role.ADMIN
        if self.email == "":
            self.email = None
        if self.phone == "":
            self.phone = None
        super().save(*args, **kwargs)
