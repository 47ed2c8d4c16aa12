"""A gallery page's body (JSON bytes), cached under the versions of
ugc/delivery/cache.py, and the response that carries it to a storefront."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import escape

from ugc.delivery import cache as gallery_cache
from ugc.delivery import cdn
from ugc.delivery.cursors import encode_cursor, parse_limit
from ugc.models import Asset, Gallery, ProductTag, Rendition
from ugc.selectors import Tier, gallery_page_tiers

CACHE_CONTROL = "public, max-age=30, s-maxage=60, stale-while-revalidate=300"
LOADER_PATH = "/static/ugc/ugc-gallery.js"


def _srcset(renditions) -> dict[str, str]:
    by_format: dict[str, list[str]] = {}
    for rendition in renditions:
        if rendition.kind == "image":
            by_format.setdefault(rendition.format, []).append(
                f"{rendition.file.url} {rendition.width}w"
            )
    return {fmt: ", ".join(entries) for fmt, entries in by_format.items()}


def item(asset, tier: Tier | None = None) -> dict:
    renditions = list(asset.renditions.all())
    creator = asset.creator
    # TikTok and YouTube give a cover and an embed link, not the video: the renditions
    # are the cover's, and the widget plays the embed.
    embed_url = (asset.media_info.get("platform") or {}).get("embed_url")
    return {
        "id": asset.pk,
        "media_type": "embedded_video" if embed_url else asset.media_type,
        **({"embed_url": embed_url} if embed_url else {}),
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
        # The licence asks the page to credit the creator: the widget shows the handle.
        "credit": {"handle": creator.handle} if asset.credit_required and creator else None,
        "products": [
            {
                "sku": tag.product.sku,
                "title": tag.product.title,
                "price": None if tag.product.price is None else str(tag.product.price),
                "currency": tag.product.currency,
                "url": tag.product.url,
                # Without a URL the widget shows the product as information, not a link.
                "shoppable": bool(tag.product.url),
                "image_url": tag.product.image_url,
                "hotspot_x": tag.hotspot_x,
                "hotspot_y": tag.hotspot_y,
            }
            for tag in asset.product_tags.all()
        ],
        # On a product page: why a shopper sees it there (this product, its line, the
        # brand); the widget marks where that changes.
        "reason": tier.reason if tier else None,
        "reason_label": tier.label if tier and tier.reason else None,
    }


def render_gallery(
    gallery_id: int, *, product: str, offset: int, limit: int | None, extra: dict | None = None
):
    """(body bytes, seconds it may be cached): the page of the gallery from `offset`, with
    `extra` top-level fields (an experiment's and variant's names)."""
    gallery = Gallery.objects.select_related("site").get(pk=gallery_id)
    limit = parse_limit(None, gallery.size) if limit is None else limit
    end = min(offset + limit, gallery.size)
    now = timezone.now()
    # One more than the page: is there a next one? (None past the end, as before.)
    shown = []
    if offset < end:
        shown = gallery_page_tiers(gallery, product or None, start=offset, stop=end + 1, now=now)
    ids = [pk for pk, _ in shown]
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
    # One deleted in between is left out.
    page = [(by_id[pk], tier) for pk, tier in shown if pk in by_id]
    more = len(page) > end - offset and end < gallery.size
    page = page[: max(end - offset, 0)]
    body = {
        "gallery": {"slug": gallery.slug, "title": gallery.title, "layout": gallery.layout},
        "items": [item(asset, tier) for asset, tier in page],
        "next_cursor": encode_cursor(end) if more else None,
        **(extra or {}),
    }
    timeout = gallery_cache.cache_seconds()
    expiries = [a.rights_expires_at for a, _ in page if a.rights_expires_at is not None]
    if expiries:  # a cached body never outlives a grant it shows
        seconds = (min(expiries) - now) / timedelta(seconds=1)
        timeout = max(1, min(timeout, int(seconds)))
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return data, timeout


def cached_page(
    gallery_id: int,
    versions: tuple[str, str],
    *,
    product: str,
    offset: int,
    limit: int | None,
    extra: dict,
) -> tuple[bytes, str]:
    """(body, ETag) of a page, from the cache under these versions or rendered now."""
    key = gallery_cache.body_key(
        gallery_id,
        versions,
        product=product,
        offset=str(offset),
        limit=str(limit or ""),
        **extra,
    )
    cached = cache.get(key)
    if cached is None:
        body, timeout = render_gallery(
            gallery_id, product=product, offset=offset, limit=limit, extra=extra
        )
        cached = (body, etag_of(body))
        cache.set(key, cached, timeout)
    return cached


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def holdout_body(slot_gallery_id: int, variant) -> bytes:
    gallery = Gallery.objects.get(pk=slot_gallery_id)
    body = {
        "gallery": {"slug": gallery.slug, "title": gallery.title, "layout": gallery.layout},
        "items": [],
        "next_cursor": None,
        "experiment": variant.experiment,
        "variant": variant.variant,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def gallery_response(request, body: bytes, etag: str, site_id: int, gallery_id: int):
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


def _etags(header: str) -> set[str]:
    tags = {tag.strip() for tag in header.split(",") if tag.strip()}
    return {tag[2:] if tag.startswith("W/") else tag for tag in tags}


def embed_body(slug: str, key: str, product: str, loader: str) -> bytes:
    """The oEmbed-like answer whose html shows the gallery with the widget."""
    product_attr = f' data-ugc-product="{escape(product)}"' if product else ""
    html = (
        f'<div data-ugc-gallery="{escape(slug)}" data-ugc-key="{escape(key)}"{product_attr}>'
        f'</div><script src="{escape(loader)}" async></script>'
    )
    return json.dumps(
        {"type": "rich", "version": "1.0", "html": html, "loader_url": loader}
    ).encode()
