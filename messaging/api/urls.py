from django.urls import path

from messaging import views
from messaging.api.views import ChannelStatusView, ComplaintMessagesView

urlpatterns = [
    path("channels/status/", ChannelStatusView.as_view(), name="messaging-channel-status"),
    path("channels/<str:channel>/webhook/", views.webhook, name="messaging-webhook"),
    path("complaints/<str:complaint>/messages/", ComplaintMessagesView.as_view(), name="complaint-messages"),
]
