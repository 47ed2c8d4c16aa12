"""The public gallery API: what a storefront's widget reads, with a publishable key.

No login: the key (``?key=`` or ``X-Site-Key``) names the site, the site's
allowed origins bound CORS, and every asset comes from
``ugc.selectors.gallery_assets()``, itself a subset of ``publishable_assets()``.

A hot gallery costs no database query: the site, the gallery and the rendered
body are cached (ugc/gallery_cache.py), and any change that may affect a gallery
moves a version token so that the next response is computed afresh.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from redis import exceptions as redis_errors
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from ugc import cdn, gallery_cache, gallery_leases, gallery_variants
from ugc.models import Asset, Gallery, ProductTag, Rendition, Site
from ugc.selectors import gallery_page

MAX_LIMIT = 50
CACHE_CONTROL = "public, max-age=30, s-maxage=60, stale-while-revalidate=300"
LOADER_PATH = "/static/ugc/ugc-gallery.js"
PREFLIGHT_MAX_AGE = "86400"


def request_key(request) -> str:
    # request.GET: the same on DRF's Request and on Django's (the hot path has no DRF).
    return request.GET.get("key") or request.headers.get("X-Site-Key") or ""


# --- throttling -----------------------------------------------------------------------


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


def key_ident(publishable_key: str) -> str | None:
    return hashlib.sha256(publishable_key.encode()).hexdigest()[:32] if publishable_key else None


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


# --- lookups, cached ------------------------------------------------------------------


# What new_publishable_key makes: "pk_live_" and URL-safe base64.
KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,100}")


def site_for_key(key: str, version: str | None = None) -> dict | None:
    """The site (``{"id", "allowed_origins"}``) with this publishable key, cached; also
    used by the analytics collect endpoint, which takes the same key."""
    if not KEY_SHAPE.fullmatch(key):  # keys are URL-safe tokens; a NUL would be a 500
        return None
    version = version or gallery_cache.global_version()
    cache_key = gallery_cache.site_key(key, version)
    site = cache.get(cache_key)
    if site is None:
        row = Site.objects.filter(publishable_key=key).values("id", "allowed_origins").first()
        site = row or {}
        cache.set(cache_key, site, gallery_cache.cache_seconds())
    return site or None


def _gallery_for(site_id: int, slug: str, version: str) -> dict | None:
    cache_key = gallery_cache.gallery_lookup_key(site_id, slug, version)
    gallery = cache.get(cache_key)
    if gallery is None:
        row = Gallery.objects.filter(site_id=site_id, slug=slug).values("id").first()
        gallery = row or {}
        cache.set(cache_key, gallery, gallery_cache.cache_seconds())
    return gallery or None


def origin_allowed(site: dict, origin: str | None) -> bool:
    return origin is not None and origin in (site.get("allowed_origins") or [])


# --- parameters -----------------------------------------------------------------------


def _invalid(field: str, message: str):
    return exceptions.ValidationError({field: [message]})


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = raw.partition(":")
        offset = int(number)
        if kind != "o" or offset < 0 or len(cursor) > 40:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _invalid("cursor", "Not a cursor this API gave out.") from None
    return offset


def _limit(value: str | None, default: int) -> int:
    if value in (None, ""):
        return min(default, MAX_LIMIT)
    try:
        limit = int(value)
    except ValueError:
        raise _invalid("limit", f"A whole number from 1 to {MAX_LIMIT}.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit", f"A whole number from 1 to {MAX_LIMIT}.")
    return limit


# --- the body -------------------------------------------------------------------------


def _srcset(renditions) -> dict[str, str]:
    by_format: dict[str, list[str]] = {}
    for rendition in renditions:
        if rendition.kind == "image":
            by_format.setdefault(rendition.format, []).append(
                f"{rendition.file.url} {rendition.width}w"
            )
    return {fmt: ", ".join(entries) for fmt, entries in by_format.items()}


def _item(asset) -> dict:
    renditions = list(asset.renditions.all())
    creator = asset.creator
    return {
        "id": asset.pk,
        "media_type": asset.media_type,
        "width": asset.width,
        "height": asset.height,
        "alt_text": asset.alt_text,
        "placeholder": asset.placeholder,
        "dominant_color": asset.dominant_colors[0] if asset.dominant_colors else None,
        "renditions": [
            {
                "kind": r.kind,
                "format": r.format,
                "width": r.width,
                "height": r.height,
                "url": r.file.url,
            }
            for r in renditions
        ],
        "srcset": _srcset(renditions),
        "caption": asset.caption,  # plain text: the widget sets it as text, never HTML
        "creator": {"handle": creator.handle, "platform": creator.platform} if creator else None,
        "permalink": asset.permalink,
        "products": [
            {
                "sku": tag.product.sku,
                "title": tag.product.title,
                "price": None if tag.product.price is None else str(tag.product.price),
                "currency": tag.product.currency,
                "url": tag.product.url,
                "image_url": tag.product.image_url,
                "hotspot_x": tag.hotspot_x,
                "hotspot_y": tag.hotspot_y,
            }
            for tag in asset.product_tags.all()
        ],
    }


def render_gallery(
    gallery_id: int, *, product: str, offset: int, limit: int | None, extra: dict | None = None
):
    """(body bytes, seconds it may be cached): the page of the gallery from `offset`, with
    `extra` top-level fields (an experiment's and variant's names)."""
    gallery = Gallery.objects.get(pk=gallery_id)
    limit = _limit(None, gallery.size) if limit is None else limit
    end = min(offset + limit, gallery.size)
    now = timezone.now()
    # One more than the page: is there a next one? (None past the end, as before.)
    ids = []
    if offset < end:
        ids = gallery_page(gallery, product or None, start=offset, stop=end + 1, now=now)
    assets = (
        Asset.objects.filter(pk__in=ids)
        .select_related("creator")
        .prefetch_related(
            Prefetch("renditions", queryset=Rendition.objects.order_by("kind", "format", "width")),
            Prefetch(
                "product_tags",
                queryset=ProductTag.objects.filter(accepted=True, dismissed=False)
                .select_related("product")
                .order_by("id"),
            ),
        )
    )
    by_id = {asset.pk: asset for asset in assets} if ids else {}
    page = [by_id[pk] for pk in ids if pk in by_id]  # one deleted in between is left out
    more = len(page) > end - offset and end < gallery.size
    page = page[: max(end - offset, 0)]
    body = {
        "gallery": {"slug": gallery.slug, "title": gallery.title, "layout": gallery.layout},
        "items": [_item(asset) for asset in page],
        "next_cursor": encode_cursor(end) if more else None,
        **(extra or {}),
    }
    timeout = gallery_cache.cache_seconds()
    expiries = [a.rights_expires_at for a in page if a.rights_expires_at is not None]
    if expiries:  # a cached body never outlives a grant it shows
        seconds = (min(expiries) - now) / timedelta(seconds=1)
        timeout = max(1, min(timeout, int(seconds)))
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return data, timeout


# --- views ----------------------------------------------------------------------------

_product_fields = {
    "sku": serializers.CharField(),
    "title": serializers.CharField(),
    "price": serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True),
    "currency": serializers.CharField(),
    "url": serializers.CharField(),
    "image_url": serializers.CharField(),
    "hotspot_x": serializers.FloatField(allow_null=True),
    "hotspot_y": serializers.FloatField(allow_null=True),
}
_item_fields = {
    "id": serializers.IntegerField(),
    "media_type": serializers.CharField(help_text="image or video"),
    "width": serializers.IntegerField(allow_null=True),
    "height": serializers.IntegerField(allow_null=True),
    "alt_text": serializers.CharField(),
    "placeholder": serializers.CharField(help_text="blurhash"),
    "dominant_color": serializers.CharField(allow_null=True, help_text="#rrggbb"),
    "renditions": inline_serializer(
        "PublicRendition",
        {
            "kind": serializers.CharField(),
            "format": serializers.CharField(),
            "width": serializers.IntegerField(),
            "height": serializers.IntegerField(),
            "url": serializers.CharField(),
        },
        many=True,
    ),
    "srcset": serializers.DictField(
        child=serializers.CharField(), help_text="One srcset string per image format."
    ),
    "caption": serializers.CharField(help_text="Plain text; never render it as HTML."),
    "creator": inline_serializer(
        "PublicCreator",
        {"handle": serializers.CharField(), "platform": serializers.CharField()},
        allow_null=True,
    ),
    "permalink": serializers.CharField(),
    "products": inline_serializer("PublicTaggedProduct", _product_fields, many=True),
}
_gallery_schema = inline_serializer(
    "PublicGallery",
    {
        "gallery": inline_serializer(
            "PublicGalleryInfo",
            {
                "slug": serializers.CharField(),
                "title": serializers.CharField(),
                "layout": serializers.CharField(help_text="grid, carousel or masonry"),
            },
        ),
        "items": inline_serializer("PublicGalleryItem", _item_fields, many=True),
        "next_cursor": serializers.CharField(
            allow_null=True, help_text="Pass as ?cursor= for the next page; null at the end."
        ),
        "experiment": serializers.CharField(
            required=False, help_text="The slot's running experiment (only with ?visitor=)."
        ),
        "variant": serializers.CharField(
            required=False, help_text="The visitor's variant; events report it back."
        ),
        "experiment_pending": serializers.BooleanField(
            required=False,
            help_text="An experiment runs on this slot: ask again with ?visitor= for the "
            "visitor's variant (the items here are the slot's own gallery).",
        ),
    },
)
_key_params = [
    OpenApiParameter(
        "key",
        OpenApiTypes.STR,
        description="The site's publishable key (pk_live_...); or the X-Site-Key header.",
    ),
]


class _PublicView(APIView):
    """What both public endpoints share: the key, the site, the origin, CORS."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicAddressThrottle, PublicKeyThrottle]

    def initial(self, request, *args, **kwargs):
        self.site = None
        super().initial(request, *args, **kwargs)

    def resolve(self, request, slug: str) -> tuple[dict, dict, str]:
        """(site, gallery, global version) or a 404/403 problem."""
        version = gallery_cache.global_version()
        key = request_key(request)
        if not key:
            raise _invalid("key", "A publishable key is needed: ?key= or the X-Site-Key header.")
        site = site_for_key(key, version)
        if site is None:
            raise exceptions.NotFound("No site has this publishable key.")
        self.site = site
        origin = request.headers.get("Origin")
        if origin is not None and not origin_allowed(site, origin):
            raise exceptions.PermissionDenied(
                "This origin is not among the site's allowed origins."
            )
        gallery = _gallery_for(site["id"], slug, version)
        if gallery is None:
            raise exceptions.NotFound("This site has no gallery with this slug.")
        return site, gallery, version

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin")
        site = self.site
        if site is None and origin and request_key(request):
            # A 400 or 429 raised before the site was resolved: still readable by the
            # widget on an allowed origin (the lookup is cached).
            site = site_for_key(request_key(request), gallery_cache.global_version())
        if site is not None and origin_allowed(site, origin):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        patch_vary_headers(response, ("Origin", "X-Site-Key"))
        return response

    def options(self, request, *args, **kwargs):
        """The CORS preflight: answered for an origin the key's site allows (or, without a
        key in the query, that some site allows), without throttling or a body."""
        origin = request.headers.get("Origin")
        key = request.query_params.get("key")
        if key:
            site = site_for_key(key, gallery_cache.global_version())
            allowed = site is not None and origin_allowed(site, origin)
        else:
            allowed = (
                origin is not None
                and Site.objects.filter(allowed_origins__contains=[origin]).exists()
            )
        response = HttpResponse(status=204)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = "GET, OPTIONS"
            response["Access-Control-Allow-Headers"] = "X-Site-Key, If-None-Match"
            response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    def check_throttles(self, request):
        if request.method == "OPTIONS":
            return
        super().check_throttles(request)


