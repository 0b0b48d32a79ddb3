from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("analytics/", views.dashboard, name="dashboard"),
    path("performance/", views.public_performance, name="public"),
]
