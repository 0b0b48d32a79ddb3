"""Reads for GeoReport: services (active subcategories) and service requests (the public view of
complaints). Only public, PII-free fields are loaded; `documents` decides which of them are shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from complaints.models import OPEN_STATUSES, Complaint, ComplaintEvent
from complaints.selectors import public_events_q
from departments.models import Category
from open311.errors import bad_request
from open311.models import ServiceRequestToken

# The spec's limits for GET requests.
MAX_WINDOW = dt.timedelta(days=90)
MAX_REQUESTS = 1000
MAX_SERVICE_CODES = 200

# What a request row reads: all public (the public tracking allow-list plus the location that
# "nearby" shows). Citizen, description, address, notes and metadata are never loaded.
REQUEST_FIELDS = (
    "reference",
    "title",
    "status",
    "latitude",
    "longitude",
    "sla_due_at",
    "resolution_note",
    "created_at",
    "category",
    "subcategory",
    "department",
    "closure_reason",
    "category__code",
    "category__name",
    "subcategory__code",
    "subcategory__name",
    "department__name",
    "closure_reason__name",
)


def services() -> QuerySet[Category]:
    """Active subcategories of active categories: each is one GeoReport service."""
    return (
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .select_related("parent")
        .order_by("parent__ordering", "parent__name", "ordering", "name", "id")
    )


def service_by_code(code: str) -> Category | None:
    return services().filter(code=code).first()


def _latest_public_event_at():
    # The set-based form of complaints.selectors.public_timeline: the time of the latest line the
    # public sees, so an internal note never moves updated_datetime. One subquery for the page.
    events = ComplaintEvent.objects.filter(public_events_q(), complaint=OuterRef("pk"))
    return Subquery(events.order_by("-created_at", "-id").values("created_at")[:1])


def requests_queryset() -> QuerySet[Complaint]:
    return (
        Complaint.objects.public()
        .select_related("category", "subcategory", "department", "closure_reason")
        .only(*REQUEST_FIELDS)
        .annotate(public_updated_at=_latest_public_event_at())
    )


def request_by_id(service_request_id: str) -> Complaint | None:
    return requests_queryset().filter(reference=(service_request_id or "").strip().upper()).first()


def token_lookup(token: str) -> ServiceRequestToken | None:
    """The token a POST handed out, with the reference of the request it filed."""
    return (
        ServiceRequestToken.objects.select_related("complaint")
        .only("token", "complaint", "complaint__reference")
        .filter(token=token, complaint__isnull=False)
        .first()
    )


# --- GET requests filters --------------------------------------------------------------------
@dataclass(frozen=True)
class RequestFilters:
    service_request_ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: frozenset[str] = field(default_factory=frozenset)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _parse_moment(name: str, value: str) -> dt.datetime:
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = dt.datetime.combine(day, dt.time.min) if day else None
    except ValueError:  # well formed but impossible, e.g. month 13
        moment = None
    if moment is None:
        raise bad_request(f"{name} is not a w3c date and time, e.g. 2026-01-01T00:00:00Z.")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_request_filters(params, *, now: dt.datetime | None = None) -> RequestFilters:
    """Read GET requests' parameters; a GeoReportError (400) for anything the spec does not allow."""
    ids = tuple(dict.fromkeys(i.upper() for i in _split(params.get("service_request_id"))))
    if len(ids) > MAX_REQUESTS:
        raise bad_request(f"At most {MAX_REQUESTS} service_request_id values at once.")
    if ids:
        # The spec: service_request_id overrides every other parameter.
        return RequestFilters(service_request_ids=ids)

    codes = tuple(dict.fromkeys(_split(params.get("service_code"))))
    if len(codes) > MAX_SERVICE_CODES:
        raise bad_request(f"At most {MAX_SERVICE_CODES} service_code values at once.")
    statuses = frozenset(s.lower() for s in _split(params.get("status")))
    if statuses - {"open", "closed"}:
        raise bad_request("status must be open, closed, or both (comma separated).")

    now = now or timezone.now()
    start_raw, end_raw = (params.get("start_date") or "").strip(), (params.get("end_date") or "").strip()
    start = _parse_moment("start_date", start_raw) if start_raw else None
    end = _parse_moment("end_date", end_raw) if end_raw else None
    if start is None and end is None:
        end, start = now, now - MAX_WINDOW
    elif start is None:
        start = end - MAX_WINDOW
    elif end is None:
        end = min(start + MAX_WINDOW, max(now, start))
    if start > end:
        raise bad_request("start_date must be before end_date.")
    if end - start > MAX_WINDOW:
        raise bad_request("start_date and end_date may not be more than 90 days apart.")
    return RequestFilters(service_codes=codes, start=start, end=end, statuses=statuses)


def unknown_service_codes(codes: Iterable[str]) -> list[str]:
    """Codes that name no category at all (inactive ones still name past requests)."""
    codes = list(codes)
    known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
    return [code for code in codes if code not in known]


def filter_requests(queryset: QuerySet[Complaint], filters: RequestFilters) -> QuerySet[Complaint]:
    """The page of requests the filters select, newest first, at most MAX_REQUESTS."""
    if filters.service_request_ids:
        queryset = queryset.filter(reference__in=filters.service_request_ids)
    else:
        queryset = queryset.filter(created_at__gte=filters.start, created_at__lte=filters.end)
        if filters.service_codes:
            queryset = queryset.filter(
                Q(subcategory__code__in=filters.service_codes)
                | Q(subcategory__isnull=True, category__code__in=filters.service_codes)
            )
        if filters.statuses == {"open"}:
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif filters.statuses == {"closed"}:
            queryset = queryset.exclude(status__in=OPEN_STATUSES)
    return queryset.order_by("-created_at", "-id")[:MAX_REQUESTS]
