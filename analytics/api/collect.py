"""POST /api/v1/collect: a storefront's batch of events, by publishable key.

Checks run cheapest first: size (413) -> content type (415) -> JSON (400) ->
key (400 missing, 404 unknown) -> origin (403) -> events list (400) -> crawler
(counted, dropped) -> each event on its own -> one write -> 202 after commit.

The body is JSON sent either as `text/plain;charset=UTF-8` (navigator.sendBeacon,
which cannot set headers, so no preflight) or `application/json` (fetch), so it
is read raw and parsed here rather than by a DRF parser, and events are checked
by analytics.events, not by a serializer per event.

Speed (tens of thousands of events a second on two cores): `collect` is a
plain Django view, and CollectFastPath (high in MIDDLEWARE) hands it the request
before the session, CSRF, auth, messages and htmx middleware and DRF's request
wrapping, negotiation and throttles, none of which a keyed, cookieless beacon
uses. CollectView is the same view as DRF sees it, so the OpenAPI schema
documents the endpoint and its errors; errors are still rendered by the API's
one exception handler (core.api.problems), so they are the same problem bodies.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import lru_cache

import orjson
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import NoReverseMatch, get_urlconf, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from analytics import useragents
from analytics.api.serializers import CollectBatchSerializer, CollectReceiptSerializer
from analytics.events import MAX_BATCH, ClockWindow, Rejected, parse_event
from analytics.services import collect as collect_service
from core.api import problems
from core.api.bodies import body_within, media_type, refuse_declared_over
from core.api.schema import problem_response
from ugc.delivery.keys import PREFLIGHT_MAX_AGE, origin_allowed, request_key, site_for_key

ACCEPTED_TYPES = ("application/json", "text/plain")


def _invalid(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def read_batch(request) -> dict:
    """The parsed body, or the problem with it."""
    limit = settings.ANALYTICS_COLLECT_MAX_BYTES
    refuse_declared_over(request, limit)
    content_type = media_type(request)
    if content_type not in ACCEPTED_TYPES:
        raise exceptions.UnsupportedMediaType(
            content_type or "none",
            detail="Send the batch as application/json or text/plain (sendBeacon), "
            f"not {content_type or 'no Content-Type'}.",
        )
    body = body_within(request, limit)
    payload = _parse_json(body)
    if not isinstance(payload, dict):
        raise exceptions.ParseError('The body must be a JSON object: {"events": [...]}.')
    return payload


def _parse_json(body: bytes):
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass  # NaN, integers past 64 bits, lone surrogates: the standard library decides
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None


def batch_events(payload: dict) -> list:
    events = payload.get("events")
    if not isinstance(events, list):
        raise _invalid("events", "A list of events is required.")
    if len(events) > MAX_BATCH:
        raise _invalid("events", f"At most {MAX_BATCH} events per batch, not {len(events)}.")
    return events


def _clock() -> ClockWindow:
    return ClockWindow(
        received_at=timezone.now(),
        past=timedelta(days=settings.ANALYTICS_CLIENT_TIME_MAX_AGE_DAYS),
        future=timedelta(seconds=settings.ANALYTICS_CLIENT_TIME_MAX_AHEAD_SECONDS),
    )


def _bot_pattern():
    return useragents.bot_pattern(
        tuple(settings.ANALYTICS_BOT_USER_AGENTS), settings.ANALYTICS_HEADLESS_IS_BOT
    )


def check_events(raw_events: list, clock: ClockWindow) -> tuple[list, list[dict]]:
    """(good events, [{index, reason}] for the others)."""
    good, rejected = [], []
    for index, raw in enumerate(raw_events):
        try:
            good.append(parse_event(raw, clock))
        except Rejected as exc:
            rejected.append({"index": index, "reason": str(exc)})
    return good, rejected


def collect(request) -> HttpResponse:
    """POST /api/v1/collect and its CORS preflight, as a plain Django view. The
    collector (analytics/api/collector.py) runs the same steps on an event loop."""
    site = None
    try:
        if request.method == "OPTIONS":
            return preflight(request, site_for_key(request.GET.get("key") or ""))
        check_method(request)
        payload = read_batch(request)
        site = check_site(request, site_for_key(batch_key(request, payload)))
        response = _store(request, site, batch_events(payload))
    except Exception as exc:  # every error, a 500 too, becomes a problem body
        response = problem(request, exc)
    if site is None and wants_cors(request):
        site = site_for_key(request_key(request))  # an early 4xx: readable by the widget
    return with_cors(request, response, site)


def _store(request, site: dict, raw_events: list) -> HttpResponse:
    if is_crawler(request):
        collect_service.count_bots(site_id=site["id"], day=timezone.now().date(),
                                   events=len(raw_events))  # fmt: skip
        return receipt(0, 0, [], len(raw_events))
    batch, rejected = checked_batch(request, site, raw_events)
    stored = collect_service.store_events(**batch)
    return receipt(stored.accepted, stored.duplicates, rejected, 0)


def check_method(request) -> None:
    if request.method != "POST":
        raise exceptions.MethodNotAllowed(request.method)


def is_crawler(request) -> bool:
    return useragents.is_bot(request.headers.get("User-Agent", ""), _bot_pattern())


def checked_batch(request, site: dict, raw_events: list) -> tuple[dict, list[dict]]:
    """store_events' arguments for the batch's good events, and the rejected ones."""
    clock = _clock()
    events, rejected = check_events(raw_events, clock)
    batch = {
        "site_id": site["id"],
        "events": events,
        "received_at": clock.received_at,
        "ip_hash": collect_service.address_hash(
            BaseThrottle().get_ident(request), site_id=site["id"], day=clock.received_at.date()
        ),
        "device_class": useragents.device_class(request.headers.get("User-Agent", "")),
    }
    return batch, rejected


def batch_key(request, payload: dict) -> str:
    key = request_key(request) or payload.get("key") or ""
    if not isinstance(key, str) or not key:
        raise _invalid("key", 'A publishable key is needed: ?key=, X-Site-Key or "key".')
    return key


def check_site(request, site: dict | None) -> dict:
    """The key's site, if there is one and the request's origin is among its own."""
    if site is None:
        raise exceptions.NotFound("No site has this publishable key.")
    origin = request.headers.get("Origin")
    if origin is not None and not origin_allowed(site, origin):
        raise exceptions.PermissionDenied("This origin is not among the site's allowed origins.")
    return site


def receipt(accepted: int, duplicates: int, rejected: list, bots: int) -> HttpResponse:
    body = {"accepted": accepted, "duplicates": duplicates, "rejected": rejected, "bots": bots}
    return HttpResponse(
        orjson.dumps(body), status=status.HTTP_202_ACCEPTED, content_type="application/json"
    )


def problem(request, exc: Exception) -> HttpResponse:
    """The API's problem body for this error, from its one exception handler (which also
    turns a lost database into a 503 with Retry-After, and logs a 500)."""
    handled = problems.exception_handler(exc, {"request": request})
    response = JsonResponse(
        handled.data, status=handled.status_code, content_type=problems.PROBLEM_CONTENT_TYPE
    )
    for name, value in handled.headers.items():
        if name.lower() != "content-type":
            response[name] = value
    if handled.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        response["Allow"] = "POST, OPTIONS"
    return response


def wants_cors(request) -> bool:
    """An early 4xx (before the site was known) to a page's script, which can read it
    when the key in the query string names a site that allows the page's origin."""
    return bool(request.headers.get("Origin") and request_key(request))


