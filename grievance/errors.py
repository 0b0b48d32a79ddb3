"""Domain errors raised by services and mapped to HTTP by one exception handler.

Services stay independent of HTTP: they raise these, and `grievance.api.exceptions` turns each
into a stable JSON shape with the right status code.
"""


class DomainError(Exception):
    """Base for errors a caller can act on. `code` is stable and machine-readable."""

    code = "domain_error"
    status_code = 400

    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class Conflict(DomainError):
    """The request clashes with the current state (duplicate unique value, stale state)."""

    code = "conflict"
    status_code = 409


class TransitionNotAllowed(Conflict):
    """A workflow action that the complaint's current status (or the actor's role) does not allow."""

    code = "transition_not_allowed"


class PayloadTooLarge(DomainError):
    """An upload larger than the limit for its kind."""

    code = "payload_too_large"
    status_code = 413


class ActionForbidden(DomainError):
    """The actor's role may not perform this action at all."""

    code = "permission_denied"
    status_code = 403
