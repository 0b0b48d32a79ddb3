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

    # The role as last loaded or saved, to notice role changes on save.
    _loaded_role: str | None = None

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"user {self.pk}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_citizen(self) -> bool:
        return self.role == Role.CITIZEN

    @property
    def receives_notifications(self) -> bool:
        """Read by the notification engine: service accounts are machines, nobody reads their inbox."""
        return self.is_active and self.role != Role.SERVICE

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
        adding = self._state.adding
        super().save(*args, **kwargs)
        # Groups follow the role (they carry the admin permissions). Only touched when the role
        # changed, so saving a citizen costs no extra queries.
        if (adding and self.role in STAFF_ROLES) or (not adding and self._loaded_role != self.role):
            from accounts.roles import sync_user_groups

            sync_user_groups(self)
        self._loaded_role = self.role

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_role = instance.__dict__.get("role")
        return instance


class PhoneOtp(models.Model):
    """A one-time login code sent to a phone. Only a keyed hash of the code is stored.

    A code is usable while `is_active`; it stops being usable when it is used, expires, is replaced
    by a newer request for the same phone, or collects too many wrong tries.
    """

    phone = models.CharField(max_length=16, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    requested_from_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone login code")
        verbose_name_plural = _("phone login codes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone", "-created_at"], name="phoneotp_phone_created")]

    def __str__(self) -> str:
        return f"code for {self.phone} at {self.created_at:%Y-%m-%d %H:%M}"


class ApiKeyScope(models.TextChoices):
    """What a service may do with its key. Add a scope here, then check it with HasApiKeyScope."""

    INTAKE = "intake", _("Post complaints on behalf of citizens")
    OPEN311 = "open311", _("File Open311 GeoReport v2 service requests")


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A key a machine (AI service, bot, SMS gateway) uses instead of a password.

    The key is `<prefix>.<secret>`: the prefix is stored in clear so people can tell keys apart and
    the lookup is indexed; the secret is shown once at creation and stored only as a SHA-256 hash
    (it is long and random, so a slow hash adds nothing).
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=64, editable=False)
    owner = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="api_keys",
        limit_choices_to={"role": Role.SERVICE},
        help_text=_("The service account requests made with this key act as."),
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])
