"""The admin index opens on the person's dashboard (see complaints.admin_dashboard)."""

from django.contrib import admin

from complaints.admin_dashboard import admin_dashboard


def dashboard_index(request, extra_context=None):
    context = {"dashboard": admin_dashboard(request.user), **(extra_context or {})}
    return admin.site.index(request, extra_context=context)


# Routed at /admin/ ahead of admin.site.urls (grievance/urls.py): the same login and staff checks.
admin_index = admin.site.admin_view(dashboard_index)