def with_cors(request, response: HttpResponse, site: dict | None) -> HttpResponse:
    origin = request.headers.get("Origin")
    if site is not None and origin_allowed(site, origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "Retry-After"
    patch_vary_headers(response, ("Origin",))
    return response


def preflight(request, site: dict | None) -> HttpResponse:
    """The CORS preflight of a fetch with application/json: the contract puts the key
    in the query string, so the site, and its origins, are known here."""
    origin = request.headers.get("Origin")
    response = HttpResponse(status=204)
    if site is not None and origin_allowed(site, origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, X-Site-Key"
        response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    patch_vary_headers(response, ("Origin",))
    return response


class CollectFastPath:
    """Middleware, placed right after SecurityMiddleware: a collect request goes straight
    to `collect`, past the middleware and the DRF machinery a cookieless, keyed beacon
    never uses (together about a fifth of a batch's web CPU)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == _collect_path(get_urlconf()):
            request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it
            return collect(request)
        return self.get_response(request)


@lru_cache(maxsize=8)
def _collect_path(urlconf: str | None) -> str | None:
    """The endpoint's path in this URLconf, if it has one (tests may swap URLconfs)."""
    try:
        return reverse("collect", urlconf=urlconf)
    except NoReverseMatch:
        return None


class CollectView(APIView):
    """The collect endpoint as DRF and the OpenAPI schema see it; requests that reach it
    (CollectFastPath normally answers first) are served by `collect`.
    Public: the publishable key is the credential, the site's origins bound CORS.
    Not throttled: a busy storefront sends beacons in bursts, and every one is cheap."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="collect_events",
        summary="Collect a batch of storefront events",
        description=(
            "Up to 500 events per batch, JSON sent as application/json or text/plain "
            "(navigator.sendBeacon). Each event is checked on its own: bad ones are listed "
            "in `rejected` with their index and reason, good ones are stored. An event_id "
            "already stored is counted in `duplicates` and stored once. The 202 comes after "
            "the events are durably stored. Requests from known crawlers are counted in "
            "`bots` and not stored."
        ),
        parameters=[
            OpenApiParameter(
                "key",
                OpenApiTypes.STR,
                description="The site's publishable key; or X-Site-Key, or `key` in the body.",
            ),
        ],
        request=CollectBatchSerializer,
        responses={
            202: CollectReceiptSerializer,
            400: problem_response("Not JSON, no events list, over 500 events, or no key"),
            403: problem_response("The Origin is not among the site's allowed origins"),
            404: problem_response("No site has this publishable key"),
            413: problem_response("The body is larger than ANALYTICS_COLLECT_MAX_BYTES"),
            415: problem_response("Neither application/json nor text/plain"),
            503: OpenApiResponse(
                description="The database cannot be reached; retry after Retry-After seconds"
            ),
        },
        tags=["public"],
    )
    def post(self, request):
        return collect(request._request)

    def options(self, request, *args, **kwargs):
        return collect(request._request)
