"""Conversation and participation: comments and internal notes, "me too" support, attachments."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext

from accounts.models import User
from complaints import policies
from complaints.attachments import clean_upload
from complaints.models import Attachment, Comment, Complaint, Support
from complaints.services.core import Action, lock, record_event, require_text
from grievance.errors import Conflict


@transaction.atomic
def comment_add(*, complaint: Complaint, author: User, body: str, is_internal: bool = False) -> Comment:
    """A public reply (citizen or staff) or an internal note (staff only, never shown to citizens)."""
    policies.enforce(policies.may_write(author))
    body = require_text(body, "body", gettext("Write a comment."))
    current = lock(complaint)
    policies.enforce(policies.may_comment(author, current, internal=is_internal))
    comment = Comment.objects.create(complaint=current, author=author, body=body, is_internal=is_internal)
    current.save(update_fields=["updated_at"])
    record_event(
        complaint=current,
        actor=author,
        action=Action.INTERNAL_NOTE if is_internal else Action.COMMENTED,
        note=body,
        is_internal=is_internal,
        changes={"comment_id": comment.pk},
    )
    return comment


@transaction.atomic
def complaint_support(*, complaint: Complaint, user: User) -> Complaint:
    """A citizen says "me too" to an open complaint of someone else; once."""
    current = lock(complaint)
    policies.enforce(policies.may_support(user, current))
    try:
        with transaction.atomic():
            Support.objects.create(complaint=current, user=user)
    except IntegrityError:
        raise Conflict(gettext("You already support this complaint.")) from None
    Complaint.objects.filter(pk=current.pk).update(supporters_count=F("supporters_count") + 1)
    current.refresh_from_db(fields=["supporters_count"])
    record_event(complaint=current, actor=user, action=Action.SUPPORTED)
    return current


def attachment_add(*, complaint: Complaint, uploaded_by: User, upload: UploadedFile) -> Attachment:
    """Store a cleaned file and attach it. A failure leaves neither a row nor an orphan file."""
    policies.enforce(policies.may_write(uploaded_by))
    clean = clean_upload(upload)
    original_name = (upload.name or "")[:200]
    stored_name: str | None = None
    attachment = Attachment(
        complaint_id=complaint.pk,
        uploaded_by=uploaded_by,
        content_type=clean.content_type,
        size=len(clean.content),
        original_name=original_name,
    )
    try:
        with transaction.atomic():
            current = lock(complaint)
            policies.enforce(policies.may_attach(uploaded_by, current))
            if current.attachments.count() >= settings.COMPLAINT_MAX_ATTACHMENTS:
                raise Conflict(
                    gettext("A complaint can have at most %(count)s attachments.")
                    % {"count": settings.COMPLAINT_MAX_ATTACHMENTS}
                )
            attachment.file.save(f"upload{clean.suffix}", ContentFile(clean.content), save=False)
            stored_name = attachment.file.name
            attachment.save()
            record_event(
                complaint=current,
                actor=uploaded_by,
                action=Action.ATTACHMENT_ADDED,
                changes={"attachment_id": attachment.pk, "content_type": clean.content_type},
            )
    except BaseException:
        if stored_name:
            attachment.file.storage.delete(stored_name)
        raise
    return attachment
