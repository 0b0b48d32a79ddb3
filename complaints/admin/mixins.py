"""Shared back-office pieces: per-row actions with an intermediate form, read-only inlines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from grievance.errors import DomainError


def error_text(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# --- read-only inlines: the timeline, the conversation, the escalation history ----------------
class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- actions that report per row and may ask for input first ------------------------------------
class RowActionsMixin:
    """Admin actions that call a service once per selected row, catch its domain and validation
    errors, and report every row ("GRV-2026-000012: resolved"). Actions that need input (a note, an
    assignee) first show an intermediate form (ACTION_FORM_TEMPLATE), then run on the same rows."""

    def row_label(self, obj) -> str:
        return str(obj)

    def row_name(self, obj) -> str:
        return str(obj)

    def _run_each(self, request, queryset, *, done: str, operation: Callable[[Any], Any]) -> None:
        """Apply `operation` row by row (each its own transaction in the service) and report each row."""
        for obj in queryset.order_by("pk"):
            try:
                operation(obj)
            except (DomainError, ValidationError) as exc:
                self.message_user(request, f"{self.row_name(obj)}: {error_text(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"{self.row_name(obj)}: {done}", messages.SUCCESS)

    def _after(self, request, queryset) -> HttpResponse | None:
        # From the change page (one complaint), go back to it; from the list, back to the list.
        if request.POST.get("_return_to_change"):
            pks = list(queryset.values_list("pk", flat=True)[:2])
            if len(pks) == 1:
                info = self.opts.app_label, self.opts.model_name
                return HttpResponseRedirect(reverse("admin:{}_{}_change".format(*info), args=[pks[0]]))
        return None

    def _form_action(
        self,
        request,
        queryset,
        *,
        name: str,
        title: str,
        form_class,
        done: str,
        apply: Callable[[Any, dict], Any],
        form_kwargs: dict | None = None,
    ) -> HttpResponse | None:
        """An action that needs input: show the intermediate form, then run it on every selected row."""
        form_kwargs = form_kwargs or {}
        if "apply" in request.POST:
            form = form_class(request.POST, **form_kwargs)
            if form.is_valid():
                rows = list(queryset.order_by("pk")[:2])
                if len(rows) != 1:
                    self._run_each(request, queryset, done=done, operation=lambda c: apply(c, form.cleaned_data))
                    return self._after(request, queryset)
                # One row (e.g. from its page): a refusal comes back on the form, everything typed kept.
                try:
                    apply(rows[0], form.cleaned_data)
                except (DomainError, ValidationError) as exc:
                    self._errors_to_form(form, exc)
                else:
                    self.message_user(request, f"{self.row_name(rows[0])}: {done}", messages.SUCCESS)
                    return self._after(request, queryset)
        else:
            form = form_class(**form_kwargs)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "targets": [(obj.pk, self.row_label(obj)) for obj in queryset.order_by("pk")],
            "action_name": name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "return_to_change": request.POST.get("_return_to_change", ""),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, ACTION_FORM_TEMPLATE, context)

    @staticmethod
    def _errors_to_form(form, exc: Exception) -> None:
        """A service's refusal as form errors: on the field it names when the form has it, else on top."""
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return
        form.add_error(None, error_text(exc))


ACTION_FORM_TEMPLATE = "admin/complaints/action_form.html"
