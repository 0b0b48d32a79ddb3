"""The admin index opens on the person's dashboard (see complaints.admin_dashboard)."""

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask

from complaints.admin_dashboard import admin_dashboard


def dashboard_index(request, extra_context=None):
    context = {"dashboard": admin_dashboard(request.user), **(extra_context or {})}
    return admin.site.index(request, extra_context=context)


# Routed at /admin/ ahead of admin.site.urls (grievance/urls.py): the same login and staff checks.
admin_index = admin.site.admin_view(dashboard_index)


# --- third-party admin pages held to our rule: every action declares its permission ---------------
def _with_permission(function, permission: str):
    """The same action, declaring the permission a role needs to be offered it."""

    def action(modeladmin, request, queryset):
        return function(modeladmin, request, queryset)

    action.__name__ = function.__name__
    action.short_description = getattr(function, "short_description", function.__name__)
    action.allowed_permissions = (permission,)
    return action


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    # Enabling, disabling or running scheduled tasks changes them: only who may change tasks.
    enable_tasks = _with_permission(beat_admin.PeriodicTaskAdmin.enable_tasks, "change")
    disable_tasks = _with_permission(beat_admin.PeriodicTaskAdmin.disable_tasks, "change")
    toggle_tasks = _with_permission(beat_admin.PeriodicTaskAdmin.toggle_tasks, "change")
    run_tasks = _with_permission(beat_admin.PeriodicTaskAdmin.run_tasks, "change")


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    # Deleting an attempt row is how an administrator unlocks an account before its cool-off ends.
    cleanup_expired_attempts = _with_permission(axes_admin.AccessAttemptAdmin.cleanup_expired_attempts, "delete")


class AuditOnlyMixin:
    """Sign-in records are the audit trail: read, never edited or deleted from the back office."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AccessLogAdmin(AuditOnlyMixin, axes_admin.AccessLogAdmin):
    pass


class AccessFailureLogAdmin(AuditOnlyMixin, axes_admin.AccessFailureLogAdmin):
    pass


for _model, _model_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, _model_admin)
