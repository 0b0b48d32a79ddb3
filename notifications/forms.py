"""The preferences page's form: one switch per channel besides the inbox (which cannot be switched off)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PreferencesForm(forms.Form):
    sms_enabled = forms.BooleanField(label=_("Text messages (SMS)"), required=False)
    email_enabled = forms.BooleanField(label=_("Email"), required=False)
    chat_enabled = forms.BooleanField(label=_("Chat apps (Telegram, WhatsApp)"), required=False)
