"""The real URLs plus one probe view guarded by an API-key scope, for the permission tests."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasApiKeyScope
from grievance.urls import urlpatterns as real_urlpatterns


class IntakeProbe(APIView):
    permission_classes = [HasApiKeyScope.with_scope("intake")]

    def get(self, request):
        return Response({"user": request.user.pk, "key": request.auth.prefix})


urlpatterns = [path("probe/intake/", IntakeProbe.as_view()), *real_urlpatterns]
