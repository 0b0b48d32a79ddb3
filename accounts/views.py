"""Citizen sign-in pages: phone -> code -> Django session. Plain forms, no JavaScript needed.

The pages use the same OTP services as the API, so limits and rules are the same everywhere.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from accounts import services
from accounts.forms import OtpCodeForm, PhoneLoginForm, ResetSetPasswordForm
from grievance.client_address import client_address

SESSION_PHONE = "otp_login_phone"
SESSION_NEXT = "otp_login_next"
CODE_SENT = _("If this number can receive text messages, a 6-digit code is on its way. It works for 5 minutes.")


def _client_ip(request) -> str | None:
    return client_address(request)


def _safe_next(request, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


class PhoneLoginView(FormView):
    """Step 1: the citizen enters their phone number and gets a code by SMS."""

    template_name = "accounts/login.html"
    form_class = PhoneLoginForm

    def get_initial(self):
        return {"phone": self.request.session.get(SESSION_PHONE, "")}

    def form_valid(self, form):
        try:
            result = services.otp_request(phone=form.cleaned_data["phone"], ip=_client_ip(self.request))
        except services.RateLimited as exc:
            form.add_error(
                None,
                _("%(reason)s Try again in %(seconds)d seconds.") % {"reason": exc.message, "seconds": exc.retry_after},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        self.request.session[SESSION_PHONE] = result.phone
        next_url = _safe_next(self.request, self.request.POST.get("next") or self.request.GET.get("next"))
        if next_url:
            self.request.session[SESSION_NEXT] = next_url
        messages.info(self.request, CODE_SENT)
        return redirect("accounts:login-verify")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = _safe_next(self.request, self.request.GET.get("next")) or ""
        return context


class CodeVerifyView(FormView):
    """Step 2: the citizen types the code; the first success registers them."""

    template_name = "accounts/login_verify.html"
    form_class = OtpCodeForm

    def dispatch(self, request, *args, **kwargs):
        if not request.session.get(SESSION_PHONE):
            messages.info(request, _("Enter your mobile number first."))
            return redirect("accounts:login")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["phone"] = self.request.session[SESSION_PHONE]
        return context

    def form_valid(self, form):
        phone = self.request.session[SESSION_PHONE]
        try:
            user, created = services.otp_verify(
                phone=phone, code=form.cleaned_data["code"], full_name=form.cleaned_data["full_name"]
            )
        except services.OtpRejected as exc:
            form.add_error("code", exc.message)
            return self.form_invalid(form)
        next_url = self.request.session.pop(SESSION_NEXT, None)
        self.request.session.pop(SESSION_PHONE, None)
        remember_language_choice(self.request, user)
        login(self.request, user, backend="accounts.backends.PhoneOrEmailBackend")
        messages.success(self.request, _("Welcome! Your account is ready.") if created else _("You are signed in."))
        return redirect(_safe_next(self.request, next_url) or reverse("home"))


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule), so a link or an image cannot sign anyone out."""

    next_page = reverse_lazy("home")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Opened from the one-time link an admin sends; sets a new password with Django's validators."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetSetPasswordForm
    success_url = reverse_lazy("accounts:password-reset-complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@require_POST
def set_language(request):
    """The header's language switch: Django's `set_language` (language cookie, safe `next`), and
    for a signed-in person the choice is saved as their `preferred_language`, so it follows them
    to other devices and into their SMS and email."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language")
    if (
        request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and request.user.preferred_language != language
    ):
        with transaction.atomic():
            services.user_update(user=request.user, actor=request.user, data={"preferred_language": language})
    return response


def remember_language_choice(request, user) -> None:
    """On sign-in: a language the visitor chose before signing in becomes their saved one."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in dict(settings.LANGUAGES) and chosen != user.preferred_language:
        with transaction.atomic():
            services.user_update(user=user, actor=user, data={"preferred_language": chosen})
        user.preferred_language = chosen
