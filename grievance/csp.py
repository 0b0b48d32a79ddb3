"""Content-Security-Policy: django-csp's middleware plus the map-tile host from settings.

The policy itself is `CONTENT_SECURITY_POLICY` in settings (scripts only from our own origin, no
inline script, no framing). The dashboard's map loads tiles from `MAP_TILE_URL`; that host is added to
`img-src` on each response, so the policy follows the setting without repeating it.
"""

from __future__ import annotations

import http.client as http_client
from dataclasses import asdict
from urllib.parse import urlsplit

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


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

    def process_response(self, request, response):
        """django-csp's process_response (same headers, same exemptions), with each policy string
        built once per process: the policy depends only on settings unless a view decorates its
        response or a template asked for a nonce (a twentieth of a JSON API request went into
        rebuilding the same string). Those responses are built as django-csp builds them."""
        if response.status_code in (http_client.INTERNAL_SERVER_ERROR, http_client.NOT_FOUND) and settings.DEBUG:
            return response
        for report_only, header, setting, exempt in (
            (False, HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt"),
            (True, HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro"),
        ):
            parts = self.get_policy_parts(request=request, response=response, report_only=report_only)
            policy = _policy(parts, report_only)
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp: once the header is written, asking for a nonce is an error.
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


_built: dict = {}


def _policy(parts: PolicyParts, report_only: bool) -> str:
    if parts.config is not None or parts.replace is not None or parts.nonce is not None:
        return build_policy(**asdict(parts), report_only=report_only)
    key = (report_only, repr(parts.update))
    policy = _built.get(key)
    if policy is None:
        policy = _built[key] = build_policy(**asdict(parts), report_only=report_only)
    return policy


@receiver(setting_changed)
def _forget_policies(*, setting, **kwargs):
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY", "MAP_TILE_URL"):
        _built.clear()
