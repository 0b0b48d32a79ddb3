"""/api/v1/notifications/: the inbox and the channel preferences."""

from rest_framework.routers import SimpleRouter

from notifications.api.views import NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
