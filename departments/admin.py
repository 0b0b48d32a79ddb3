from django.contrib import admin

from departments.models import Department


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
