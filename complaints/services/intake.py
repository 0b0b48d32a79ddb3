"""Filing with more than the form: attachments in the same all-or-nothing step, and idempotent
intake for services that retry (AI intake, bots, Open311)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from accounts.models import User
from complaints.models import Complaint, IdempotencyRecord
from complaints.services.lifecycle import complaint_create
from complaints.services.participation import attachment_add
from grievance.errors import Conflict


def complaint_create_with_attachments(*, uploads: list[UploadedFile], **fields: Any) -> Complaint:
    """File a complaint and its attachments together: all of it, or nothing (rows and stored files).

    `fields` are complaint_create's arguments; `uploaded_by` of each attachment is `created_by`.
    """
    stored: list = []
    try:
        with transaction.atomic():
            complaint = complaint_create(**fields)
            for upload in uploads:
                attachment = attachment_add(complaint=complaint, uploaded_by=fields["created_by"], upload=upload)
                stored.append(attachment.file)
    except BaseException:
        # The rows roll back with the transaction; files already written must go too.
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise
    return complaint


def complaint_create_idempotent(
    *, owner: User, key: str, fingerprint: str, create: Callable[[], Complaint]
) -> tuple[Complaint, bool]:
    """Run `create` once per (owner, idempotency key); returns (complaint, replayed).

    The key's row is claimed first, in the creating transaction: a concurrent retry waits on it and
    then gets the complaint the first call filed. The same key with a different request
    (`fingerprint`, e.g. a hash of the body) is a Conflict.
    """
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(owner=owner, key=key, request_fingerprint=fingerprint)
            complaint = create()
            record.complaint = complaint
            record.save(update_fields=["complaint"])
            return complaint, False
    except IntegrityError:
        record = IdempotencyRecord.objects.select_related("complaint").filter(owner=owner, key=key).first()
        if record is None:
            raise
    if record.request_fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was already used with a different request.")
    if record.complaint is None:
        raise Conflict("The complaint filed with this Idempotency-Key no longer exists.")
    return record.complaint, True
