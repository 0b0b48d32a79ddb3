"""Where escalation used to live; kept so existing imports work. The code is in
`complaints.services.escalation` (escalating, requests), `complaints.services.sweeps` (the sweep and
auto-close) and `complaints.selectors` (who sees which requests)."""

from complaints.selectors import escalation_requests_visible_to
from complaints.services.escalation import (
    complaint_escalate,
    escalation_request_approve,
    escalation_request_create,
    escalation_request_reject,
)
from complaints.services.sweeps import (
    AUTOMATIC_REASON,
    CLAIM_CHUNK,
    PlannedEscalation,
    SweepResult,
    close_expired_resolved,
    escalate_overdue,
)

__all__ = [
    "AUTOMATIC_REASON",
    "CLAIM_CHUNK",
    "PlannedEscalation",
    "SweepResult",
    "close_expired_resolved",
    "complaint_escalate",
    "escalate_overdue",
    "escalation_request_approve",
    "escalation_request_create",
    "escalation_request_reject",
    "escalation_requests_visible_to",
]
