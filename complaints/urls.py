"""Citizen pages (the API's URLs are in complaints/api/urls.py). Included at the site root."""

from django.urls import path

from complaints import views

app_name = "complaints"

REFERENCE = "<str:reference>"

urlpatterns = [
    path("complaints/", views.complaint_list, name="list"),
    path("complaints/new/", views.complaint_new, name="new"),
    path("complaints/nearby/", views.complaint_nearby, name="nearby"),
    path(f"complaints/{REFERENCE}/", views.complaint_detail, name="detail"),
    path(f"complaints/{REFERENCE}/comment/", views.complaint_comment, name="comment"),
    path(f"complaints/{REFERENCE}/close/", views.complaint_close, name="close"),
    path(f"complaints/{REFERENCE}/reopen/", views.complaint_reopen, name="reopen"),
    path(f"complaints/{REFERENCE}/escalation-request/", views.complaint_request_escalation, name="request-escalation"),
    path("track/", views.track, name="track"),
    path(f"track/{REFERENCE}/", views.track_detail, name="track-detail"),
    path(f"track/{REFERENCE}/support/", views.track_support, name="support"),
]
