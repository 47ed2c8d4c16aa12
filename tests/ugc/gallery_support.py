"""What the public gallery tests share: a clean cache around each test (imported by a
test module, `clear_cache` applies to its every test), asking the public API for a
gallery the way a storefront does (with pytest-django's `client`: the public API takes
no DRF-only request), and Django's cache on the test Redis."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.support.redis import require_redis

ORIGIN = "https://shop.example.com"


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def fetch(client, gallery, headers=None, **params):
    """GET the gallery with its site's key (and any query parameters)."""
    return client.get(
        f"/api/v1/public/galleries/{gallery.slug}",
        {"key": gallery.site.publishable_key, **params},
        headers=headers or {},
    )


def shown(client, gallery, headers=None, **params) -> list[int]:
    """The ids of the items a storefront is shown now (the answer must be a 200)."""
    response = fetch(client, gallery, headers, **params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@contextmanager
def redis_cache(prefix: str | None = None):
    """Django's cache on the test Redis, as every production process shares it, under a
    key prefix of its own; skips (saying why) when the run names no Redis."""
    url = require_redis()
    prefix = prefix or f"test-{uuid.uuid4().hex[:8]}"
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=caches, GALLERY_CACHE_SECONDS=300):
        try:
            yield
        finally:
            # Only this test's keys: clear() would flush a Redis others may share.
            client = cache._cache.get_client(write=True)
            for key in client.scan_iter(match=f"{prefix}:*"):
                client.delete(key)


def round_trips(monkeypatch) -> list:
    """Records each round trip the gallery hot path makes to the cache (the number of
    throttle windows it counted in it)."""
    from ugc.delivery import hot

    calls = []
    original = hot._versions_and_counts

    def spy(version_keys, windows):
        calls.append(len(windows))
        return original(version_keys, windows)

    monkeypatch.setattr(hot, "_versions_and_counts", spy)
    return calls


def make_gallery():
    """A site on ORIGIN with a "homepage" gallery of three pinned, publishable assets."""
    from tests.ugc.factories import (
        GalleryFactory,
        GalleryPinFactory,
        RenditionFactory,
        SiteFactory,
    )

    site = SiteFactory(allowed_origins=[ORIGIN])
    gallery = GalleryFactory(site=site, slug="homepage")
    for position in range(3):
        pin = GalleryPinFactory(gallery=gallery, position=position)
        RenditionFactory(asset=pin.asset)
    return gallery
