"""Every change to a complaint, one function per operation.

REST views, citizen pages, admin actions, commands and Celery tasks all call these. Each runs in a
transaction, locks the complaint row, checks the workflow table and the policies
(`complaints.policies`), and writes a ComplaintEvent, which the outbox hands to its consumers
(notifications, analytics, ...) after commit.

- core: lock, transition, record_event, input rules (shared by the modules below)
- lifecycle: create, triage, assign, start, resolve, close, reopen, reject, duplicate
- escalation: complaints_escalate (a set; complaint_escalate is a set of one), escalation requests
- participation: comments and internal notes, support ("me too"), attachments
- intake: filing with attachments (all or nothing), idempotent filing for services
- sweeps: the SLA escalation sweep and auto-close (the command and the beat task call them)
"""

from complaints.services.escalation import (
    complaint_escalate,
    complaints_escalate,
    escalation_request_approve,
    escalation_request_create,
    escalation_request_reject,
)
from complaints.services.intake import complaint_create_idempotent, complaint_create_with_attachments
from complaints.services.lifecycle import (
    complaint_assign,
    complaint_close,
    complaint_create,
    complaint_mark_duplicate,
    complaint_reject,
    complaint_reopen,
    complaint_resolve,
    complaint_start,
    complaint_triage,
    reopen_window,
)
from complaints.services.participation import attachment_add, comment_add, complaint_support

__all__ = [
    "attachment_add",
    "comment_add",
    "complaint_assign",
    "complaint_close",
    "complaint_create",
    "complaint_create_idempotent",
    "complaint_create_with_attachments",
    "complaint_escalate",
    "complaints_escalate",
    "complaint_mark_duplicate",
    "complaint_reject",
    "complaint_reopen",
    "complaint_resolve",
    "complaint_start",
    "complaint_support",
    "complaint_triage",
    "escalation_request_approve",
    "escalation_request_create",
    "escalation_request_reject",
    "reopen_window",
]
