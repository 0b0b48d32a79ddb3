"""The inbox page at /notifications/ (the API is /api/v1/notifications/): the same inbox, read and
marked through the same services."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import ListView

from notifications import services as notifications


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
