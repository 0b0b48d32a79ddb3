"""Any write to reference data clears the reference cache (admin, API, seed, shell alike)."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from departments.cache import invalidate_reference_cache
from departments.models import Category, ClosureReason, Department, EscalationStep, SLAPolicy


def _invalidate(sender, **kwargs) -> None:
    invalidate_reference_cache()


def connect() -> None:
    for model in (Department, EscalationStep, Category, ClosureReason, SLAPolicy):
        post_save.connect(_invalidate, sender=model, dispatch_uid=f"departments-cache-save-{model.__name__}")
        post_delete.connect(_invalidate, sender=model, dispatch_uid=f"departments-cache-delete-{model.__name__}")
    # Deleting a user empties Department.manager with an UPDATE that sends no signal of its own.
    post_delete.connect(_invalidate, sender=settings.AUTH_USER_MODEL, dispatch_uid="departments-cache-delete-user")
