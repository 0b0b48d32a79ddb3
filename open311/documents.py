"""GeoReport v2 documents built from our rows: the one place that decides which field shows as what.

Service requests are an allow-list of public fields (the public tracking page's, plus the location
"nearby" shows): never the citizen, the citizen's own description or address, internal notes,
escalation reasons or metadata. `description` is the complaint's public title.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from complaints.models import OPEN_STATUSES, Complaint, Status
from departments.models import Category

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this implementation's documents last changed shape (the discovery changeset).
CHANGESET = "2026-11-29T00:00:00Z"
FORMATS = ["text/xml", "application/json"]

# Categories have no extra fields yet, so no service asks for attributes (metadata false). When a
# category grows required extra fields, they are listed here as attribute definitions.
NO_ATTRIBUTES: list[dict] = []


def w3c(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the time zone, as the spec asks (e.g. 2026-11-29T20:15:00+05:30)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def discovery_document(*, endpoint_url: str, contact: str) -> dict:
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": "API keys are issued by the administrators: manage.py create_api_key NAME --scope open311.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": FORMATS,
            }
        ],
    }


def service_document(service: Category) -> dict:
    keywords = [word for word in (service.name_hi, service.parent.name) if word]
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": bool(NO_ATTRIBUTES),
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": service.parent.name,
    }


def service_definition_document(service: Category) -> dict:
    return {"service_code": service.code, "attributes": NO_ATTRIBUTES}


def status_of(complaint: Complaint) -> str:
    return "open" if complaint.status in OPEN_STATUSES else "closed"


def status_notes(complaint: Complaint) -> str | None:
    """The latest public word on the outcome: the resolution note once resolved (and closed after
    it), the closure reason when rejected; nothing while the request is open."""
    if complaint.status in (Status.RESOLVED, Status.CLOSED):
        return complaint.resolution_note or None
    if complaint.status == Status.REJECTED and complaint.closure_reason_id is not None:
        return complaint.closure_reason.name
    return None


def request_document(complaint: Complaint, *, track_url: Callable[[str], str]) -> dict:
    """One service request. `complaint` comes from `selectors.requests_queryset()`."""
    service = complaint.subcategory or complaint.category
    updated = getattr(complaint, "public_updated_at", None) or complaint.created_at
    return {
        "service_request_id": complaint.reference,
        "status": status_of(complaint),
        "status_notes": status_notes(complaint),
        "service_name": service.name if service else None,
        "service_code": service.code if service else None,
        "description": complaint.title,
        "agency_responsible": complaint.department.name if complaint.department_id else None,
        "service_notice": service_notice(complaint.reference, track_url=track_url),
        "requested_datetime": w3c(complaint.created_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(complaint.sla_due_at),
        "lat": float(complaint.latitude) if complaint.latitude is not None else None,
        "long": float(complaint.longitude) if complaint.longitude is not None else None,
    }


def service_notice(reference: str, *, track_url: Callable[[str], str]) -> str:
    return f"Track this request at {track_url(reference)}"


def created_document(complaint: Complaint, *, token: str, account_id: str, track_url: Callable[[str], str]) -> dict:
    """The answer to POST requests: the new request's id and token (both strings)."""
    return {
        "service_request_id": complaint.reference,
        "token": token,
        "service_notice": service_notice(complaint.reference, track_url=track_url),
        "account_id": account_id or None,
    }


def token_document(*, token: str, reference: str | None) -> dict:
    return {"service_request_id": reference, "token": token}
