"""What the admin index shows each person first: the queues they can act on.

Each tile is shown only to a role that can do something about its rows (triage the new ones, assign
the unassigned, work their own, decide escalation requests), so an executive sees no work tiles and a
dispatcher no "my queue". Counted over the visibility gate in one aggregate query (plus one for the
requests), so the dashboard costs the same whatever the number of complaints, and each count links
to the changelist filtered the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from complaints.models import OPEN_STATUSES, Complaint, EscalationRequest, Status
from complaints.querysets import overdue_q
from complaints.selectors import escalation_requests_visible_to
from complaints.workflow import TRANSITIONS

# Who can act on each tile's rows: the workflow table's roles for the action the tile leads to.
TILE_ROLES: dict[str, frozenset[str]] = {
    "new": TRANSITIONS["triage"].roles,
    "unassigned": TRANSITIONS["assign"].roles,
    "mine": TRANSITIONS["resolve"].roles,
    # Late work is acted on by whoever works, routes or escalates it.
    "overdue": TRANSITIONS["resolve"].roles | TRANSITIONS["assign"].roles | TRANSITIONS["escalate"].roles,
    # Deciding a request (policies.may_decide_escalation): managers and admins.
    "escalation_requests": frozenset({Role.MANAGER, Role.ADMIN}),
}


@dataclass(frozen=True)
class DashboardTile:
    key: str
    label: str
    count: int
    url: str


def admin_dashboard(user) -> list[DashboardTile]:
    """The index tiles for `user`, only those their role can act on: awaiting triage, unassigned,
    my open queue, overdue, pending escalation requests. A fixed number of queries whatever the data."""
    role = user.role
    keys = [key for key, roles in TILE_ROLES.items() if role in roles]
    if not keys:
        return []
    now = timezone.now()
    is_open = Q(status__in=OPEN_STATUSES)
    counts = Complaint.objects.visible_to(user).aggregate(
        mine=Count("pk", filter=is_open & Q(assignee_id=user.pk)),
        overdue=Count("pk", filter=overdue_q(now)),
        unassigned=Count("pk", filter=is_open & Q(assignee__isnull=True)),
        new=Count("pk", filter=Q(status=Status.NEW)),
    )
    if "escalation_requests" in keys:
        counts["escalation_requests"] = (
            escalation_requests_visible_to(user).filter(state=EscalationRequest.State.PENDING).count()
        )
    changelist = reverse("admin:complaints_complaint_changelist")
    requests_changelist = reverse("admin:complaints_escalationrequest_changelist")
    tiles = {
        "new": (_("Awaiting triage"), f"{changelist}?status=new"),
        "unassigned": (_("Unassigned in my departments"), f"{changelist}?status=open&assigned=nobody"),
        "mine": (_("My open queue"), f"{changelist}?status=open&assigned=me"),
        "overdue": (_("Overdue"), f"{changelist}?overdue=yes"),
        "escalation_requests": (
            _("Pending escalation requests"),
            f"{requests_changelist}?state__exact={EscalationRequest.State.PENDING}",
        ),
    }
    return [DashboardTile(key, str(tiles[key][0]), counts[key], tiles[key][1]) for key in keys]
