"""Input forms of the back-office actions (the intermediate pages) and of the comment box.

They only collect and check input; the complaint admin hands the cleaned data to the same service
functions the API calls, which own the rules (workflow, roles, who may be assigned).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import DEPARTMENT_ROLES, User
from complaints.models import Complaint, Notice
from departments.models import Category, ClosureReason, Department, Priority
from departments.selectors import department_ancestor_ids
from grievance.filters import parse_id


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        department = obj.department.name if obj.department_id else _("no department")
        return f"{obj} ({obj.get_role_display()}, {department})"


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return obj.path or obj.name


def _staff_queryset():
    return (
        User.objects.filter(role__in=DEPARTMENT_ROLES, is_active=True)
        .select_related("department")
        .order_by("department__path", "full_name", "id")
    )


def assignees_for(department: Department | int | None):
    """The people a complaint of `department` may be given to: officers and managers of that
    department or of one above it (whose subtree holds it), the rule `validate_assignee` enforces.
    No department: nobody (a complaint is routed before it is assigned)."""
    if department is None:
        return _staff_queryset().none()
    return _staff_queryset().filter(department_id__in=department_ancestor_ids(department))


class TriageForm(forms.Form):
    """Department first (defaulting to the complaint's current one), then an assignee from that
    department. The assignee choices follow the department on the server, for the page as shown
    and for the posted form, so an invalid pick comes back as a field error with everything else
    typed kept; a small script (static/js/backoffice.js) refreshes them when the department changes."""

    department = DepartmentChoiceField(queryset=Department.objects.filter(is_active=True), label=_("Department"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True, parent__isnull=True),
        required=False,
        label=_("Category"),
        help_text=_("Leave empty to keep the complaint's category."),
    )
    subcategory = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent"),
        required=False,
        label=_("Subcategory"),
    )
    priority = forms.ChoiceField(
        choices=[("", _("keep as it is")), *Priority.choices], required=False, label=_("Priority")
    )
    assignee = StaffChoiceField(
        queryset=_staff_queryset(),
        required=False,
        label=_("Assignee"),
        help_text=_("Officers and managers who work on the chosen department."),
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

    def __init__(self, *args, current_department: Department | None = None, assignees_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if current_department is not None:
            self.fields["department"].initial = current_department.pk
        chosen = self._chosen_department(current_department)
        self.fields["assignee"].queryset = assignees_for(chosen)
        if assignees_url:
            self.fields["department"].widget.attrs["data-assignees-url"] = assignees_url

    def _chosen_department(self, current: Department | None) -> int | None:
        if not self.is_bound:
            return current.pk if current is not None else None
        department_id = parse_id(self.data.get(self.add_prefix("department")) or "")
        if department_id is None or not Department.objects.filter(pk=department_id, is_active=True).exists():
            return None
        return department_id

    def clean(self):
        data = super().clean()
        if data.get("subcategory") and not data.get("category"):
            self.add_error("category", _("Choose the category the subcategory belongs to."))
        return data


class AssignForm(forms.Form):
    """The people of the complaints' department when they share one (else anyone on the staff; the
    service checks each row)."""

    assignee = StaffChoiceField(queryset=_staff_queryset(), label=_("Assignee"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

    def __init__(self, *args, department: Department | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if department is not None:
            self.fields["assignee"].queryset = assignees_for(department)


class ResolveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        label=_("resolution note"),
        help_text=_("Tells the citizen what was done."),
    )


class EscalateForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label=_("reason"))


class RejectForm(forms.Form):
    closure_reason = forms.ModelChoiceField(
        queryset=ClosureReason.objects.filter(is_active=True), label=_("closure reason")
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)


class DuplicateForm(forms.Form):
    """The original is picked from the open complaints of the same kind nearby (when the complaint
    has a pin), or named by its reference."""

    candidate = forms.ChoiceField(
        required=False,
        widget=forms.RadioSelect,
        label=_("nearby open complaints"),
        help_text=_("Same category, close to this one, nearest first."),
    )
    original = forms.CharField(
        max_length=20,
        required=False,
        label=_("or its reference"),
        help_text=_("Reference of the complaint it duplicates, e.g. GRV-2026-000012."),
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

    def __init__(self, *args, user: User, candidates: list[Complaint] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.candidates = {str(c.pk): c for c in candidates or []}
        if self.candidates:
            self.fields["candidate"].choices = [
                (pk, f"{c.reference} {c.title} ({round(getattr(c, 'distance_m', 0))} m)")
                for pk, c in self.candidates.items()
            ]
        else:
            del self.fields["candidate"]
            self.fields["original"].label = _("original complaint")

    def clean_original(self) -> Complaint | None:
        reference = self.cleaned_data["original"].strip().upper()
        if not reference:
            return None
        # Only a complaint the person can see may be named, so the form never confirms that others exist.
        original = Complaint.objects.visible_to(self.user).filter(reference=reference).first()
        if original is None:
            raise forms.ValidationError(_("No complaint with this reference."))
        return original

    def clean(self):
        data = super().clean()
        candidate = self.candidates.get(data.get("candidate") or "")
        if data.get("original") is None and "original" not in self.errors:
            if candidate is None:
                self.add_error(
                    "original",
                    _("Choose a nearby complaint or enter the reference of the original.")
                    if self.candidates
                    else _("Enter the reference of the original complaint."),
                )
            else:
                data["original"] = candidate
        return data


class DecisionForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label=_("comment"))
    is_internal = forms.TypedChoiceField(
        choices=[("0", _("Public reply (the citizen sees it)")), ("1", _("Internal note (staff only)"))],
        coerce=lambda value: value == "1",
        initial="1",
        widget=forms.RadioSelect,
        label=_("visibility"),
    )


class RejectRequestForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label=_("why the request is rejected")
    )


class NoticeAdminForm(forms.ModelForm):
    """A draft notice. The audience rules are the service's own (`complaints.notices`), run here too
    so a bad combination comes back as field errors on the form rather than a failed save."""

    class Meta:
        model = Notice
        fields = [
            "department",
            "title",
            "body",
            "audience",
            "categories",
            "ward",
            "latitude",
            "longitude",
            "radius_m",
            "lookback_days",
        ]

    def clean(self):
        data = super().clean()
        from complaints import notices

        draft = Notice(**{name: data.get(name) for name in self.Meta.fields if name != "categories"})
        draft.ward = draft.ward or ""
        draft.lookback_days = draft.lookback_days or 0
        try:
            notices.validate_audience(draft)
        except forms.ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data
