from django.urls import path
from rest_framework.routers import SimpleRouter

from messaging import views
from messaging.api.campaigns import CampaignViewSet
from messaging.api.views import ChannelStatusView, ComplaintMessagesView

router = SimpleRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")

urlpatterns = [
    path("channels/status/", ChannelStatusView.as_view(), name="messaging-channel-status"),
    path("channels/<str:channel>/webhook/", views.webhook, name="messaging-webhook"),
    path("complaints/<str:complaint>/messages/", ComplaintMessagesView.as_view(), name="complaint-messages"),
    *router.urls,
]
