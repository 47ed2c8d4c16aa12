"""The public API's throttles: per publishable key and per client address, as fixed
windows counted in the shared cache. The hot path (ugc/delivery/hot.py) counts in the
same windows without making the throttle classes."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from ugc.delivery.keys import key_ident, request_key


class _PublicThrottle(SimpleRateThrottle):
    """A fixed-window counter: one cache increment per request, whatever the rate.

    DRF's own throttle keeps every request's timestamp in one cached list, which it
    reads and rewrites on each request: at a high rate that list is the hot path's
    biggest cost. A window may let up to twice the rate through across its edge,
    which is enough to stop abuse.
    """

    def get_rate(self):
        # Read at call time, so a settings change (or a test's override) applies.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def ident(self, request) -> str | None:
        """Whom this throttle counts (None: it does not apply to the request)."""
        raise NotImplementedError

    def allow_request(self, request, view):
        ident = self.ident(request)
        now = self.timer()
        window = None if ident is None else throttle_window(self.scope, ident, now)
        if window is None:
            return True
        counter_key, ttl, limit = window
        self.wait_seconds = (ttl - 1) - now % (ttl - 1)
        return count_request(counter_key, ttl) <= limit

    def wait(self):
        return self.wait_seconds


@functools.lru_cache(maxsize=32)
def _parsed_rate(rate: str) -> tuple[int, int]:
    return SimpleRateThrottle.parse_rate(None, rate)  # (requests, seconds); uses no state


def throttle_window(scope: str, ident: str, now: float) -> tuple[str, int, int] | None:
    """(this window's counter key, its lifetime in seconds, the requests it allows) for
    one client of a public throttle; None when the scope has no rate. The hot path
    counts in the same windows as the throttle classes, without making them."""
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]
    if rate is None:
        return None
    limit, duration = _parsed_rate(rate)
    return f"throttle_{scope}_{ident}:{int(now // duration)}", duration + 1, limit


def count_request(counter_key: str, ttl: int, requests: int = 1) -> int:
    """Add requests to a throttle window's counter; the count including them."""
    if cache.add(counter_key, requests, ttl):
        return requests
    try:
        return cache.incr(counter_key, requests)
    except ValueError:  # expired between add and incr: a new window
        cache.set(counter_key, requests, ttl)
        return requests


class PublicKeyThrottle(_PublicThrottle):
    scope = "public_key"

    def ident(self, request) -> str | None:
        return key_ident(request_key(request))


class PublicAddressThrottle(_PublicThrottle):
    scope = "public_ip"

    def ident(self, request) -> str | None:
        return self.get_ident(request)
