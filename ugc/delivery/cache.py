"""The server-side cache of public gallery responses, and how it is invalidated (the
rule itself: ugc/delivery/__init__.py).

A rendered body is stored under a key made of the gallery, the request's
product, cursor and limit, and two version tokens: the gallery's own (bumped by
a change of the gallery, its pins or rules) and a global one (bumped by any
change that may affect what any gallery shows: an asset approved, rejected,
revoked, expired or erased, a grant, a tag, a product change). Bumping a
version makes every body stored under the old one unreachable at once; they
age out of the cache on their own. Versions are random tokens, not counters,
so a version evicted from the cache never comes back with an old value.

Each bump is then announced to every web process, which may be answering the gallery
from its own memory (ugc/delivery/leases.py); it returns once they all know.

Each bump also purges the same responses from a CDN in front, by their surrogate keys
(ugc/delivery/cdn.py), through a task queued after commit.

Versions are read BEFORE the database, so a body computed while a takedown
commits is stored under the old version and never served.
"""

from __future__ import annotations

import hashlib
import uuid

from django.core.cache import cache

from core.effects import after_commit
from ugc.delivery import cdn, leases
from ugc.models import Asset, Gallery
from ugc.selectors import is_publishable, publishable_assets

PREFIX = "ugc:gallery"
GLOBAL_VERSION_KEY = f"{PREFIX}:v:global"
VERSION_TIMEOUT = None  # versions live until bumped (or evicted)


def cache_seconds() -> int:
    """settings.GALLERY_CACHE_SECONDS, read at call time. A body also expires when the
    earliest grant it shows does."""
    from django.conf import settings

    return settings.GALLERY_CACHE_SECONDS


def version_key(gallery_id: int) -> str:
    return f"{PREFIX}:v:{gallery_id}"


def _version(key: str) -> str:
    value = cache.get(key)
    if value is None:
        value = uuid.uuid4().hex
        # add(): two first requests agree on one version.
        if not cache.add(key, value, timeout=VERSION_TIMEOUT):
            value = cache.get(key) or value
    return value


def global_version() -> str:
    return _version(GLOBAL_VERSION_KEY)


def gallery_version(gallery_id: int) -> str:
    return _version(version_key(gallery_id))


def digest(text: str) -> str:
    """A short fixed-length name for any text in a cache key (a key, a slug, a query)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def site_key(publishable_key: str, version: str) -> str:
    """The cached site of a key; under the global version, so a site saved is re-read."""
    return f"{PREFIX}:site:{version}:{digest(publishable_key)}"


def gallery_lookup_key(site_id: int, slug: str, version: str) -> str:
    return f"{PREFIX}:lookup:{version}:{site_id}:{digest(slug)}"


def body_key(gallery_id: int, versions: tuple[str, str], **params) -> str:
    raw = "|".join(f"{name}={params[name] or ''}" for name in sorted(params))
    return f"{PREFIX}:body:{gallery_id}:{versions[0]}:{versions[1]}:{digest(raw)}"


def bump_gallery(gallery_id: int) -> None:
    cache.set(version_key(gallery_id), uuid.uuid4().hex, timeout=VERSION_TIMEOUT)
    leases.announce()
    cdn.purge_later([cdn.gallery_key(gallery_id)])


def bump_all() -> None:
    cache.set(GLOBAL_VERSION_KEY, uuid.uuid4().hex, timeout=VERSION_TIMEOUT)
    leases.announce()
    cdn.purge_later([cdn.ALL_GALLERIES])


def on_commit(func, *args) -> None:
    """Run after the current transaction commits (at once outside one)."""
    after_commit(func, *args)


# --- receivers, connected in ugc.apps.UgcConfig.ready() -------------------------------


def asset_unpublished(sender, asset_ids=(), **kwargs):
    bump_all()  # sent after commit already


def library_changed(sender, **kwargs):
    """A product or product line changed: any gallery may show it."""
    on_commit(bump_all)


def asset_loaded(sender, instance, **kwargs):
    """Remember whether a row was publishable as loaded, to know at save time whether any
    gallery could have shown it (no receiver work, and no queued callback, for the many
    saves of assets no storefront can see: ingestion, processing, review)."""
    instance._gallery_was_publishable = is_publishable(instance) if instance.pk else False


def asset_saved(sender, instance, **kwargs):
    was = getattr(instance, "_gallery_was_publishable", None)
    now = is_publishable(instance)
    instance._gallery_was_publishable = now
    if not (was is False and now is False):
        on_commit(bump_all)


def asset_part_changed(sender, instance, **kwargs):
    """A tag or rendition of an asset saved or deleted: only a publishable asset's matter."""
    field = type(instance)._meta.get_field("asset")
    if field.is_cached(instance):
        visible = is_publishable(instance.asset) is not False
    else:
        visible = publishable_assets().filter(pk=instance.asset_id).exists()
    if visible or not Asset.objects.filter(pk=instance.asset_id).exists():
        on_commit(bump_all)


def gallery_changed(sender, instance, **kwargs):
    """A gallery, pin or rule saved or deleted. A gallery's own save also bumps the
    global version, which its cached lookup by slug is stored under."""
    if isinstance(instance, Gallery):
        on_commit(bump_all)
    else:
        on_commit(bump_gallery, instance.gallery_id)


def site_changed(sender, instance, **kwargs):
    on_commit(bump_all)