class PublicGalleryView(_PublicView):
    @extend_schema(
        operation_id="public_gallery",
        summary="A gallery's publishable items, for a storefront",
        parameters=[
            *_key_params,
            OpenApiParameter("product", OpenApiTypes.STR, description="A product page's SKU."),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From next_cursor."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1..{MAX_LIMIT}."),
            OpenApiParameter(
                "visitor",
                OpenApiTypes.STR,
                description="The widget's visitor id, sent only when a response said "
                "`experiment_pending`: the visitor's variant is shown (a holdout gets no "
                "items) and named in the response's `experiment` and `variant` fields.",
            ),
        ],
        responses={200: _gallery_schema, 304: None},
        tags=["public"],
    )
    def get(self, request, slug: str):
        site, gallery, global_version = self.resolve(request, slug)
        product = request.query_params.get("product", "")
        if len(product) > 100:
            raise _invalid("product", "A SKU of at most 100 characters.")
        visitor = request.query_params.get("visitor", "")
        if len(visitor) > 100:
            raise _invalid("visitor", "A visitor id of at most 100 characters.")
        cursor = request.query_params.get("cursor") or ""
        offset = decode_cursor(cursor) if cursor else 0
        raw_limit = request.query_params.get("limit")
        limit = None if raw_limit in (None, "") else _limit(raw_limit, MAX_LIMIT)
        variant = gallery_variants.variant_for(site["id"], slug, visitor)
        gallery_id = gallery["id"] if variant is None else variant.gallery_id
        if gallery_id is None:  # a holdout: the slot shows nothing to this visitor
            body = _holdout_body(gallery["id"], variant)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            return _gallery_response(request, body, etag, site["id"], gallery["id"])
        experiment = {} if variant is None else {"experiment": variant.experiment}
        if variant is not None:
            experiment["variant"] = variant.variant
        elif not visitor and gallery_variants.experiment_running(site["id"], slug):
            # The widget asks again with its visitor id; pages without an experiment
            # never carry one, so a CDN caches them for every shopper alike.
            experiment["experiment_pending"] = True
        versions = (gallery_cache.gallery_version(gallery_id), global_version)
        key = gallery_cache.body_key(
            gallery_id,
            versions,
            product=product,
            offset=str(offset),
            limit=str(limit or ""),
            **experiment,
        )
        cached = cache.get(key)
        if cached is None:
            body, timeout = render_gallery(
                gallery_id, product=product, offset=offset, limit=limit, extra=experiment
            )
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            cached = (body, etag)
            cache.set(key, cached, timeout)
        body, etag = cached
        if variant is None:
            ident = key_ident(request_key(request))
            _remember(
                request, slug, _Hot(body, etag, site["id"], gallery_id, site, versions, ident)
            )
        return _gallery_response(request, body, etag, site["id"], gallery_id)


