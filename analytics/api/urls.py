from django.urls import path

from analytics.api import views

urlpatterns = [
    path("analytics/kpis/", views.KpisView.as_view(), name="analytics-kpis"),
    path("analytics/trends/", views.TrendsView.as_view(), name="analytics-trends"),
    path("analytics/team/", views.TeamView.as_view(), name="analytics-team"),
    path("analytics/heatmap/", views.HeatmapView.as_view(), name="analytics-heatmap"),
    path("analytics/rankings/", views.RankingsView.as_view(), name="analytics-rankings"),
    path("analytics/exports/complaints.csv", views.ComplaintsCsvView.as_view(), name="analytics-export-complaints"),
    path("analytics/exports/<slug:table>.csv", views.TableCsvView.as_view(), name="analytics-export-table"),
    path("analytics/exports/xlsx/", views.XlsxExportView.as_view(), name="analytics-export-xlsx"),
    path(
        "analytics/exports/xlsx/<uuid:pk>/", views.XlsxExportStatusView.as_view(), name="analytics-export-xlsx-status"
    ),
    path(
        "analytics/exports/xlsx/<uuid:pk>/download/",
        views.XlsxExportDownloadView.as_view(),
        name="analytics-export-xlsx-download",
    ),
]
