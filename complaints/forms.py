"""Forms for the citizen pages. They check the shape of the input; services decide the rest."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from complaints.attachments import clean_upload
from complaints.models import Status
from departments.models import Category
from grievance.errors import DomainError


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one `<input type="file" multiple>` (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        accept = "image/jpeg,image/png,image/webp,application/pdf"
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def messages_for(required: str = "", max_length: str = "", **others: str) -> dict:
    """Plain error messages (GOV.UK style: say what to do, not what went wrong)."""
    messages = {key: value for key, value in {"required": required, "max_length": max_length}.items() if value}
    messages.update(others)
    return messages


class ComplaintForm(forms.Form):
    # Where the error summary sends the citizen for problems with the (hidden) pin fields.
    error_anchors = {"latitude": "location", "longitude": "location"}
    error_anchor = "complaint-form"

    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True, parent__isnull=True),
        empty_label=_("Choose a category"),
        error_messages=messages_for(_("Choose a category"), invalid_choice=_("Choose a category from the list")),
    )
    subcategory = forms.ModelChoiceField(
        label=_("Subcategory"),
        queryset=Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True),
        required=False,
        empty_label=_("Not sure / none of these"),
        help_text=_("It must belong to the category you chose."),
        error_messages=messages_for(invalid_choice=_("Choose a subcategory from the list, or “Not sure”")),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("A few words, e.g. “Streetlight out on MG Road”."),
        error_messages=messages_for(_("Enter a title"), _("Title must be 200 characters or fewer")),
    )
    description = forms.CharField(
        label=_("What is the problem?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Since when, and how it affects you."),
        error_messages=messages_for(_("Describe the problem"), _("Description must be 5,000 characters or fewer")),
    )
    # The pin: set by the map or "use my location" (location.js); hidden, never typed.
    latitude = forms.DecimalField(
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-90),
        max_value=Decimal(90),
        widget=forms.HiddenInput,
        error_messages=messages_for(
            invalid=_("The pin is not on the map: set it again"),
            min_value=_("The pin is not on the map: set it again"),
            max_value=_("The pin is not on the map: set it again"),
            max_digits=_("The pin is not on the map: set it again"),
            max_decimal_places=_("The pin is not on the map: set it again"),
        ),
    )
    longitude = forms.DecimalField(
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal(-180),
        max_value=Decimal(180),
        widget=forms.HiddenInput,
        error_messages=messages_for(
            invalid=_("The pin is not on the map: set it again"),
            min_value=_("The pin is not on the map: set it again"),
            max_value=_("The pin is not on the map: set it again"),
            max_digits=_("The pin is not on the map: set it again"),
            max_decimal_places=_("The pin is not on the map: set it again"),
        ),
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        max_length=300,
        required=False,
        help_text=_("E.g. “Opposite the Sector 9 market gate”. Needed when there is no pin."),
        error_messages=messages_for(max_length=_("Address must be 300 characters or fewer")),
    )
    ward = forms.CharField(
        label=_("Ward"),
        max_length=60,
        required=False,
        error_messages=messages_for(max_length=_("Ward must be 60 characters or fewer")),
    )
    files = MultipleFileField(
        label=_("Photos or documents"),
        required=False,
        help_text=_("Up to %(count)d JPEG, PNG or WebP photos or PDF documents.")
        % {"count": settings.COMPLAINT_MAX_ATTACHMENTS},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = get_language()
        categories = list(self.fields["category"].queryset)
        self.fields["category"].widget.choices = [("", self.fields["category"].empty_label)] + [
            (c.pk, c.localized_name(language)) for c in categories
        ]
        # Subcategories grouped under their category (an <optgroup> each), so the choice reads right
        # without JavaScript; the pairing is still checked in clean().
        groups: dict[int, list[tuple[int, str]]] = {}
        for sub in self.fields["subcategory"].queryset.order_by("ordering", "name", "id"):
            groups.setdefault(sub.parent_id, []).append((sub.pk, sub.localized_name(language)))
        self.fields["subcategory"].widget.choices = [("", self.fields["subcategory"].empty_label)] + [
            (c.localized_name(language), groups[c.pk]) for c in categories if c.pk in groups
        ]

    def clean_files(self) -> list:
        uploads = self.cleaned_data.get("files") or []
        limit = settings.COMPLAINT_MAX_ATTACHMENTS
        if len(uploads) > limit:
            raise ValidationError(
                ngettext("Attach at most %(count)d file.", "Attach at most %(count)d files.", limit) % {"count": limit}
            )
        # Every file is checked before anything is created, so a bad one never leaves half a complaint.
        errors = []
        for upload in uploads:
            try:
                clean_upload(upload)
            except ValidationError as exc:
                errors.extend(f"{upload.name}: {message}" for message in exc.messages)
            except DomainError as exc:
                errors.append(f"{upload.name}: {exc.message}")
            finally:
                upload.seek(0)
        if errors:
            raise ValidationError(errors)
        return uploads

    # The category/subcategory pair, "both coordinates or neither" and "a pin or an address" are
    # complaint_create's rules (services.core); the page shows its ValidationError next to the field.


class CommentForm(forms.Form):
    error_anchor = "comment-form"
    body = forms.CharField(
        label=_("Your comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=messages_for(_("Enter your comment"), _("Comment must be 5,000 characters or fewer")),
    )


class CloseForm(forms.Form):
    error_anchor = "close-form"
    rating = forms.TypedChoiceField(
        error_messages=messages_for(_("Choose a rating from 1 to 5"), invalid_choice=_("Choose a rating from 1 to 5")),
        label=_("How well was it resolved?"),
        coerce=int,
        choices=[(n, n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        help_text=_("5 is best, 1 is worst."),
    )
    comment = forms.CharField(
        label=_("Anything to add?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=messages_for(max_length=_("Comment must be 2,000 characters or fewer")),
    )


class ReopenForm(forms.Form):
    error_anchor = "reopen-form"
    reason = forms.CharField(
        label=_("Why is it not resolved?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=messages_for(
            _("Say why the problem is not resolved"), _("Reason must be 5,000 characters or fewer")
        ),
    )


class EscalationRequestForm(forms.Form):
    error_anchor = "escalation-form"
    reason = forms.CharField(
        label=_("Why should a senior officer look at it?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=messages_for(
            _("Say why a senior officer should look at it"), _("Reason must be 5,000 characters or fewer")
        ),
    )


class TrackForm(forms.Form):
    reference = forms.RegexField(
        label=_("Complaint reference"),
        regex=r"^\s*[A-Za-z]{3}-\d{4}-\d{1,10}\s*$",
        max_length=24,
        help_text=_("As on your receipt, e.g. GRV-2026-000123."),
        error_messages=messages_for(
            _("Enter the complaint reference"),
            _("Enter a reference like GRV-2026-000123"),
            invalid=_("Enter a reference like GRV-2026-000123"),
        ),
    )

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


class NearbyForm(forms.Form):
    """The filing page's question "what is already reported around this pin?"."""

    lat = forms.DecimalField(min_value=Decimal(-90), max_value=Decimal(90), max_digits=9, decimal_places=6)
    lng = forms.DecimalField(min_value=Decimal(-180), max_value=Decimal(180), max_digits=9, decimal_places=6)
    category = forms.ModelChoiceField(queryset=Category.objects.filter(is_active=True, parent__isnull=True))
    subcategory = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True, parent__isnull=False), required=False
    )


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses"))] + list(Status.choices)
    )