def _holdout_body(slot_gallery_id: int, variant) -> bytes:
    gallery = Gallery.objects.get(pk=slot_gallery_id)
    body = {
        "gallery": {"slug": gallery.slug, "title": gallery.title, "layout": gallery.layout},
        "items": [],
        "next_cursor": None,
        "experiment": variant.experiment,
        "variant": variant.variant,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _gallery_response(request, body: bytes, etag: str, site_id: int, gallery_id: int):
    if etag in _etags(request.META.get("HTTP_IF_NONE_MATCH", "")):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    keys = cdn.response_keys(gallery_id, site_id)
    response["Surrogate-Key"] = " ".join(keys)  # Fastly, Varnish, most reverse proxies
    if settings.CDN_PURGE_PROVIDER == "cloudflare":
        response["Cache-Tag"] = ",".join(keys)
    return response


# --- the hot path -----------------------------------------------------------------------
#
# A gallery served before is answered without DRF, from this process's memory. With a
# Redis cache the process holds a lease and is told of every change
# (ugc/gallery_leases.py): an answer whose versions were confirmed since the last
# change is served with no round trip at all, and the throttle counts it here (the
# lease's renewals add those counts to the shared counters). Otherwise it costs one
# round trip: the version tokens (a takedown moves them, so nothing stale is served)
# and the two throttle counters, in one script. Anything else (a first request, a
# changed version, a refused origin, a throttled client, an error) goes through
# PublicGalleryView, which answers it and remembers the result.


@dataclass(frozen=True)
class _Hot:
    body: bytes
    etag: str
    site_id: int
    gallery_id: int
    site: dict
    versions: tuple[str, str]  # (gallery version, global version) it was rendered under
    key_ident: str | None  # the publishable key's throttle ident


_HOT: dict[tuple, _Hot] = {}
HOT_ENTRIES = 256  # per process: at ~30 KB a body, under 10 MB
# With GALLERY_HOT_SECONDS: when each entry's versions were last confirmed, and the
# requests each throttle window saw here since (added to the shared counter at the
# next check) with the shared count that check returned.
_CONFIRMED: dict[tuple, float] = {}
_UNCOUNTED: dict[str, int] = {}
_SHARED_COUNT: dict[str, int] = {}
_WINDOW_TTL: dict[str, int] = {}
_COUNTS = threading.Lock()  # the counts above are added to from every thread
# With a lease: the invalidation generation at which each entry's versions were last
# confirmed (read before that round trip, so a change during it is not missed).
_FRESH: dict[tuple, int] = {}


def _hot_params(request, slug: str) -> tuple:
    """What a remembered answer is found by: the slug, the raw query string and the key
    header. No parsing (a third of the hot path's own time): the same raw query always
    parses to the same request, and another spelling of it is remembered on its own."""
    meta = request.META
    return (slug, meta.get("QUERY_STRING", ""), meta.get("HTTP_X_SITE_KEY", ""))


def _remember(request, slug: str, entry: _Hot) -> None:
    if len(_HOT) >= HOT_ENTRIES:
        _HOT.clear()  # simpler than LRU, and refilled by the next request of each
        _CONFIRMED.clear()
        _FRESH.clear()
    _HOT[_hot_params(request, slug)] = entry


def _confirmed_lately(params: tuple) -> bool:
    seconds = settings.GALLERY_HOT_SECONDS
    return seconds > 0 and time.monotonic() - _CONFIRMED.get(params, -seconds) < seconds


def _within_rate_here(windows) -> bool:
    """Between checks: the window's last shared count, plus what this process let by
    since, plus this request, within the rate? Counts the request here when it is.
    A refusal is never decided here: the caller then asks the shared counter."""
    with _COUNTS:
        for key, _ttl, limit in windows:
            if _SHARED_COUNT.get(key, 0) + _UNCOUNTED.get(key, 0) + 1 > limit:
                return False
        for key, ttl, _limit in windows:
            _UNCOUNTED[key] = _UNCOUNTED.get(key, 0) + 1
            _WINDOW_TTL[key] = ttl
    return True


def _take_uncounted(windows=None) -> dict[str, int]:
    """The requests let by here and not yet added to the shared counters (of the given
    windows, or all), moved into this process's view of the shared count."""
    with _COUNTS:
        if windows is None:
            taken = dict(_UNCOUNTED)
            _UNCOUNTED.clear()
        else:
            taken = {key: n for key, *_ in windows if (n := _UNCOUNTED.pop(key, 0))}
        for key, n in taken.items():
            _SHARED_COUNT[key] = _SHARED_COUNT.get(key, 0) + n
        if len(_SHARED_COUNT) > 10 * HOT_ENTRIES:  # windows of addresses long gone
            _SHARED_COUNT.clear()
            _WINDOW_TTL.clear()
    return taken


def _flush_counts() -> None:
    """Add what this process let by to the shared counters (each lease renewal, on the
    lease's thread), and learn the shared counts, which other processes add to."""
    backend = _redis()
    taken = _take_uncounted() if backend is not None else {}
    if not taken:
        return
    windows = [(key, _WINDOW_TTL.get(key, 61), n) for key, n in taken.items()]
    counts = _add_counts(backend, [], windows)[1]
    with _COUNTS:
        _SHARED_COUNT.update(zip(taken, counts, strict=True))


gallery_leases.RENEWAL_HOOKS.append(_flush_counts)


def _lease_generation() -> int | None:
    """This process's count of gallery changes while it holds a lease (the watcher is
    started on first use); None with no lease, or a cache other than Redis."""
    backend = _redis()
    return None if backend is None else gallery_leases.watcher(backend).current()


_redis = gallery_leases.redis_backend  # the default cache when it is Redis, else None


# The hot path's one round trip as one command: the first ARGV[1] keys' values (the
# version tokens), and each further key's throttle counter plus the requests let by
# (a window's first count sets its lifetime). One Lua script, so one reply to parse
# instead of five.
_CHECK_SCRIPT = """
local n = tonumber(ARGV[1])
local out = {}
if n > 0 then out = redis.call('MGET', unpack(KEYS, 1, n)) end
for i = n + 1, #KEYS do
  local j = (i - n) * 2
  local requests = tonumber(ARGV[j])
  local count = redis.call('INCRBY', KEYS[i], requests)
  if count == requests then redis.call('EXPIRE', KEYS[i], ARGV[j + 1]) end
  out[i] = count
end
return out
"""
_CHECK_SHA = hashlib.sha1(_CHECK_SCRIPT.encode()).hexdigest()  # noqa: S324 (Redis's script id)
_connections = threading.local()


def _connection(backend):
    """This thread's own connection to the cache's Redis. Django's client costs ~120 us
    of Python per command on this machine (pool checkout with a poll, command
    dispatch, pure-Python reply parsing); a packed command sent on a held connection
    costs ~30 us, and the hot path is that round trip."""
    held = getattr(_connections, "held", None)
    if held is not None and held[0] == os.getpid() and held[1] is backend:
        return held[2]
    pool = backend._cache.get_client(None, write=True).connection_pool
    connection = pool.connection_class(**pool.connection_kwargs)
    _connections.held = (os.getpid(), backend, connection)
    return connection


def _round_trip(backend, keys: list[str], args: list[int]):
    connection = _connection(backend)
    try:
        try:
            return _command(connection, "EVALSHA", _CHECK_SHA, keys, args)
        except redis_errors.NoScriptError:  # a Redis restarted or flushed: load it again
            return _command(connection, "EVAL", _CHECK_SCRIPT, keys, args)
    except (redis_errors.ConnectionError, redis_errors.TimeoutError):
        connection.disconnect()  # the next request connects afresh
        raise


def _command(connection, name: str, script: str, keys: list[str], args: list[int]):
    packed = connection.pack_command(name, script, len(keys), *keys, *args)
    connection.send_packed_command(packed, check_health=False)
    return connection.read_response()


def _versions_and_counts(version_keys: list[str], windows: list[tuple[str, int, int]]):
    """The version tokens now, and each throttle window's count once `requests` (this
    one and any let by here since the last check) are added; in one round trip to
    Redis, with its key names and serializer so both paths read the same entries."""
    backend = _redis()
    if backend is None:
        values = cache.get_many(version_keys)
        return [values.get(k) for k in version_keys], [count_request(*w) for w in windows]
    return _add_counts(backend, version_keys, windows)


def _add_counts(backend, version_keys: list[str], windows):
    """_versions_and_counts() on Redis: one script, on this thread's own connection."""
    keys = [backend.make_key(k) for k in version_keys]
    keys += [backend.make_key(counter_key) for counter_key, _ttl, _n in windows]
    args = [len(version_keys)]
    args += [value for _key, ttl, requests in windows for value in (requests, ttl)]
    reply = _round_trip(backend, keys, args)
    loads = backend._cache._serializer.loads
    versions = [None if v is None else loads(v) for v in reply[: len(version_keys)]]
    return versions, [int(n) for n in reply[len(version_keys) :]]


def _confirm(params: tuple, entry: _Hot, windows, generation: int | None) -> bool:
    """One round trip: are the entry's versions current, and is the client within rate?
    `generation`: the lease's, read before the round trip (None without a lease)."""
    version_keys = [gallery_cache._version_key(entry.gallery_id), gallery_cache.GLOBAL_VERSION_KEY]
    taken = _take_uncounted(windows)
    counters = [(key, ttl, 1 + taken.get(key, 0)) for key, ttl, _limit in windows]
    versions, counts = _versions_and_counts(version_keys, counters)
    if tuple(versions) != entry.versions:
        _CONFIRMED.pop(params, None)
        _FRESH.pop(params, None)
        return False
    _CONFIRMED[params] = time.monotonic()
    if generation is not None:
        _FRESH[params] = generation
    with _COUNTS:
        _SHARED_COUNT.update((key, n) for (key, _ttl, _), n in zip(counters, counts, strict=True))
    # Over the rate: the full view answers 429 with its problem body.
    return all(n <= limit for n, (_, _, limit) in zip(counts, windows, strict=True))


def _hot_response(request, slug: str):
    params = _hot_params(request, slug)
    entry = _HOT.get(params)
    origin = request.META.get("HTTP_ORIGIN")  # not request.headers: it copies all of META
    if entry is None or (origin is not None and not origin_allowed(entry.site, origin)):
        return None
    if gallery_variants.experiment_running(entry.site_id, slug):
        return None  # each visitor may see another variant: the full view decides
    now = time.time()  # the throttles' timer
    clients = (("public_ip", _ADDRESS.get_ident(request)), ("public_key", entry.key_ident))
    windows = [
        window
        for scope, ident in clients
        if ident is not None and (window := throttle_window(scope, ident, now)) is not None
    ]
    generation = _lease_generation()
    current = generation is not None and _FRESH.get(params) == generation
    answered_here = (current or _confirmed_lately(params)) and _within_rate_here(windows)
    if not answered_here and not _confirm(params, entry, windows, generation):
        return None
    response = _gallery_response(request, entry.body, entry.etag, entry.site_id, entry.gallery_id)
    if origin is not None:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
    response["Allow"] = _ALLOW  # as DRF sets it
    response["Vary"] = _VARY  # what patch_vary_headers() gives a fresh response
    return response


_gallery_view = PublicGalleryView.as_view()
_ALLOW = "GET, HEAD, OPTIONS"  # DRF's Allow for this view (as_view adds HEAD); tested
_VARY = "Origin, X-Site-Key"
_ADDRESS = PublicAddressThrottle()  # for its get_ident(): X-Forwarded-For and NUM_PROXIES


@csrf_exempt
def public_gallery(request, slug: str):
    """GET /api/v1/public/galleries/<slug>: the hot path, else PublicGalleryView."""
    if request.method == "GET":
        response = _hot_response(request, slug)
        if response is not None:
            return response
    return _gallery_view(request, slug=slug)


# The schema generator (and anything else that introspects views) sees the full view.
public_gallery.cls = _gallery_view.cls
public_gallery.initkwargs = _gallery_view.initkwargs


def _etags(header: str) -> set[str]:
    tags = {tag.strip() for tag in header.split(",") if tag.strip()}
    return {tag[2:] if tag.startswith("W/") else tag for tag in tags}


class PublicGalleryEmbedView(_PublicView):
    """The snippet a page (or a platform that embeds by URL) pastes to show a gallery."""

    @extend_schema(
        operation_id="public_gallery_embed",
        summary="The HTML snippet that embeds a gallery with the widget",
        parameters=[
            *_key_params,
            OpenApiParameter("product", OpenApiTypes.STR, description="A product page's SKU."),
        ],
        responses={
            200: inline_serializer(
                "PublicGalleryEmbed",
                {
                    "type": serializers.CharField(help_text='"rich", as in oEmbed'),
                    "version": serializers.CharField(help_text='"1.0"'),
                    "html": serializers.CharField(
                        help_text="A div with data-ugc-gallery and data-ugc-key, and the "
                        "loader script."
                    ),
                    "loader_url": serializers.CharField(),
                },
            )
        },
        tags=["public"],
    )
    def get(self, request, slug: str):
        self.resolve(request, slug)
        key = request_key(request)
        product = request.query_params.get("product", "")
        if len(product) > 100:
            raise _invalid("product", "A SKU of at most 100 characters.")
        loader = request.build_absolute_uri(LOADER_PATH)
        product_attr = f' data-ugc-product="{escape(product)}"' if product else ""
        html = (
            f'<div data-ugc-gallery="{escape(slug)}" data-ugc-key="{escape(key)}"{product_attr}>'
            f'</div><script src="{escape(loader)}" async></script>'
        )
        body = json.dumps(
            {"type": "rich", "version": "1.0", "html": html, "loader_url": loader}
        ).encode()
        response = HttpResponse(body, content_type="application/json")
        response["Cache-Control"] = CACHE_CONTROL
        return response
