"""Reads over complaints that are more than a filter: one rule each.

- the public view: `PUBLIC_FIELDS`, `PUBLIC_EVENT_ACTIONS`, `PUBLIC_NOTE_ACTIONS`, `public_timeline`
  (the API's track endpoint, the track page, Open311 all use these allow-lists);
- what a signed-in person sees of a complaint they may see: `timeline_for`, `comments_for`,
  `actor_visible_to`;
- the gates of the models that hang off complaints: `escalation_requests_visible_to`,
  `notices_visible_to`, built on the same role logic as `Complaint.objects.visible_to`
  (`complaints.querysets.department_scope`);
- distance: `within_radius`, `nearby_open_complaints`; ordering by urgency: `with_priority_rank`;
- the API's hot reads through the gate, compiled once per shape: `VisibleRows`, `visible_row`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from accounts.models import STAFF_ROLES, Role
from complaints.models import Comment, Complaint, ComplaintEvent, EscalationRequest, Notice
from complaints.querysets import department_scope, id_or_reference_lookup, visibility
from departments.models import Priority
from grievance.compiled import compiled, compiled_count

Action = ComplaintEvent.Action

# --- the public view (allow-lists: a new field or event kind is private until added here) --------
PUBLIC_FIELDS = (
    "id",
    "reference",
    "title",
    "status",
    "category",
    "subcategory",
    "department",
    "ward",
    "latitude",
    "longitude",
    "supporters_count",
    "sla_due_at",
    "escalation_level",
    "resolution_note",
    "closure_reason",
    "duplicate_of",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
)
# Status steps only: conversation, support and attachments are not the public's business.
PUBLIC_EVENT_ACTIONS = frozenset(
    {
        Action.CREATED,
        Action.TRIAGE,
        Action.ASSIGN,
        Action.START,
        Action.RESOLVE,
        Action.CLOSE,
        Action.REOPEN,
        Action.REJECT,
        Action.DUPLICATE,
        Action.ESCALATE,
    }
)
# Official statements to the public. Other notes (an escalation's reason, which may quote the
# citizen's request, a reopen reason, a closing comment) can carry personal details.
PUBLIC_NOTE_ACTIONS = frozenset({Action.RESOLVE, Action.REJECT, Action.DUPLICATE})
# What a public timeline line shows.
PUBLIC_EVENT_FIELDS = ("action", "from_status", "to_status", "note", "created_at")
# Public replies: what staff wrote to the citizen in the open (never internal notes, never what a
# citizen wrote, never who wrote it).
PUBLIC_REPLY_FIELDS = ("body", "created_at")

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


def public_events_q() -> Q:
    """The public timeline's rows, as a filter on ComplaintEvent (for set-based reads such as Open311's
    updated_datetime)."""
    return Q(is_internal=False, action__in=PUBLIC_EVENT_ACTIONS)


def public_note(event: ComplaintEvent) -> str:
    return event.note if event.action in PUBLIC_NOTE_ACTIONS else ""


def public_events(events) -> list[ComplaintEvent]:
    """The public lines of already-loaded events (e.g. prefetched), notes blanked where not official.
    Returns unsaved copies holding only the public fields, so nothing else can leak from them."""
    lines = []
    for event in events:
        if event.is_internal or event.action not in PUBLIC_EVENT_ACTIONS:
            continue
        line = ComplaintEvent(**{name: getattr(event, name) for name in PUBLIC_EVENT_FIELDS if name != "note"})
        line.note = public_note(event)
        lines.append(line)
    return lines


def public_timeline(complaint: Complaint) -> list[ComplaintEvent]:
    """The public, PII-free timeline: status steps in order, official notes only, nobody named."""
    events = (
        ComplaintEvent.objects.filter(public_events_q(), complaint_id=complaint.pk)
        .only("action", "from_status", "to_status", "note", "created_at", "is_internal")
        .order_by("created_at", "id")
    )
    return public_events(events)


def public_replies(complaint: Complaint) -> list[Comment]:
    """Staff's public replies on a complaint, oldest first, as unsaved copies holding only
    `PUBLIC_REPLY_FIELDS` (the track page and API show them; one query)."""
    rows = (
        Comment.objects.filter(complaint_id=complaint.pk, is_internal=False, author__role__in=STAFF_ROLES)
        .order_by("created_at", "id")
        .values_list(*PUBLIC_REPLY_FIELDS)
    )
    return [Comment(**dict(zip(PUBLIC_REPLY_FIELDS, row, strict=True))) for row in rows]


def actor_visible_to(event: ComplaintEvent, user) -> bool:
    """Whether `user` may see who did `event`: staff see everyone; a citizen sees staff and
    themself, never another citizen (a supporter stays anonymous to the complaint's owner)."""
    if user.is_staff or event.actor_id is None or event.actor_id == user.pk:
        return True
    return event.actor.role != Role.CITIZEN and event.actor.role != Role.SERVICE


def timeline_for(complaint: Complaint, user) -> list[ComplaintEvent]:
    """The timeline as `user` (who may see the complaint) sees it: staff see internal notes and
    every actor; citizens see neither internal notes nor other citizens' names."""
    events = complaint.events.select_related("actor").order_by("created_at", "id")
    if not user.is_staff:
        events = events.filter(is_internal=False)
    rows = list(events)
    for event in rows:
        if not actor_visible_to(event, user):
            event.actor = None
    return rows


def comments_for(complaint: Complaint, user) -> QuerySet[Comment]:
    """The conversation as `user` (who may see the complaint) reads it: internal notes for staff only."""
    comments = complaint.comments.select_related("author").order_by("created_at", "id")
    return comments if user.is_staff else comments.filter(is_internal=False)


# --- gates of the models that hang off complaints -------------------------------------------------
def escalation_requests_visible_to(user) -> QuerySet[EscalationRequest]:
    """Requests `user` may see: those on complaints they can see, plus (officers and managers) those
    aimed at their department subtree; all for dispatchers, executives and admins."""
    requests = EscalationRequest.objects.all()
    scope = department_scope(user)
    if scope is None:
        return requests
    visible = Q(complaint__in=Complaint.objects.visible_to(user).values("pk"))
    if scope:
        visible |= Q(target_department_id__in=scope)
    return requests.filter(visible)


def notices_visible_to(user) -> QuerySet[Notice]:
    """Notices staff may see: their departments' (subtree); all for dispatchers, executives and
    admins; none for citizens, services and anyone else."""
    queryset = Notice.objects.select_related("department", "author").prefetch_related("categories")
    scope = department_scope(user)
    if scope is None:
        return queryset
    return queryset.filter(department_id__in=scope) if scope else queryset.none()


# --- the API's hot reads: the visibility gate, compiled once per shape (grievance/compiled.py) ----
NEWEST_FIRST = ("-created_at", "-id")


class VisibleRows:
    """Rows (as dicts of `names`) of the complaints `user` may see, newest first, for Django's
    Paginator: `count()` and slicing run the gate's query compiled once per process and shape, so
    a page costs two statements and no SQL compilation. Same rule, same order, same rows as
    `Complaint.objects.visible_to(user).order_by(*NEWEST_FIRST).values(*names)`."""

    ordered = True

    def __init__(self, user, names: tuple[str, ...]):
        self.kind, self.values = visibility(user)
        self.names = names

    def _build(self, *values):
        return Complaint.objects.within(self.kind, values).order_by(*NEWEST_FIRST).values_list(*self.names)

    def count(self) -> int:
        if self.kind == "none":
            return 0
        key = ("complaints.visible.count", self.kind, len(self.values))
        (count,) = compiled_count(key, self._build, self.values).rows(self.values)[0]
        return count

    def __getitem__(self, page: slice) -> list[dict]:
        if not isinstance(page, slice) or page.step is not None:
            raise TypeError("VisibleRows is read a page (a slice) at a time")
        start, stop = page.start or 0, page.stop
        if self.kind == "none" or stop is not None and stop <= start:
            return []
        query = compiled(("complaints.visible.rows", self.kind, len(self.values), self.names), self._build, self.values)
        rows = query.rows(self.values, limit=None if stop is None else stop - start, offset=start)
        return [dict(zip(self.names, row, strict=True)) for row in rows]


def visible_row(user, id_or_reference: str, names: tuple[str, ...]) -> dict | None:
    """One complaint `user` may see, by id or reference, as a dict of `names` (None: not visible or
    no such complaint), its query compiled once per shape. Same rule as
    `Complaint.objects.visible_to(user).by_id_or_reference(value).values(*names)`."""
    kind, values = visibility(user)
    if kind == "none":
        return None
    ((field, value),) = id_or_reference_lookup(id_or_reference).items()

    def build(*args):
        return Complaint.objects.within(kind, args[:-1]).filter(**{field: args[-1]}).values_list(*names)

    args = (*values, value)
    rows = compiled(("complaints.visible.row", kind, len(values), field, names), build, args).rows(args)
    return dict(zip(names, rows[0], strict=True)) if rows else None


class ValuesRows:
    """A filtered queryset's rows as dicts of `names`, for Django's Paginator (no model instances)."""

    ordered = True

    def __init__(self, queryset: QuerySet[Complaint], names: tuple[str, ...]):
        self.queryset, self.names = queryset, names

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[dict]:
        return [dict(zip(self.names, row, strict=True)) for row in self.queryset.values_list(*self.names)[page]]
