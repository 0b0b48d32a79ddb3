"""The back office for accounts. Every ModelAdmin scopes its rows and every action declares the
permission it needs (`allowed_permissions`), so a view-only role is never offered a change; the
matrix test in grievance/tests/test_admin_matrix.py holds every admin page to one table."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.forms import ApiKeyAdminForm, StaffUserChangeForm, StaffUserCreationForm
from accounts.models import STAFF_ROLES, ApiKey, Role, User
from grievance.errors import DomainError

# The department tree belongs to the departments app, which imports accounts (never the reverse).
# It registers how to expand a department id into its subtree (departments/admin.py); until it has,
# a manager sees nobody: the scope fails closed.
_department_subtree_ids: Callable[[int], list[int]] | None = None


def register_department_subtree(function: Callable[[int], list[int]]) -> None:
    global _department_subtree_ids
    _department_subtree_ids = function


def users_visible_in_admin(user: User, queryset):
    """Whose accounts `user` sees in the back office.

    Administrators and executives (who see everything and change nothing): everyone. Managers: the
    staff of their department and the departments below it, never a citizen or a service account.
    Anyone else: nobody.
    """
    if user.role in (Role.ADMIN, Role.EXECUTIVE):
        return queryset
    if user.role == Role.MANAGER and user.department_id is not None and _department_subtree_ids is not None:
        subtree = _department_subtree_ids(user.department_id)
        return queryset.filter(role__in=STAFF_ROLES, department_id__in=subtree)
    return queryset.none()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    ordering = ["id"]
    list_display = ["id", "full_name", "email", "phone", "role", "department", "is_active", "last_login"]
    list_filter = ["role", "is_active", "department"]
    list_select_related = ["department"]
    search_fields = ["full_name", "email", "phone"]
    readonly_fields = ["last_login", "date_joined", "role_groups"]
    fieldsets = [
        (None, {"fields": ["email", "phone", "password"]}),
        (_("Profile"), {"fields": ["full_name", "preferred_language"]}),
        (_("Role"), {"fields": ["role", "department", "is_active", "role_groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "phone",
                    "full_name",
                    "role",
                    "department",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]
    filter_horizontal: list = []
    actions = ["deactivate_users", "send_password_reset"]

    def get_queryset(self, request):
        return users_visible_in_admin(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None) -> bool:
        # Executives read; they never change (even if a group were given change_user by mistake).
        if request.user.role == Role.EXECUTIVE:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Accounts are deactivated, never deleted: their complaints, events and audit trail stay.
        return False

    @admin.display(description=_("groups (follow the role)"))
    def role_groups(self, obj: User) -> str:
        return ", ".join(group.name for group in obj.groups.all()) or "-"

    @admin.action(description=_("Deactivate selected users (their sign-ins stop at once)"), permissions=["change"])
    def deactivate_users(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                services.user_deactivate(user=user, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.ERROR)
        self.message_user(request, _("%(count)d user(s) deactivated.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Send a password reset link"), permissions=["change"])
    def send_password_reset(self, request, queryset):
        for user in queryset:
            try:
                channel = services.user_send_password_reset(
                    user=user, actor=request.user, base_url=request.build_absolute_uri("/")
                )
                self.message_user(request, f"{user}: reset link sent by {channel}.", messages.SUCCESS)
            except (DomainError, ValidationError) as exc:
                text = exc.message if isinstance(exc, DomainError) else "; ".join(exc.messages)
                self.message_user(request, f"{user}: {text}", messages.ERROR)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created here (the secret is shown once, in a message) and revoked, never deleted,
    so the record of who had access stays."""

    form = ApiKeyAdminForm
    list_display = ["name", "prefix", "owner", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["owner"]
    search_fields = ["name", "prefix", "owner__email"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_keys"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "owner", "scopes"]
        return ["name", "owner", "scopes", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "owner"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "scopes"])
            return
        key, plaintext = services.api_key_create(
            name=form.cleaned_data["name"], owner=form.cleaned_data["owner"], scopes=form.cleaned_data["scopes"]
        )
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._state.adding = False
        self.message_user(
            request,
            _("Copy the key now, it will not be shown again: %(key)s") % {"key": plaintext},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke_keys(self, request, queryset):
        for key in queryset:
            services.api_key_revoke(api_key=key, actor=request.user)
        self.message_user(request, _("%(count)d key(s) revoked.") % {"count": len(queryset)}, messages.SUCCESS)
