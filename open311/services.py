"""Filing a GeoReport service request: through the same complaint service as the REST API, once."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.services import citizen_get_or_create, citizen_get_or_create_by_email
from complaints import services as complaint_services
from complaints.models import Complaint, Source
from open311.models import ServiceRequestToken

# Posted fields that are not part of what a request *is*: the credential may rotate between retries.
NOT_FINGERPRINTED = frozenset({"api_key"})
# Posted fields kept with the complaint (for staff and for answering the client), never shown publicly.
KEPT_IN_METADATA = ("jurisdiction_id", "address_id", "device_id", "account_id", "media_url")


@dataclass(frozen=True)
class FiledRequest:
    complaint: Complaint
    token: str
    replayed: bool


def request_fingerprint(*, owner: User, items: list[tuple[str, list[str]]]) -> str:
    """One hash for "the same client posted the same fields": the service account plus every posted
    field and value (order-insensitive), `api_key` aside. device_id counts like any field."""
    canonical = sorted((key, sorted(values)) for key, values in items if key not in NOT_FINGERPRINTED)
    payload = json.dumps([owner.pk, canonical], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _citizen(data: dict[str, Any]) -> User:
    full_name = " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part)
    if data.get("phone"):
        citizen, _ = citizen_get_or_create(phone=data["phone"], full_name=full_name)
    else:
        citizen, _ = citizen_get_or_create_by_email(email=data["email"], full_name=full_name)
    return citizen


def _existing(owner: User, fingerprint: str) -> FiledRequest | None:
    record = (
        ServiceRequestToken.objects.select_related("complaint")
        .filter(owner=owner, fingerprint=fingerprint, complaint__isnull=False)
        .first()
    )
    return FiledRequest(complaint=record.complaint, token=record.token, replayed=True) if record else None


def service_request_file(
    *, service_account: User, data: dict[str, Any], attributes: dict[str, Any], fingerprint: str
) -> FiledRequest:
    """File the request for the citizen it names (by phone, else by email; created when new), with
    the service account as the one who filed it. A second POST with the same fingerprint returns
    the first request (`replayed`), also when both arrive at once: the fingerprint row is claimed
    first, so the later one waits on it and then finds the filed request.
    """
    existing = _existing(service_account, fingerprint)
    if existing is not None:
        return existing
    service = data["service_code"]
    metadata = {key: data[key] for key in KEPT_IN_METADATA if data.get(key)}
    if attributes:
        metadata["attributes"] = attributes
    try:
        with transaction.atomic():
            record = ServiceRequestToken.objects.create(
                owner=service_account, fingerprint=fingerprint, token=secrets.token_urlsafe(18)
            )
            complaint = complaint_services.complaint_create(
                citizen=_citizen(data),
                created_by=service_account,
                # The title is public (it is the request's description in reads): the service's
                # name, never the reporter's own words, which may carry personal details.
                title=service.name,
                description=data.get("description") or service.name,
                category=service.parent,
                subcategory=service,
                latitude=data.get("lat"),
                longitude=data.get("long"),
                address=data.get("address_string") or "",
                source=Source.OPEN311,
                metadata={"open311": metadata},
            )
            record.complaint = complaint
            record.save(update_fields=["complaint"])
            return FiledRequest(complaint=complaint, token=record.token, replayed=False)
    except IntegrityError:
        existing = _existing(service_account, fingerprint)
        if existing is None:
            raise
        return existing
