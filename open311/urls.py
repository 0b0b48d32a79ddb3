"""GeoReport v2, mounted at /open311/v2/. Every resource takes a .xml or .json suffix."""

from django.urls import path, re_path

from open311 import views

app_name = "open311"

FORMAT = r"(?:\.(?P<format>xml|json))?"
CODE = r"(?P<service_code>[^/.]+)"

urlpatterns = [
    path("", views.DiscoveryView.as_view(), name="root"),
    re_path(rf"^discovery{FORMAT}$", views.DiscoveryView.as_view(), name="discovery"),
    re_path(rf"^services{FORMAT}$", views.ServiceListView.as_view(), name="services"),
    re_path(rf"^services/{CODE}{FORMAT}$", views.ServiceDefinitionView.as_view(), name="service-definition"),
    re_path(rf"^requests{FORMAT}$", views.RequestListView.as_view(), name="requests"),
    re_path(rf"^requests/(?P<service_request_id>[^/.]+){FORMAT}$", views.RequestDetailView.as_view(), name="request"),
    re_path(rf"^tokens/(?P<token>[^/.]+){FORMAT}$", views.TokenView.as_view(), name="token"),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
