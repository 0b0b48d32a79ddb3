"""GeoReport sends the API key as the `api_key` form or query parameter; the project's key header works too."""

from __future__ import annotations

from rest_framework import exceptions

from accounts.authentication import ApiKeyAuthentication


class GeoReportApiKeyAuthentication(ApiKeyAuthentication):
    """`Authorization: Api-Key <key>` first, then `api_key` in the form body or the query string.

    The key itself is checked by the project's ApiKeyAuthentication (unknown, revoked and
    deactivated keys all fail the same way); only where it is read from differs.
    """

    def authenticate(self, request):
        from_header = super().authenticate(request)
        if from_header is not None:
            return from_header
        raw = request.query_params.get("api_key")
        if not raw:
            try:
                raw = request.data.get("api_key")
            except exceptions.ParseError:
                raw = None
        if not raw:
            return None
        if not isinstance(raw, str) or len(raw) > 200 or not raw.isprintable():
            raise exceptions.AuthenticationFailed("Invalid api_key.")
        return self.authenticate_key(raw.strip())
