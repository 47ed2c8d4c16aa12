"""The public gallery API's views: what a storefront's widget reads, with a publishable
key. Thin: the work is in ugc.delivery (keys, throttles, cursors, rendering, the hot
path, the cache and its invalidation).

No login: the key (``?key=`` or ``X-Site-Key``) names the site, the site's
allowed origins bound CORS, and every asset comes from
``ugc.selectors.gallery_assets()``, itself a subset of ``publishable_assets()``.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from ugc.delivery import cache as gallery_cache
from ugc.delivery import hot, render, variants
from ugc.delivery.cursors import MAX_LIMIT, decode_cursor, invalid, parse_limit
from ugc.delivery.keys import (
    PREFLIGHT_MAX_AGE,
    gallery_for,
    key_ident,
    origin_allowed,
    request_key,
    site_for_key,
)
from ugc.delivery.throttles import PublicAddressThrottle, PublicKeyThrottle
from ugc.models import Site

_product_fields = {
    "sku": serializers.CharField(),
    "title": serializers.CharField(),
    "price": serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True),
    "currency": serializers.CharField(),
    "url": serializers.CharField(help_text="The product's page; empty when not shoppable."),
    "shoppable": serializers.BooleanField(
        help_text="Has a URL: shown as a link, else as information (title and price)."
    ),
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
    "credit": inline_serializer(
        "PublicCredit",
        {"handle": serializers.CharField(help_text="The creator's handle, without @.")},
        allow_null=True,
        help_text="Set when the licence asks the page to credit the creator; null otherwise.",
    ),
    "products": inline_serializer("PublicTaggedProduct", _product_fields, many=True),
    "reason": serializers.ChoiceField(
        choices=["product", "product_line", "brand"],
        allow_null=True,
        help_text="On a product-page gallery asked with ?product=: why the item is there "
        "(tagged with this product, with its product line, or from the rest of the brand); "
        "null elsewhere.",
    ),
    "reason_label": serializers.CharField(
        allow_null=True,
        help_text='The reason in words: "This product", "More from {line}" or '
        '"More from {brand}"; null when reason is.',
    ),
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
            raise invalid("key", "A publishable key is needed: ?key= or the X-Site-Key header.")
        site = site_for_key(key, version)
        if site is None:
            raise exceptions.NotFound("No site has this publishable key.")
        self.site = site
        origin = request.headers.get("Origin")
        if origin is not None and not origin_allowed(site, origin):
            raise exceptions.PermissionDenied(
                "This origin is not among the site's allowed origins."
            )
        gallery = gallery_for(site["id"], slug, version)
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
            raise invalid("product", "A SKU of at most 100 characters.")
        visitor = request.query_params.get("visitor", "")
        if len(visitor) > 100:
            raise invalid("visitor", "A visitor id of at most 100 characters.")
        cursor = request.query_params.get("cursor") or ""
        offset = decode_cursor(cursor) if cursor else 0
        raw_limit = request.query_params.get("limit")
        limit = None if raw_limit in (None, "") else parse_limit(raw_limit, MAX_LIMIT)
        variant = variants.variant_for(site["id"], slug, visitor)
        gallery_id = gallery["id"] if variant is None else variant.gallery_id
        if gallery_id is None:  # a holdout: the slot shows nothing to this visitor
            body = render.holdout_body(gallery["id"], variant)
            etag = render.etag_of(body)
            return render.gallery_response(request, body, etag, site["id"], gallery["id"])
        experiment = {} if variant is None else {"experiment": variant.experiment}
        if variant is not None:
            experiment["variant"] = variant.variant
        elif not visitor and variants.experiment_running(site["id"], slug):
            # The widget asks again with its visitor id; pages without an experiment
            # never carry one, so a CDN caches them for every shopper alike.
            experiment["experiment_pending"] = True
        versions = (gallery_cache.gallery_version(gallery_id), global_version)
        body, etag = render.cached_page(
            gallery_id, versions, product=product, offset=offset, limit=limit, extra=experiment
        )
        if variant is None:
            ident = key_ident(request_key(request))
            entry = hot.Hot(body, etag, site["id"], gallery_id, site, versions, ident)
            hot.remember(request, slug, entry)
        return render.gallery_response(request, body, etag, site["id"], gallery_id)


_gallery_view = PublicGalleryView.as_view()


@csrf_exempt
def public_gallery(request, slug: str):
    """GET /api/v1/public/galleries/<slug>: the hot path, else PublicGalleryView."""
    if request.method == "GET":
        response = hot.respond(request, slug)
        if response is not None:
            return response
    return _gallery_view(request, slug=slug)


# The schema generator (and anything else that introspects views) sees the full view.
public_gallery.cls = _gallery_view.cls
public_gallery.initkwargs = _gallery_view.initkwargs


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
            raise invalid("product", "A SKU of at most 100 characters.")
        loader = request.build_absolute_uri(render.LOADER_PATH)
        body = render.embed_body(slug, key, product, loader)
        response = HttpResponse(body, content_type="application/json")
        response["Cache-Control"] = render.CACHE_CONTROL
        return response
