"""Project-level endpoints: health and the API root."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.urls import NoReverseMatch
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from grievance.celery import app as celery_app

logger = logging.getLogger(__name__)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    cache.set("health:probe", "1", timeout=5)
    if cache.get("health:probe") != "1":
        raise RuntimeError("cache did not return the value it was given")
    return "ok"


def _check_broker() -> str:
    if celery_app.conf.task_always_eager:
        return "eager"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


@never_cache
@require_GET
def health(request):
    """200 with each component's state, or 503 naming the components that are down. No auth."""
    components: dict[str, str] = {}
    down: list[str] = []
    for name, check in CHECKS.items():
        try:
            components[name] = check()
        except Exception as exc:  # any failure of a dependency is a "down", never a 500
            logger.warning("health check %s failed: %s", name, exc)
            components[name] = "down"
            down.append(name)
    body = {"status": "ok" if not down else "down", "components": components}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)


class ApiRootView(APIView):
    """Entry points of the v1 API."""

    permission_classes = [AllowAny]

    # Top-level resources by URL name; a name not (yet) routed is left out rather than breaking the root.
    RESOURCES = {
        "auth": {
            "token": "token",
            "refresh": "token-refresh",
            "logout": "logout",
            "me": "me",
            "otp_request": "otp-request",
            "otp_verify": "otp-verify",
        },
        "users": "user-list",
        "departments": "department-list",
        "categories": "category-list",
        "closure_reasons": "closure-reason-list",
        "sla_policies": "sla-policy-list",
        "complaints": "complaint-list",
        "nearby_complaints": "complaint-nearby",
        "escalations": "escalation-list",
        "notifications": "notification-list",
        "notices": "notice-list",
        "ai_intake": "ai-intake",
    }

    @extend_schema(exclude=True)
    def get(self, request, format=None):
        def links(spec: dict) -> dict:
            out = {}
            for key, value in spec.items():
                if isinstance(value, dict):
                    out[key] = links(value)
                    continue
                try:
                    out[key] = reverse(f"api:{value}", request=request, format=format)
                except NoReverseMatch:
                    continue
            return out

        return Response(
            {
                **links(self.RESOURCES),
                "track": request.build_absolute_uri("/api/v1/track/") + "{reference}/",
                "schema": reverse("schema", request=request),
                "docs": reverse("swagger-ui", request=request),
                "redoc": reverse("redoc", request=request),
                "health": reverse("health", request=request),
            }
        )
