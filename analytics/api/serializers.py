"""Query parameters and response shapes of the analytics API (the schema documents both)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from analytics.models import ExportJob
from analytics.selectors import GRANULARITIES, Filters
from analytics.xlsx import EXPORTABLE
from complaints.models import Source
from departments.models import Priority

# The longest period one request may cover: summaries make it cheap, raw medians less so.
MAX_PERIOD_DAYS = 3 * 366
DEFAULT_PERIOD_DAYS = 30


class FiltersSerializer(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="First day (local date). Default: 29 days before `until`.")
    until = serializers.DateField(required=False, help_text="Last day, inclusive (local date). Default: today.")
    department = serializers.IntegerField(
        required=False, min_value=1, help_text="A department id: it and every department below it."
    )
    category = serializers.IntegerField(required=False, min_value=1, help_text="A top-level category id.")
    ward = serializers.CharField(required=False, max_length=60)
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)

    def validate(self, attrs):
        until = attrs.get("until") or timezone.localdate()
        since = attrs.get("since") or until - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if since > until:
            raise serializers.ValidationError({"since": "The period starts after it ends."})
        if (until - since).days + 1 > MAX_PERIOD_DAYS:
            raise serializers.ValidationError({"since": f"A period is at most {MAX_PERIOD_DAYS} days."})
        attrs.update(since=since, until=until)
        return attrs

    def filters(self) -> Filters:
        data = self.validated_data
        return Filters(
            since=data["since"],
            until=data["until"],
            department=data.get("department"),
            category=data.get("category"),
            ward=data.get("ward", ""),
            source=data.get("source", ""),
            priority=data.get("priority", ""),
        )


class TrendFiltersSerializer(FiltersSerializer):
    granularity = serializers.ChoiceField(choices=GRANULARITIES, default="day")


# --- responses -------------------------------------------------------------------------------
class DurationStatsSerializer(serializers.Serializer):
    median_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True)


class BacklogBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    count = serializers.IntegerField()


class FlowFiguresSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    resolved = serializers.IntegerField()
    closed = serializers.IntegerField()
    rejected = serializers.IntegerField()
    reopened = serializers.IntegerField()
    escalated = serializers.IntegerField()
    sla_compliance = serializers.FloatField(
        allow_null=True, help_text="Share of complaints resolved in the period that met their due time."
    )
    sla_sample = serializers.IntegerField(help_text="Resolved complaints that had a due time.")
    avg_first_action_hours = serializers.FloatField(allow_null=True)
    avg_resolution_hours = serializers.FloatField(allow_null=True)
    avg_rating = serializers.FloatField(allow_null=True)
    rating_high_share = serializers.FloatField(allow_null=True, help_text="Share of ratings that are 4 or 5.")
    rating_count = serializers.IntegerField()
    feedback_response_rate = serializers.FloatField(allow_null=True, help_text="Ratings given per complaint closed.")


class KpisSerializer(FlowFiguresSerializer):
    open = serializers.IntegerField(help_text="Open now (not bound to the period).")
    overdue = serializers.IntegerField(help_text="Open and past their due time now.")
    backlog_age = BacklogBucketSerializer(many=True)
    resolution_time = DurationStatsSerializer()
    first_action_time = DurationStatsSerializer()


class TrendPointSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the bucket (weeks start on Monday).")
    received = serializers.IntegerField()
    resolved = serializers.IntegerField()
    closed = serializers.IntegerField()
    rejected = serializers.IntegerField()
    reopened = serializers.IntegerField()
    escalated = serializers.IntegerField()
    sla_compliance = serializers.FloatField(allow_null=True)
    avg_resolution_hours = serializers.FloatField(allow_null=True)
    avg_rating = serializers.FloatField(allow_null=True)


class TrendsSerializer(serializers.Serializer):
    granularity = serializers.ChoiceField(choices=GRANULARITIES)
    since = serializers.DateField()
    until = serializers.DateField()
    previous_since = serializers.DateField()
    previous_until = serializers.DateField()
    current = TrendPointSerializer(many=True)
    previous = TrendPointSerializer(many=True, help_text="The period of the same length just before.")


class TeamDepartmentSerializer(serializers.Serializer):
    department_id = serializers.IntegerField(allow_null=True)
    department = serializers.CharField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    received = serializers.IntegerField()
    resolved = serializers.IntegerField()
    sla_compliance = serializers.FloatField(allow_null=True)
    avg_resolution_hours = serializers.FloatField(allow_null=True)
    avg_rating = serializers.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()


class TeamOfficerSerializer(serializers.Serializer):
    officer_id = serializers.IntegerField()
    officer = serializers.CharField()
    department = serializers.CharField(allow_null=True)
    assigned = serializers.IntegerField(help_text="Filed in the period and assigned to them now.")
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    resolved = serializers.IntegerField()
    median_resolution_hours = serializers.FloatField(allow_null=True)
    avg_rating = serializers.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()


class TeamSerializer(serializers.Serializer):
    departments = TeamDepartmentSerializer(many=True)
    officers = TeamOfficerSerializer(many=True)


class HeatmapCellSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    count = serializers.IntegerField()


class WardFiguresSerializer(serializers.Serializer):
    ward = serializers.CharField()
    received = serializers.IntegerField()
    resolved = serializers.IntegerField()
    escalated = serializers.IntegerField()


class HeatmapSerializer(serializers.Serializer):
    cell_degrees = serializers.FloatField()
    cells = HeatmapCellSerializer(many=True)
    wards = WardFiguresSerializer(many=True)


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    department_id = serializers.IntegerField()
    department = serializers.CharField()
    sample = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    lower_bound = serializers.FloatField(allow_null=True, help_text="Lower end of the 95% Wilson score interval.")


class RankingsSerializer(serializers.Serializer):
    method = serializers.CharField()
    sla_compliance = RankingRowSerializer(many=True)
    satisfaction = RankingRowSerializer(many=True)


# --- XLSX exports ------------------------------------------------------------------------------
class ExportRequestSerializer(TrendFiltersSerializer):
    table = serializers.ChoiceField(
        choices=EXPORTABLE, help_text="`complaints` (the complaints filed in the period) or a KPI table."
    )


class ExportJobSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(help_text="Set once the file is ready.")

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "table",
            "parameters",
            "status",
            "rows",
            "error",
            "created_at",
            "finished_at",
            "status_url",
            "download_url",
        ]
        read_only_fields = fields

    def get_status_url(self, job: ExportJob) -> str:
        return self._url("analytics-export-xlsx-status", job)

    def get_download_url(self, job: ExportJob) -> str | None:
        return self._url("analytics-export-xlsx-download", job) if job.status == ExportJob.Status.READY else None

    def _url(self, name: str, job: ExportJob) -> str:
        url = reverse(f"api:{name}", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
