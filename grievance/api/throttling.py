"""DRF's throttles, keyed by `grievance.client_address` instead of DRF's own X-Forwarded-For
reading (which believes the header whenever NUM_PROXIES is unset)."""

from rest_framework import throttling

from grievance.client_address import client_address


class ClientAddressMixin:
    def get_ident(self, request) -> str:
        return client_address(request) or "unknown"


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientAddressMixin, throttling.ScopedRateThrottle):
    pass
