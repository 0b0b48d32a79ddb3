"""The inbox page at /notifications/ (the API is /api/v1/notifications/): the same inbox, read and
marked through the same services."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, ListView

from notifications import services as notifications
from notifications.forms import PreferencesForm


class NotificationListView(LoginRequiredMixin, ListView):
    """The signed-in person's notifications, newest first (the same inbox the API serves)."""

    template_name = "notifications/inbox.html"
    context_object_name = "notifications"
    paginate_by = 20

    def get_queryset(self):
        return notifications.inbox(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unread_count"] = notifications.unread_count(self.request.user)
        return context


class NotificationsMarkAllReadView(LoginRequiredMixin, View):
    """POST only (with the CSRF token): mark every notification read, back to the list."""

    http_method_names = ["post"]

    def post(self, request):
        marked = notifications.notifications_mark_all_read(user=request.user)
        if marked:
            messages.success(request, ngettext("%(count)d notification marked as read.",
                                               "%(count)d notifications marked as read.", marked) % {"count": marked})
        return redirect("notifications:list")


class PreferencesView(LoginRequiredMixin, FormView):
    """What a person wants besides the inbox: text messages, email, chat apps (the same switches as
    `GET/PATCH /api/v1/notifications/preferences/`)."""

    template_name = "notifications/preferences.html"
    form_class = PreferencesForm

    def get_initial(self):
        preference = notifications.preferences_for(self.request.user)
        return {
            "sms_enabled": preference.sms_enabled,
            "email_enabled": preference.email_enabled,
            "chat_enabled": preference.chat_enabled,
        }

    def form_valid(self, form):
        notifications.preferences_update(user=self.request.user, **form.cleaned_data)
        messages.success(self.request, _("Your choices are saved."))
        return redirect("notifications:preferences")
