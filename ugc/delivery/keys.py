"""A publishable key's site and allowed origins, and a site's gallery by slug: cached
under the global version (ugc/delivery/cache.py), so a site or gallery saved is read
afresh. The analytics collector takes the same key and asks here too."""

from __future__ import annotations

import re

from django.core.cache import cache

from ugc.delivery import cache as gallery_cache
from ugc.models import Gallery, Site

PREFLIGHT_MAX_AGE = "86400"  # seconds a browser may keep a CORS preflight's answer


def request_key(request) -> str:
    # request.GET: the same on DRF's Request and on Django's (the hot path has no DRF).
    return request.GET.get("key") or request.headers.get("X-Site-Key") or ""


def key_ident(publishable_key: str) -> str | None:
    """Whom the per-key throttle counts: a digest, so no key is ever a cache key."""
    return gallery_cache.digest(publishable_key) if publishable_key else None


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


def gallery_for(site_id: int, slug: str, version: str) -> dict | None:
    cache_key = gallery_cache.gallery_lookup_key(site_id, slug, version)
    gallery = cache.get(cache_key)
    if gallery is None:
        row = Gallery.objects.filter(site_id=site_id, slug=slug).values("id").first()
        gallery = row or {}
        cache.set(cache_key, gallery, gallery_cache.cache_seconds())
    return gallery or None


def origin_allowed(site: dict, origin: str | None) -> bool:
    return origin is not None and origin in (site.get("allowed_origins") or [])
