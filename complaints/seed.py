"""Demo complaints: about forty believable complaints in a city, in every state of the workflow.

`seed_demo_complaints()` files them for a handful of demo citizens and walks each one through the
real services (create, triage, start, comment, escalate, resolve, close, reopen, reject, mark
duplicate, support), so every timeline is what the product itself would have written. Then it
moves each complaint's timestamps back in time, step by step, so the demo looks lived-in: filed
over the past weeks, some past their due time. Moving clocks is the only thing done outside the
services, and it changes no state.

Idempotent: each complaint carries `metadata["demo_key"]`; a key that exists is skipped, so a second
run creates nothing. Needs the reference data and demo staff (`departments.seed`) first.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F, QuerySet

from accounts.models import Role, User
from complaints import services
from complaints.models import (
    Comment,
    Complaint,
    ComplaintEvent,
    Escalation,
    Feedback,
    Source,
    Support,
)
from departments.models import Category, ClosureReason, Department

DEMO_KEY = "demo_key"

# (phone, name): the foundation's demo citizen first, then a few neighbours.
DEMO_CITIZENS: list[tuple[str, str]] = [
    ("+919800000001", "Chitra Citizen"),
    ("+919800000002", "Rahul Sharma"),
    ("+919800000003", "Priya Nair"),
    ("+919800000004", "Arjun Mehta"),
    ("+919800000005", "Fatima Sheikh"),
    ("+919800000006", "Suresh Iyer"),
    ("+919800000007", "Ananya Das"),
]


@dataclass(frozen=True)
class Step:
    """One thing that happens to a demo complaint, then `hours` pass before the next."""

    # triage, start, comment, staff_comment, internal_note, escalate, resolve, close, reopen, reject, duplicate
    action: str
    hours: float
    text: str = ""
    rating: int | None = None
    department: str | None = None  # for triage: where a dispatcher sends it (else where it was routed)
    priority: str | None = None
    reason: str | None = None  # closure reason code for reject
    original: str | None = None  # demo key of the original, for duplicate


@dataclass(frozen=True)
class Spec:
    key: str
    citizen: int  # index into DEMO_CITIZENS
    subcategory: str
    title: str
    description: str
    address: str
    ward: str
    location: tuple[str, str] | None
    hours_after_filing: float  # before the first step (or until now, when there is none)
    steps: list[Step] = field(default_factory=list)
    source: str = Source.WEB


def S(action: str, hours: float, text: str = "", **kwargs) -> Step:  # noqa: N802 - reads like a table row
    return Step(action=action, hours=hours, text=text, **kwargs)


# Each complaint: what the citizen wrote, and what happened since. Read top to bottom, the states are
# new, triaged, in progress (some overdue), escalated, resolved, closed with feedback, reopened,
# rejected and duplicate. Originals come before their duplicates.
SPECS: list[Spec] = [
    # --- new: just filed, or waiting for a dispatcher (no category routing) ---
    Spec("pothole-mg-road", 1, "potholes", "Deep pothole on MG Road near Metro pillar 42",
         "A pothole about a foot deep has opened in the left lane. Two-wheelers swerve into traffic to avoid it.",
         "MG Road, near Metro pillar 42", "Ward 12", ("28.479600", "77.080100"), 5),
    Spec("streetlight-sector-15", 2, "streetlight-out", "Three streetlights dark on Sector 15 main road",
         "Poles 15/21 to 15/23 have been dark for four nights. Women walking back from the market feel unsafe.",
         "Sector 15 main road, opposite the community centre", "Ward 7", ("28.459500", "77.026600"), 20),
    Spec("garbage-lajpat", 3, "garbage-not-collected", "Garbage not picked up for a week in Block C",
         "The collection van has not come since last Monday. Bags are piling up at the corner and dogs tear them.",
         "Block C, Lajpat Nagar II", "Ward 58", ("28.567800", "77.243400"), 30),
    Spec("suggestion-benches", 4, "suggestion", "Benches at the Rajiv Chowk bus stop",
         "Elderly passengers wait standing for a long time. Please install two or three benches under the shelter.",
         "Rajiv Chowk bus stop", "Ward 3", None, 50),
    Spec("general-noise", 5, "general", "Loudspeakers at a wedding hall past midnight",
         "The banquet hall on Ring Road plays loud music until 2 a.m. on weekdays. Children cannot sleep.",
         "Ring Road, next to the petrol pump", "Ward 21", ("28.651900", "77.189300"), 10),
    Spec("dead-animal-park-street", 0, "dead-animal", "Dead dog on Park Street footpath",
         "A dead dog has been lying on the footpath since this morning and the smell is spreading.",
         "Park Street, near house no. 118", "Ward 9", ("28.641000", "77.216700"), 3, source=Source.MOBILE),
    # --- triaged: with the department, not started yet ---
    Spec("overflowing-bin-market", 6, "overflowing-bin", "Overflowing bin at Sarojini Nagar market",
         "The big green bin near gate 2 overflows every evening; waste spills onto the road.",
         "Sarojini Nagar market, gate 2", "Ward 61", ("28.577500", "77.196900"), 4,
         [S("triage", 30)]),
    Spec("signal-ito", 1, "signal-fault", "Traffic signal at ITO stuck on red",
         "The signal for traffic coming from Vikas Marg stays red; constables are managing by hand at peak hours.",
         "ITO crossing", "Ward 80", ("28.628300", "77.241600"), 1,
         [S("triage", 5, priority="urgent")]),
    Spec("broken-swing", 2, "broken-equipment", "Broken swing in Nehru Park children's area",
         "One chain of the big swing is broken and the seat hangs at an angle. A child could get hurt.",
         "Nehru Park, children's play area", "Ward 14", ("28.597600", "77.186400"), 8,
         [S("triage", 20), S("comment", 24, "Please at least tape it off until it is repaired.")]),
    Spec("light-daytime-ring-road", 3, "light-on-daytime", "Streetlights on all day on Outer Ring Road",
         "About ten lights between the flyover and the bus depot stay on through the day. Waste of electricity.",
         "Outer Ring Road, between the flyover and the bus depot", "Ward 33", ("28.550300", "77.250600"), 12,
         [S("triage", 48)]),
    # --- in progress: an officer is on it (the older ones are past their due time) ---
    Spec("water-leak-karol-bagh", 4, "water-leak", "Water pipe burst on Arya Samaj Road",
         "Clean water has been gushing from a broken pipe since yesterday night. The road is flooded.",
         "Arya Samaj Road, Karol Bagh", "Ward 85", ("28.651400", "77.190300"), 2,
         [S("triage", 3, priority="high"), S("start", 4),
          S("staff_comment", 6, "A crew is on site; supply to the lane will be off for three hours."),
          S("internal_note", 2, "Pipe is 30 years old; ask for a section replacement in next budget.")]),
    Spec("drain-block-rohini", 5, "drainage", "Blocked drain causing waterlogging in Sector 7",
         "After every rain the drain overflows and the lane is knee-deep in dirty water for hours.",
         "Sector 7, Rohini, pocket B", "Ward 27", ("28.711000", "77.118700"), 24,
         [S("triage", 24), S("start", 48), S("comment", 72, "It rained again today and the lane is flooded.")]),
    Spec("road-damage-dwarka", 6, "road-damage", "Footpath slabs broken along Dwarka Sector 10",
         "Several footpath slabs are broken or missing; an elderly neighbour tripped and hurt her knee.",
         "Sector 10 market road, Dwarka", "Ward 44", ("28.580600", "77.055100"), 48,
         [S("triage", 24), S("start", 96),
          S("internal_note", 24, "Contractor says material arrives next week.")]),
    Spec("illegal-parking-school", 0, "illegal-parking", "Cars parked on the school gate road every morning",
         "Parents park on both sides of the road; the school bus cannot get through and children walk in traffic.",
         "Road outside Government Senior Secondary School", "Ward 19", ("28.676900", "77.226000"), 10,
         [S("triage", 6), S("start", 30)]),
    Spec("exposed-wiring-chandni", 1, "exposed-wiring", "Exposed wires hanging from a streetlight pole",
         "The junction box on the pole outside the sweet shop is open and live wires hang at hand height.",
         "Chandni Chowk, near Gurudwara Sis Ganj", "Ward 91", ("28.656100", "77.230700"), 1,
         [S("triage", 1, priority="urgent"), S("start", 2),
          S("staff_comment", 1, "The box has been closed and taped; the electrician comes in the morning.")]),
    Spec("fallen-tree-lodhi", 2, "fallen-tree", "Fallen branch blocking Lodhi Road service lane",
         "A large branch fell in last night's storm and blocks the service lane completely.",
         "Lodhi Road service lane, near gate 3 of Lodhi Garden", "Ward 62", ("28.593100", "77.219400"), 6,
         [S("triage", 4, priority="high"), S("start", 120)]),
    Spec("garbage-mayur-vihar", 3, "garbage-not-collected", "Garbage collection skipped in Pocket 2",
         "The van skips our pocket twice a week. We were told it is a route change, but nobody informs us.",
         "Mayur Vihar Phase 1, Pocket 2", "Ward 5", ("28.604800", "77.294000"), 36,
         [S("triage", 24), S("start", 120), S("comment", 48, "Still skipped this Tuesday.")]),
    # --- escalated: overdue and moved up a level ---
    Spec("pothole-nh48", 4, "potholes", "Series of potholes on the NH-48 service road",
         "More than ten potholes on a 200 m stretch; a car's axle broke last week.",
         "NH-48 service road, near Rajokri flyover", "Ward 98", ("28.515700", "77.113000"), 72,
         [S("triage", 24), S("start", 200), S("escalate", 30, "Not resolved within the time limit.")]),
    Spec("streetlights-vasant-kunj", 5, "streetlight-out", "Whole lane dark in Vasant Kunj Sector C",
         "Every streetlight in pocket 8 has been off for two weeks. There were two chain snatchings since.",
         "Vasant Kunj Sector C, pocket 8", "Ward 66", ("28.520800", "77.158100"), 24,
         [S("triage", 24), S("start", 72), S("comment", 48, "Another theft yesterday. Please hurry."),
          S("escalate", 12, "Not resolved within the time limit.")]),
    Spec("dumping-yamuna", 6, "illegal-dumping", "Construction waste dumped on the Yamuna bank road",
         "Trucks unload rubble at night on the road to the ghat; half the road is blocked now.",
         "Road to Yamuna ghat, near the cremation ground", "Ward 75", ("28.640500", "77.250900"), 48,
         [S("triage", 48), S("start", 160), S("escalate", 24, "Not resolved within the time limit."),
          S("internal_note", 8, "Need police help to catch the trucks; wrote to the SHO.")]),
    Spec("signal-dhaula-kuan", 0, "signal-fault", "Pedestrian signal not working at Dhaula Kuan",
         "The pedestrian light never turns green; people run across eight lanes of traffic.",
         "Dhaula Kuan roundabout, towards the hospital", "Ward 94", ("28.591700", "77.161100"), 12,
         [S("triage", 4), S("start", 30), S("escalate", 10, "Not resolved within the time limit.")]),
    # --- resolved: waiting for the citizen to confirm (within the reopen window) ---
    Spec("leak-janakpuri", 1, "water-leak", "Leaking valve outside C-4 Janakpuri",
         "The valve chamber leaks day and night and the water smells of sewage.",
         "C-4 block, Janakpuri", "Ward 49", ("28.621900", "77.087800"), 8,
         [S("triage", 3), S("start", 10), S("resolve", 20, "The valve gasket was replaced and the chamber sealed.")]),
    Spec("park-maintenance-hauz-khas", 2, "park-maintenance", "Deer Park walking track overgrown",
         "Grass and thorny bushes cover half of the walking track; the lights along it are also broken.",
         "Deer Park, Hauz Khas, main walking track", "Ward 64", ("28.554000", "77.200000"), 48,
         [S("triage", 24), S("start", 48), S("staff_comment", 24, "Gardeners are clearing it this week."),
          S("resolve", 30, "The track was cleared and trimmed; the broken lights were reported to Lighting.")]),
    Spec("bin-green-park", 3, "overflowing-bin", "Bin overflowing at Green Park metro gate",
         "The bin near gate 1 overflows by noon every day.",
         "Green Park metro, gate 1", "Ward 63", ("28.559900", "77.206800"), 6,
         [S("triage", 6), S("start", 20),
          S("resolve", 6, "A second bin was placed and pick-ups are now twice daily.")]),
    Spec("parking-lajpat", 4, "illegal-parking", "Cars parked on the footpath at Lajpat Nagar Central Market",
         "The footpath is fully blocked by parked cars; pedestrians walk on the road.",
         "Lajpat Nagar Central Market, ring road side", "Ward 58", ("28.570300", "77.237200"), 4,
         [S("triage", 2), S("start", 6), S("resolve", 12, "Towing drive done; bollards requested from Roads.")]),
    # --- closed with the citizen's feedback ---
    Spec("pothole-saket", 5, "potholes", "Pothole at the Saket mall turn",
         "A pothole right at the turn into the mall road; cars brake suddenly.",
         "Press Enclave Road, Saket mall turn", "Ward 65", ("28.528000", "77.219200"), 96,
         [S("triage", 24), S("start", 48), S("resolve", 24, "Pothole filled and the patch rolled."),
          S("close", 10, "Neatly done, thank you.", rating=5)]),
    Spec("streetlight-pitampura", 6, "streetlight-out", "Streetlight flickering outside Pitampura TV tower",
         "The light flickers all night and goes off after midnight.",
         "Outside Pitampura TV tower", "Ward 55", ("28.696300", "77.134200"), 120,
         [S("triage", 12), S("start", 24), S("resolve", 36, "The choke was replaced."),
          S("close", 30, "Fixed, but it took many days.", rating=3)]),
    Spec("garbage-kalkaji", 0, "garbage-not-collected", "No garbage pick-up in Kalkaji H block",
         "Our block has had no pick-up for five days.",
         "Kalkaji H block", "Ward 69", ("28.540100", "77.258000"), 200,
         [S("triage", 12), S("start", 12), S("comment", 24, "Still nothing today."),
          S("staff_comment", 4, "The van was under repair; a replacement is on the route from tomorrow."),
          S("resolve", 24, "Collection resumed on the regular schedule."),
          S("close", 20, "Back to normal.", rating=4)]),
    Spec("tree-civil-lines", 1, "fallen-tree", "Tree fallen across Rajpur Road",
         "A big neem tree fell across the road after the storm and pulled down a cable.",
         "Rajpur Road, Civil Lines", "Ward 10", ("28.681500", "77.222600"), 300,
         [S("triage", 2, priority="urgent"), S("start", 2), S("resolve", 10, "The tree was cut and removed."),
          S("close", 24, "Very fast response.", rating=5)]),
    Spec("signal-ashram", 2, "signal-fault", "Signal timing too short at Ashram Chowk",
         "The green for the Mathura Road side lasts only a few seconds; huge jams every evening.",
         "Ashram Chowk", "Ward 70", ("28.571200", "77.258900"), 250,
         [S("triage", 10), S("start", 24), S("resolve", 48, "Signal timing was revised for evening peak hours."),
          S("close", 72, "A little better; jams remain.", rating=2)]),
    # --- reopened: the citizen said it was not fixed (back in progress) ---
    Spec("leak-rohini-reopen", 3, "water-leak", "Water leaking from the main line in Rohini Sector 3",
         "Water keeps leaking from the main line; the road has a permanent puddle.",
         "Rohini Sector 3, near the DDA market", "Ward 26", ("28.700900", "77.107700"), 72,
         [S("triage", 6), S("start", 12), S("resolve", 24, "Joint tightened."),
          S("reopen", 20, "It started leaking again the next morning.")]),
    Spec("drain-kamla-nagar-reopen", 4, "drainage", "Sewer overflowing at Kamla Nagar roundabout",
         "Sewage flows onto the road near the roundabout.",
         "Kamla Nagar roundabout", "Ward 72", ("28.681900", "77.205800"), 120,
         [S("triage", 12), S("start", 24), S("resolve", 24, "The line was cleared with a jetting machine."),
          S("reopen", 48, "Overflowing again after two days."),
          S("staff_comment", 6, "A CCTV inspection of the line is booked.")]),
    # --- rejected: spam, or not the city's job ---
    Spec("rejected-spam", 5, "general", "asdf test test",
         "test complaint please ignore 123",
         "", "", None, 26,
         [S("reject", 30, "Test entry, not a complaint.", reason="spam")]),
    Spec("rejected-jurisdiction", 6, "general", "Electricity bill too high this month",
         "My electricity bill doubled although usage is the same.",
         "Laxmi Nagar", "Ward 84", None, 70,
         [S("reject", 24, "Electricity bills are handled by the power distribution company; call 19123.",
            reason="not_our_jurisdiction")]),
    Spec("rejected-info", 0, "road-damage", "Road broken",
         "Road is broken please fix.",
         "", "", None, 200,
         [S("reject", 30, "We could not find where this is; please file again with the street and a landmark.",
            reason="insufficient_information")]),
    # --- duplicates of complaints above ---
    Spec("dup-pothole-mg-road", 6, "potholes", "Big pothole MG Road metro pillar",
         "There is a dangerous pothole on MG Road by the metro pillar.",
         "MG Road", "Ward 12", ("28.479700", "77.080300"), 2,
         [S("duplicate", 1, original="pothole-mg-road")]),
    Spec("dup-streetlights-vasant-kunj", 3, "streetlight-out", "No lights in Vasant Kunj pocket 8",
         "Dark lane, lights not working for days.",
         "Vasant Kunj C-8", "Ward 66", ("28.520900", "77.158300"), 30,
         [S("duplicate", 6, original="streetlights-vasant-kunj")]),
    Spec("dup-garbage-lajpat", 5, "garbage-not-collected", "Garbage in Lajpat Nagar Block C",
         "Garbage piling in block C corner.",
         "Lajpat Nagar II, C block", "Ward 58", ("28.567700", "77.243500"), 6,
         [S("duplicate", 4, original="garbage-lajpat")]),
    Spec("dup-signal-ito", 2, "signal-fault", "ITO signal not working",
         "Signal problem at ITO, traffic jam.",
         "ITO", "Ward 80", ("28.628400", "77.241400"), 1,
         [S("triage", 0.5), S("duplicate", 0.5, original="signal-ito")]),
]

# (supporter citizen index, demo key): "me too" from neighbours on open complaints.
SUPPORTS: list[tuple[int, str]] = [
    (2, "pothole-mg-road"),
    (3, "pothole-mg-road"),
    (0, "streetlights-vasant-kunj"),
    (1, "streetlights-vasant-kunj"),
    (6, "streetlights-vasant-kunj"),
    (5, "water-leak-karol-bagh"),
    (4, "dumping-yamuna"),
    (0, "drain-block-rohini"),
    (1, "signal-ito"),
]


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _shift_back(complaint_id: int, delta: dt.timedelta) -> None:
    """Move every clock of one complaint (and what hangs off it) back by `delta`. No state changes."""
    Complaint.objects.filter(pk=complaint_id).update(
        created_at=F("created_at") - delta,
        sla_due_at=F("sla_due_at") - delta,
        resolved_at=F("resolved_at") - delta,
        closed_at=F("closed_at") - delta,
    )
    for model in (ComplaintEvent, Comment, Escalation, Feedback, Support):
        model.objects.filter(complaint_id=complaint_id).update(created_at=F("created_at") - delta)


class _People:
    """Demo citizens and the staff who act on complaints, looked up once."""

    def __init__(self):
        self.dispatcher = User.objects.filter(role=Role.DISPATCHER, is_active=True).order_by("pk").first()
        if self.dispatcher is None:
            raise RuntimeError("No active dispatcher: run `manage.py seed` (demo users and staff) first.")
        self.citizens: list[User] = []
        self.created_citizens = 0
        for phone, name in DEMO_CITIZENS:
            user, created = User.objects.get_or_create(phone=phone, defaults={"full_name": name, "role": Role.CITIZEN})
            if user.role != Role.CITIZEN:
                raise RuntimeError(f"{phone} belongs to a {user.role}, not a citizen; cannot seed demo complaints.")
            self.created_citizens += created
            self.citizens.append(user)
        self._workers: dict[int, User] = {}

    def worker(self, department: Department) -> User:
        """An officer of the department (its manager, else an admin, when it has none)."""
        if department.pk not in self._workers:
            user = (
                User.objects.filter(department=department, role=Role.OFFICER, is_active=True).order_by("pk").first()
                or User.objects.filter(department=department, role=Role.MANAGER, is_active=True).order_by("pk").first()
                or User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
            )
            if user is None:
                raise RuntimeError(f"Nobody works in {department}: run `manage.py seed` first.")
            self._workers[department.pk] = user
        return self._workers[department.pk]


def _file(spec: Spec, people: _People, categories: dict[str, Category], keyed: dict[str, Complaint]) -> Complaint:
    citizen = people.citizens[spec.citizen]
    subcategory = categories[spec.subcategory]
    latitude, longitude = (Decimal(spec.location[0]), Decimal(spec.location[1])) if spec.location else (None, None)
    complaint = services.complaint_create(
        citizen=citizen,
        created_by=citizen,
        title=spec.title,
        description=spec.description,
        category=subcategory.parent,
        subcategory=subcategory,
        source=spec.source,
        latitude=latitude,
        longitude=longitude,
        address=spec.address,
        ward=spec.ward,
        metadata={DEMO_KEY: spec.key},
    )
    _shift_back(complaint.pk, dt.timedelta(hours=spec.hours_after_filing))
    for step in spec.steps:
        complaint = _apply(step, Complaint.objects.get(pk=complaint.pk), people, keyed)
        _shift_back(complaint.pk, dt.timedelta(hours=step.hours))
    return complaint


def _apply(step: Step, complaint: Complaint, people: _People, keyed: dict[str, Complaint]) -> Complaint:
    citizen = complaint.citizen
    dispatcher = people.dispatcher
    if step.action == "triage":
        department = (
            Department.objects.get(code=step.department) if step.department else complaint.department
        ) or Department.objects.get(code="municipal-corporation")
        return services.complaint_triage(
            complaint=complaint, actor=dispatcher, department=department, priority=step.priority, note=step.text
        )
    if step.action == "start":
        return services.complaint_start(complaint=complaint, actor=people.worker(complaint.department))
    if step.action in ("comment", "staff_comment", "internal_note"):
        author = citizen if step.action == "comment" else people.worker(complaint.department)
        services.comment_add(
            complaint=complaint, author=author, body=step.text, is_internal=step.action == "internal_note"
        )
        return complaint
    if step.action == "escalate":
        # As the SLA sweep does it: the system, automatically.
        return services.complaint_escalate(
            complaint=complaint, actor=None, reason=step.text, kind=Escalation.Kind.AUTOMATIC
        )
    if step.action == "resolve":
        worker = people.worker(complaint.department)
        return services.complaint_resolve(complaint=complaint, actor=worker, note=step.text)
    if step.action == "close":
        return services.complaint_close(complaint=complaint, actor=citizen, rating=step.rating, comment=step.text)
    if step.action == "reopen":
        return services.complaint_reopen(complaint=complaint, actor=citizen, reason=step.text)
    if step.action == "reject":
        reason = ClosureReason.objects.get(code=step.reason)
        return services.complaint_reject(complaint=complaint, actor=dispatcher, closure_reason=reason, note=step.text)
    if step.action == "duplicate":
        original = keyed[step.original]
        return services.complaint_mark_duplicate(complaint=complaint, actor=dispatcher, duplicate_of=original)
    raise ValueError(f"Unknown demo step {step.action!r}")


def demo_complaints() -> QuerySet[Complaint]:
    return Complaint.objects.filter(**{f"metadata__{DEMO_KEY}__isnull": False})


def seed_demo_complaints(*, stdout=None) -> dict:
    """File the demo complaints that do not exist yet and walk them through the workflow.

    Returns {"citizens": {"total", "created"}, "complaints": {"total", "created"},
    "supports": {"total", "created"}, "statuses": {status: count of demo complaints}}.
    """
    people = _People()
    categories = {c.code: c for c in Category.objects.filter(code__in={s.subcategory for s in SPECS})}
    missing = {s.subcategory for s in SPECS} - set(categories)
    if missing:
        raise RuntimeError(f"Missing categories {sorted(missing)}: run `manage.py seed` (reference data) first.")
    keyed = {c.metadata[DEMO_KEY]: c for c in demo_complaints()}
    created = 0
    for position, spec in enumerate(SPECS, start=1):
        if spec.key in keyed:
            continue
        # One transaction per complaint: a failure leaves no half-walked complaint behind.
        with transaction.atomic():
            keyed[spec.key] = _file(spec, people, categories, keyed)
        created += 1
        complaint = keyed[spec.key]
        _say(stdout, f"  [{position}/{len(SPECS)}] {complaint.reference} {complaint.status:<11} {spec.title}")
    supports_created = 0
    for index, key in SUPPORTS:
        complaint, user = keyed[key], people.citizens[index]
        if complaint.citizen_id == user.pk or Support.objects.filter(complaint=complaint, user=user).exists():
            continue
        if not Complaint.objects.get(pk=complaint.pk).is_open:
            continue
        services.complaint_support(complaint=complaint, user=user)
        supports_created += 1
    # A duplicate is a rejected complaint pointing at its original; count it apart.
    statuses = Counter(
        "duplicate" if duplicate_of_id else status
        for status, duplicate_of_id in demo_complaints().values_list("status", "duplicate_of_id")
    )
    total = sum(statuses.values())
    overdue = demo_complaints().overdue().count()
    _say(
        stdout,
        f"  demo complaints: {total} ({created} new), {overdue} overdue, {supports_created} new supports; "
        + ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in sorted(statuses.items())),
    )
    return {
        "citizens": {"total": len(people.citizens), "created": people.created_citizens},
        "complaints": {"total": total, "created": created},
        "supports": {
            "total": Support.objects.filter(complaint__in=demo_complaints()).count(),
            "created": supports_created,
        },
        "statuses": dict(statuses),
    }
