"""The v1 API: each app contributes its own urls module; names live in the "api" namespace."""

from django.urls import include, path

from grievance.views import ApiRootView

# Complaints first: URL resolution tries patterns in order, and the mobile app's hottest calls are
# complaint list, detail and create (the prefixes do not overlap, so order changes nothing else).
urlpatterns = [
    path("", include("complaints.api.urls")),
    path("", ApiRootView.as_view(), name="root"),
    path("", include("accounts.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("departments.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("analytics.api.urls")),
]
