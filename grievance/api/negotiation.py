"""Content negotiation remembered per Accept header (issue 11).

DRF parses the Accept header and matches it against every renderer on each request: a thirtieth
of a complaint's creation. The answer depends only on the header, the format override and the
view's renderer classes, so it is worked out once per process for each combination (bounded) and
reused; refusals (406) are never remembered and always go through DRF.
"""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation

MAX_REMEMBERED = 256
_remembered: dict[tuple, tuple[int, str]] = {}


class RememberedContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        format_override = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (request.META.get("HTTP_ACCEPT", "*/*"), format_override, tuple(type(r) for r in renderers))
        known = _remembered.get(key)
        if known is not None:
            index, media_type = known
            return renderers[index], media_type
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        index = next(i for i, candidate in enumerate(renderers) if candidate is renderer)
        if len(_remembered) >= MAX_REMEMBERED:
            _remembered.clear()
        _remembered[key] = (index, media_type)
        return renderer, media_type
