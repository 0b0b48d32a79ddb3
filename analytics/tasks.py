"""Celery tasks of analytics: thin, they call `analytics.xlsx` and own their failure handling."""

from __future__ import annotations

import logging

from celery import shared_task

from analytics import xlsx

logger = logging.getLogger(__name__)


@shared_task(name="analytics.tasks.build_xlsx_export", acks_late=True, ignore_result=True)
def build_xlsx_export(job_id: str) -> str | None:
    """Build one XLSX export (idempotent: a job already built or being built is left alone)."""
    try:
        job = xlsx.export_build(job_id)
    except Exception:
        logger.exception("XLSX export %s failed", job_id)
        xlsx.export_failed(job_id)  # the requester sees "failed" and may ask again; no blind retry
        return "failed"
    return None if job is None else job.status
