"""GeoReport errors: a list of {code, description}, with 400, 403 or 404, in the negotiated format."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from grievance.errors import DomainError


class GeoReportError(Exception):
    """Raised by the Open311 code for a request the spec answers with an error document."""

    def __init__(self, status_code: int, *descriptions: str):
        super().__init__("; ".join(descriptions))
        self.status_code = status_code
        self.descriptions = list(descriptions)


def bad_request(*descriptions: str) -> GeoReportError:
    return GeoReportError(400, *descriptions)


def not_found(description: str) -> GeoReportError:
    return GeoReportError(404, description)


def validation_descriptions(exc: DjangoValidationError) -> list[str]:
    """'field: message' for each message, the way a client developer reads them."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [
        message if field in ("__all__", "non_field_errors") or message.startswith(field) else f"{field}: {message}"
        for field, messages in exc.message_dict.items()
        for message in messages
    ]


def _drf_descriptions(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        return [d for key, value in detail.items() for d in _drf_descriptions(value, f"{key}: ")]
    if isinstance(detail, list):
        return [d for value in detail for d in _drf_descriptions(value, prefix)]
    return [f"{prefix}{detail}"]


def _status_and_descriptions(exc: Exception) -> tuple[int, list[str]] | None:
    if isinstance(exc, GeoReportError):
        return exc.status_code, exc.descriptions
    if isinstance(exc, DjangoValidationError):
        return 400, validation_descriptions(exc)
    if isinstance(exc, DomainError):
        # A service's refusal (e.g. a conflict while filing) is still the client's request to fix.
        return (403 if exc.status_code == 403 else 400), [exc.message]
    if isinstance(exc, RequestDataTooBig):
        return 400, ["The request body is too large."]
    if isinstance(exc, SuspiciousOperation):  # e.g. more form fields than Django reads
        return 400, ["The request could not be read."]
    if isinstance(exc, Http404):
        return 404, ["Not found."]
    if isinstance(exc, exceptions.NotAuthenticated):
        return 403, ["api_key was not provided."]
    if isinstance(exc, exceptions.AuthenticationFailed):
        return 403, ["Invalid api_key."]
    if isinstance(exc, PermissionDenied | exceptions.PermissionDenied):
        return 403, [str(getattr(exc, "detail", "")) or "This api_key may not do this."]
    if isinstance(exc, exceptions.NotFound):
        return 404, [str(exc.detail)]
    if isinstance(exc, exceptions.MethodNotAllowed | exceptions.Throttled):
        # Outside the spec's list, but their own status says more than a 400 would.
        return exc.status_code, _drf_descriptions(exc.detail)
    if isinstance(exc, exceptions.APIException):
        return 400, _drf_descriptions(exc.detail)
    return None


def georeport_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler for the Open311 views; None (a real 500) only for unexpected errors."""
    mapped = _status_and_descriptions(exc)
    if mapped is None:
        return None
    status_code, descriptions = mapped
    headers = {"Retry-After": str(exc.wait)} if isinstance(exc, exceptions.Throttled) and exc.wait else None
    body = [{"code": status_code, "description": description} for description in descriptions]
    return Response(body, status=status_code, headers=headers)
