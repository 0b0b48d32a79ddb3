from django.urls import path
from rest_framework.routers import SimpleRouter

from complaints.api.escalation_views import EscalationRequestViewSet
from complaints.api.notice_views import NoticeViewSet
from complaints.api.views import AiIntakeView, ComplaintViewSet, TrackView

router = SimpleRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("escalations", EscalationRequestViewSet, basename="escalation-request")
router.register("notices", NoticeViewSet, basename="notice")

urlpatterns = [
    path("track/<str:reference>/", TrackView.as_view(), name="track"),
    path("internal/ai/complaints/", AiIntakeView.as_view(), name="ai-intake"),
    *router.urls,
]
