"""Server-rendered pages: the staff dashboard and the public performance page.

No inline scripts (a Content-Security-Policy forbids them): figures reach the page's JavaScript
through `json_script` tags, and the JavaScript lives in static files.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics import selectors
from analytics.api.permissions import may_read_analytics
from analytics.api.serializers import TrendFiltersSerializer
from complaints.models import Source
from departments.models import Category, Department, Priority

PUBLIC_PERIOD_DAYS = 90


def _departments_for(scope: selectors.Scope):
    qs = Department.objects.order_by("name")
    return qs if scope.department_ids is None else qs.filter(pk__in=scope.department_ids)


def dashboard(request):
    """The staff dashboard: KPIs, trends against the previous period, backlog, team, map, rankings."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not may_read_analytics(request.user):
        raise PermissionDenied("Analytics are for staff.")
    form = TrendFiltersSerializer(data={key: value for key, value in request.GET.items() if value})
    errors = None
    if not form.is_valid():
        errors = form.errors
        form = TrendFiltersSerializer(data={})
        form.is_valid()
    filters = form.filters()
    scope = selectors.Scope.for_user(request.user)
    granularity = form.validated_data["granularity"]
    kpis = selectors.kpis(scope, filters)
    trends = selectors.trends(scope, filters, granularity)
    heatmap = selectors.heatmap(scope, filters)
    chart_data = {
        "trend": {
            "labels": [point["period"].isoformat() for point in trends["current"]],
            "received": [point["received"] for point in trends["current"]],
            "resolved": [point["resolved"] for point in trends["current"]],
            "previous_received": [point["received"] for point in trends["previous"]],
        },
        "backlog": {
            "labels": [bucket["bucket"] for bucket in kpis["backlog_age"]],
            "counts": [bucket["count"] for bucket in kpis["backlog_age"]],
        },
    }
    map_data = {
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "cells": heatmap["cells"],
        "cell_degrees": heatmap["cell_degrees"],
    }
    context = {
        "filters": filters,
        "granularity": granularity,
        "errors": errors,
        "kpis": kpis,
        "trends": trends,
        "team": selectors.team(scope, filters),
        "heatmap": heatmap,
        "rankings": selectors.rankings(scope, filters),
        "chart_data": chart_data,
        "map_data": map_data,
        "departments": _departments_for(scope),
        "categories": Category.objects.filter(parent__isnull=True).order_by("name"),
        "sources": Source.choices,
        "priorities": Priority.choices,
        "granularities": selectors.GRANULARITIES,
        "export_query": request.GET.urlencode(),
    }
    context["ranking_tables"] = _ranking_tables(context["rankings"])
    return render(request, "analytics/dashboard.html", context)


def _ranking_tables(rankings: dict) -> list[tuple[str, str, list[dict]]]:
    return [
        ("sla", _("Resolved on time"), rankings["sla_compliance"]),
        ("satisfaction", _("Rated 4 or 5 by citizens"), rankings["satisfaction"]),
    ]


def public_performance(request):
    """The city's and each department's figures for the last 90 days: aggregates only, no login."""
    until = timezone.localdate()
    filters = selectors.Filters(since=until - dt.timedelta(days=PUBLIC_PERIOD_DAYS - 1), until=until)
    scope = selectors.Scope.public()
    rankings = selectors.rankings(scope, filters)
    context = {
        "filters": filters,
        "city": selectors.period_figures(scope, filters),
        "departments": selectors.department_figures(scope, filters),
        "rankings": rankings,
        "ranking_tables": _ranking_tables(rankings),
    }
    return render(request, "analytics/public.html", context)
