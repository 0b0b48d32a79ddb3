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


class TriageForm(forms.Form):
    department = DepartmentChoiceField(queryset=Department.objects.filter(is_active=True), label=_("department"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True, parent__isnull=True),
        required=False,
        label=_("category"),
        help_text=_("Leave empty to keep the complaint's category."),
    )
    subcategory = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent"),
        required=False,
        label=_("subcategory"),
    )
    priority = forms.ChoiceField(choices=[("", _("keep as it is")), *Priority.choices], required=False)
    assignee = StaffChoiceField(queryset=_staff_queryset(), required=False, label=_("assignee"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

    def clean(self):
        data = super().clean()
        if data.get("subcategory") and not data.get("category"):
            self.add_error("category", _("Choose the category the subcategory belongs to."))
        return data


class AssignForm(forms.Form):
    assignee = StaffChoiceField(queryset=_staff_queryset(), label=_("assignee"))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)


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
    original = forms.CharField(
        max_length=20, label=_("original complaint"), help_text=_("Reference of the complaint it duplicates.")
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_original(self) -> Complaint:
        reference = self.cleaned_data["original"].strip().upper()
        # Only a complaint the person can see may be named, so the form never confirms that others exist.
        original = Complaint.objects.visible_to(self.user).filter(reference=reference).first()
        if original is None:
            raise forms.ValidationError(_("No complaint with this reference."))
        return original


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
