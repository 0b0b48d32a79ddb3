from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.forms import StaffUserChangeForm, StaffUserCreationForm
from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    ordering = ["id"]
    list_display = ["id", "full_name", "email", "phone", "role", "department", "is_active", "last_login"]
    list_filter = ["role", "is_active", "department"]
    list_select_related = ["department"]
    search_fields = ["full_name", "email", "phone"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "phone", "password"]}),
        (_("Profile"), {"fields": ["full_name", "preferred_language"]}),
        (_("Role"), {"fields": ["role", "department", "is_active"]}),
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
