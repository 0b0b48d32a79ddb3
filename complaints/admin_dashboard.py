"""What the admin index shows each person first: their queue, what is late, what nobody has.

Counted over the visibility gate in one aggregate query, so the dashboard costs the same whatever
the number of complaints, and each count links to the changelist filtered the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import OPEN_STATUSES, Complaint, EscalationRequest, Status
from complaints.querysets import overdue_q
from complaints.selectors import escalation_requests_visible_to


@dataclass(frozen=True)
class DashboardTile:
    key: str
    label: str
    count: int
    url: str


def admin_dashboard(user) -> list[DashboardTile]:
    """The index tiles for `user`: my open queue, overdue, unassigned, awaiting triage, pending
    escalation requests. A fixed number of queries whatever the data."""
    now = timezone.now()
    is_open = Q(status__in=OPEN_STATUSES)
    counts = Complaint.objects.visible_to(user).aggregate(
        mine=Count("pk", filter=is_open & Q(assignee_id=user.pk)),
        overdue=Count("pk", filter=overdue_q(now)),
        unassigned=Count("pk", filter=is_open & Q(assignee__isnull=True)),
        new=Count("pk", filter=Q(status=Status.NEW)),
    )
    pending_requests = (
        escalation_requests_visible_to(user).filter(state=EscalationRequest.State.PENDING).count()
    )
    changelist = reverse("admin:complaints_complaint_changelist")
    requests_changelist = reverse("admin:complaints_escalationrequest_changelist")
    return [
        DashboardTile("mine", str(_("My open queue")), counts["mine"], f"{changelist}?status=open&assigned=me"),
        DashboardTile("overdue", str(_("Overdue")), counts["overdue"], f"{changelist}?overdue=yes"),
        DashboardTile(
            "unassigned",
            str(_("Unassigned in my departments")),
            counts["unassigned"],
            f"{changelist}?status=open&assigned=nobody",
        ),
        DashboardTile("new", str(_("Awaiting triage")), counts["new"], f"{changelist}?status=new"),
        DashboardTile(
            "escalation_requests",
            str(_("Pending escalation requests")),
            pending_requests,
            f"{requests_changelist}?state__exact={EscalationRequest.State.PENDING}",
        ),
    ]
