from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, SetPasswordForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey, ApiKeyScope, User
from accounts.phones import normalize_phone


class StaffUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "phone", "full_name", "role", "department")


class StaffUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class ApiKeyAdminForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiKeyScope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ApiKey
        fields = ("name", "owner", "scopes")


def without_autofocus(form: forms.Form) -> None:
    """After an error the error summary takes focus (GOV.UK); a field's autofocus would steal it."""
    if form.is_bound:
        for field in form.fields.values():
            field.widget.attrs.pop("autofocus", None)


class PhoneLoginForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("We will send a 6-digit code to this number by SMS."),
        error_messages={
            "required": _("Enter your mobile number"),
            "max_length": _("Enter a mobile number like 98123 45678"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "autofocus": True}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        without_autofocus(self)

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except forms.ValidationError:
            raise forms.ValidationError(_("Enter a mobile number like 98123 45678"), code="invalid_phone") from None


class OtpCodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label=_("Code"),
        max_length=12,
        error_messages={
            "required": _("Enter the 6-digit code from the SMS"),
            "invalid": _("Enter the 6-digit code from the SMS"),
            "max_length": _("Enter the 6-digit code from the SMS"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
    full_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        help_text=_("Only needed the first time you sign in."),
        error_messages={"max_length": _("Name must be 150 characters or fewer")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        without_autofocus(self)


class ResetSetPasswordForm(SetPasswordForm):
    """Django's set-password form (validators included), saving through the accounts service."""

    def save(self, commit: bool = True):
        from accounts.services import user_set_password

        return user_set_password(user=self.user, password=self.cleaned_data["new_password1"])
