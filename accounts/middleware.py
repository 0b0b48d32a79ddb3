"""A signed-in person's saved language wins over the browser's Accept-Language.

Runs after `AuthenticationMiddleware`; Django's `LocaleMiddleware` (earlier) has already chosen
from the language cookie or the browser for anonymous visitors, and still sets `Content-Language`
on the way out from whatever is active.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class PreferredLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.preferred_language in SUPPORTED:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return self.get_response(request)
