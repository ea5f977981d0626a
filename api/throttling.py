"""DRF's throttles, counting per client address as the rest of the portal does (smartcity5.clientip)."""

from rest_framework import throttling

from smartcity5.clientip import client_ip


class ClientAddressMixin:
    def get_ident(self, request):
        # DRF's own reading trusts the whole X-Forwarded-For when NUM_PROXIES is unset, so a client could pick
        # a new identity for every request.
        return client_ip(request)


class AnonRateThrottle(ClientAddressMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientAddressMixin, throttling.UserRateThrottle):
    pass
