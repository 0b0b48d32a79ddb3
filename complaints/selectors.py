"""Reads over complaints that are more than a filter: distance, nearby, timelines."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Case, F, FloatField, IntegerField, QuerySet, Value, When
from django.db.models.functions import Cast

from complaints.models import Complaint, ComplaintEvent
from departments.models import Priority

METERS_PER_DEGREE = 111_320.0

PRIORITY_RANK = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2, Priority.URGENT: 3}


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def with_priority_rank(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """Annotate `priority_rank` (low 0 .. urgent 3) so "priority" orders by urgency, not by name."""
    return queryset.annotate(
        priority_rank=Case(
            *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
            default=Value(1),
            output_field=IntegerField(),
        )
    )


def within_radius(queryset: QuerySet[Complaint], *, center: Point, radius_m: float) -> QuerySet[Complaint]:
    """Complaints within `radius_m` of `center`, annotated with `distance_m`.

    A bounding box on (latitude, longitude) narrows the rows with the index; then an
    equirectangular distance (accurate to well under 1% at city scale) filters exactly. Plain
    arithmetic only, so it runs the same on SQLite and PostgreSQL without PostGIS.
    """
    cos_lat = max(math.cos(math.radians(center.latitude)), 1e-6)
    dlat = radius_m / METERS_PER_DEGREE
    dlng = radius_m / (METERS_PER_DEGREE * cos_lat)
    lat = Cast(F("latitude"), FloatField())
    lng = Cast(F("longitude"), FloatField())
    dy = (lat - Value(center.latitude)) * Value(METERS_PER_DEGREE)
    dx = (lng - Value(center.longitude)) * Value(METERS_PER_DEGREE * cos_lat)
    return (
        queryset.filter(
            latitude__gte=center.latitude - dlat,
            latitude__lte=center.latitude + dlat,
            longitude__gte=center.longitude - dlng,
            longitude__lte=center.longitude + dlng,
        )
        .annotate(distance_sq=dx * dx + dy * dy)
        .filter(distance_sq__lte=radius_m * radius_m)
    )


def nearby_open_complaints(*, center: Point, radius_m: float, category=None, limit: int = 20) -> list[Complaint]:
    """Open complaints close to `center`, nearest first, for "support this one instead of filing"."""
    queryset = Complaint.objects.public().open().select_related("category", "subcategory", "department")
    if category is not None:
        queryset = queryset.filter(category=category) | queryset.filter(subcategory=category)
    rows = list(within_radius(queryset, center=center, radius_m=radius_m).order_by("distance_sq")[:limit])
    for row in rows:
        row.distance_m = round(math.sqrt(row.distance_sq), 1)
    return rows


def public_timeline(complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return complaint.events.filter(is_internal=False).order_by("created_at", "id")


def timeline_for(complaint: Complaint, user) -> QuerySet[ComplaintEvent]:
    """The timeline as `user` may see it: staff see internal notes, citizens do not."""
    events = complaint.events.select_related("actor").order_by("created_at", "id")
    return events if user.is_staff else events.filter(is_internal=False)
