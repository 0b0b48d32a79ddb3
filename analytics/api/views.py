"""Analytics endpoints: validate the filters, call one selector with the reader's scope, return it."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.api import serializers as s
from analytics.api.permissions import CanReadAnalytics


class AnalyticsView(APIView):
    permission_classes = [CanReadAnalytics]
    filters_serializer = s.FiltersSerializer
    response_serializer: type = s.KpisSerializer

    def compute(self, scope: selectors.Scope, filters: selectors.Filters, params: dict) -> dict:
        raise NotImplementedError

    def get(self, request):
        params = self.filters_serializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        result = self.compute(selectors.Scope.for_user(request.user), params.filters(), params.validated_data)
        return Response(self.response_serializer(result).data)


class KpisView(AnalyticsView):
    @extend_schema(
        parameters=[s.FiltersSerializer],
        responses=s.KpisSerializer,
        summary="Key figures for a period and scope",
        description=(
            "Flows in the period (received, resolved, ...; from the daily summaries), figures now (open, "
            "overdue, backlog by age) and the median and 90th percentile of time to first action and to "
            "resolution (from raw complaints). Officers and managers see their department's subtree."
        ),
    )
    def get(self, request):
        return super().get(request)

    def compute(self, scope, filters, params):
        return selectors.kpis(scope, filters)


class TrendsView(AnalyticsView):
    filters_serializer = s.TrendFiltersSerializer
    response_serializer = s.TrendsSerializer

    @extend_schema(
        parameters=[s.TrendFiltersSerializer],
        responses=s.TrendsSerializer,
        summary="Figures by day, week or month, with the previous period",
    )
    def get(self, request):
        return super().get(request)

    def compute(self, scope, filters, params):
        return selectors.trends(scope, filters, params["granularity"])


class TeamView(AnalyticsView):
    response_serializer = s.TeamSerializer

    @extend_schema(
        parameters=[s.FiltersSerializer],
        responses=s.TeamSerializer,
        summary="Team performance per department and per officer",
    )
    def get(self, request):
        return super().get(request)

    def compute(self, scope, filters, params):
        return selectors.team(scope, filters)


class HeatmapView(AnalyticsView):
    response_serializer = s.HeatmapSerializer

    @extend_schema(
        parameters=[s.FiltersSerializer],
        responses=s.HeatmapSerializer,
        summary="Complaints received by map cell and by ward",
    )
    def get(self, request):
        return super().get(request)

    def compute(self, scope, filters, params):
        return selectors.heatmap(scope, filters)


class RankingsView(AnalyticsView):
    response_serializer = s.RankingsSerializer

    @extend_schema(
        parameters=[s.FiltersSerializer],
        responses=s.RankingsSerializer,
        summary="Departments ranked on SLA compliance and satisfaction, with sample sizes",
        description=selectors.RANKING_METHOD,
    )
    def get(self, request):
        return super().get(request)

    def compute(self, scope, filters, params):
        return selectors.rankings(scope, filters)
