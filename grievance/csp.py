"""Content-Security-Policy: django-csp's middleware plus the map-tile host from settings.

The policy itself is `CONTENT_SECURITY_POLICY` in settings (scripts only from our own origin, no
inline script, no framing). The dashboard's map loads tiles from `MAP_TILE_URL`; that host is added to
`img-src` on each response, so the policy follows the setting without repeating it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


def tile_image_source(url: str) -> str | None:
    """The CSP source for a Leaflet tile URL template: `https://{s}.tile.example.org/{z}/{x}/{y}.png`
    -> `https://*.tile.example.org`. None if no (usable) URL is configured."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "*"))
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or "{" in host or "}" in host:
        return None
    if "*" in host and not host.startswith("*.") or host.count("*") > 1:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


class GrievanceCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        source = tile_image_source(settings.MAP_TILE_URL)
        if source:
            update = dict(parts.update or {})
            img_src = update.get("img-src") or []
            update["img-src"] = [*([img_src] if isinstance(img_src, str) else img_src), source]
            parts.update = update
        return parts
