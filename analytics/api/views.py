"""Analytics endpoints: validate the filters, call one selector with the reader's scope, return it."""

from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import exports, selectors, xlsx
from analytics.api import serializers as s
from analytics.api.permissions import CanReadAnalytics
from analytics.models import ExportJob

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _csv_response(filename: str, header, rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ComplaintsCsvView(APIView):
    permission_classes = [CanReadAnalytics]

    @extend_schema(
        parameters=[s.FiltersSerializer],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="CSV of the complaints filed in the period that you may see (streamed, any size)",
    )
    def get(self, request):
        params = s.FiltersSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.filters()
        header, rows = exports.complaint_rows(selectors.Scope.for_user(request.user), filters)
        return _csv_response(f"complaints-{filters.since}-{filters.until}.csv", header, rows)


class TableCsvView(APIView):
    permission_classes = [CanReadAnalytics]

    @extend_schema(
        parameters=[
            s.TrendFiltersSerializer,
            OpenApiParameter("table", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(exports.TABLES)),
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="CSV of one KPI table (kpis, trends, team, wards, rankings)",
    )
    def get(self, request, table: str):
        if table not in exports.TABLES:
            raise NotFound(f"No such table; choose one of {', '.join(exports.TABLES)}.")
        params = s.TrendFiltersSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.filters()
        scope = selectors.Scope.for_user(request.user)
        if table == "trends":
            header, rows = exports.TABLES[table](scope, filters, params.validated_data["granularity"])
        else:
            header, rows = exports.TABLES[table](scope, filters)
        return _csv_response(f"{table}-{filters.since}-{filters.until}.csv", header, rows)


# --- XLSX exports, built in the background ------------------------------------------------------
def _own_job(request, pk) -> ExportJob:
    """The requester's own job; anyone else's (even an admin's view of it) is a 404."""
    job = ExportJob.objects.filter(pk=pk, requested_by=request.user).first()
    if job is None:
        raise NotFound("No such export.")
    return job


class XlsxExportView(APIView):
    permission_classes = [CanReadAnalytics]

    @extend_schema(
        request=s.ExportRequestSerializer,
        responses={202: s.ExportJobSerializer},
        summary="Ask for an XLSX export of complaints or a KPI table, built in the background",
        description=(
            "Returns at once with the job's status URL; poll it until `status` is `ready`, then fetch "
            "`download_url`. The rows are those you may see, as in the CSV exports. Only you may read "
            "the job and download its file."
        ),
    )
    def post(self, request):
        params = s.ExportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        job = xlsx.export_request(
            user=request.user,
            table=params.validated_data["table"],
            filters=params.filters(),
            granularity=params.validated_data["granularity"],
        )
        return Response(s.ExportJobSerializer(job, context={"request": request}).data, status=202)


class XlsxExportStatusView(APIView):
    permission_classes = [CanReadAnalytics]

    @extend_schema(responses=s.ExportJobSerializer, summary="The status of one of your XLSX exports")
    def get(self, request, pk):
        return Response(s.ExportJobSerializer(_own_job(request, pk), context={"request": request}).data)


class XlsxExportDownloadView(APIView):
    permission_classes = [CanReadAnalytics]

    @extend_schema(
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            409: OpenApiTypes.OBJECT,
        },
        summary="Download one of your XLSX exports once it is ready",
    )
    def get(self, request, pk):
        job = _own_job(request, pk)
        if job.status != ExportJob.Status.READY:
            return Response({"detail": f"The export is not ready ({job.status})."}, status=409)
        return FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=xlsx.download_name(job),
            content_type=XLSX_CONTENT_TYPE,
        )
