from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from grievance.admin import admin_index
from grievance.views import health

urlpatterns = [
    # First: the mobile app's calls are most of the traffic, and resolving tries patterns in order.
    path("api/v1/", include(("grievance.api.urls", "api"), namespace="api")),
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("complaints.urls")),  # /complaints/... and /track/...
    path("", include("analytics.urls")),  # /analytics/ (staff dashboard) and /performance/ (public)
    path("health", health, name="health"),
    # The admin index with the person's dashboard; every other admin page is admin.site's own.
    path("admin/", admin_index),
    path("admin/", admin.site.urls),
    path("open311/v2/", include("open311.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start-up script is served from a URL (the split view), so the page needs no
    # inline script; Redoc renders in a web worker it builds from a blob: URL.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        csp_update({"worker-src": ["'self'", "blob:"]})(SpectacularRedocView.as_view(url_name="schema")),
        name="redoc",
    ),
]
