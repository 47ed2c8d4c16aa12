"""Purging galleries from a CDN in front of the public API.

Every gallery response names its purge keys in `Surrogate-Key` (and, for
Cloudflare, `Cache-Tag`): its gallery, its site, and one key all galleries share.
When the server-side cache is invalidated (ugc/delivery/cache.py), the same keys
are purged at the CDN by the `ugc.tasks.purge_cdn` task, after commit and with
retries, so a slow or failing CDN never holds up the request that changed
something. Off unless CDN_PURGE_PROVIDER is set.

With a shared cache (Redis), while a purge of a key is queued and not yet started,
another change of the same key queues nothing more: the queued purge runs after that
change anyway. The mark is dropped before the purge is sent, so a change after that
queues again.

Providers (settings CDN_PURGE_PROVIDER, CDN_PURGE_URL, CDN_PURGE_TOKEN):

- fastly: POST CDN_PURGE_URL (https://api.fastly.com/service/<id>/purge) with the
  keys in a `Surrogate-Key` header and the token in `Fastly-Key`.
- cloudflare: POST CDN_PURGE_URL (https://api.cloudflare.com/client/v4/zones/<zone>/
  purge_cache) with `{"tags": [...]}` and `Authorization: Bearer <token>`.
- webhook: POST CDN_PURGE_URL with `{"keys": [...]}` and `Authorization: Bearer <token>`,
  for a reverse proxy or a CDN of one's own.

The token is sent only in a header; it is never logged and never part of an error.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.cache import cache

ALL_GALLERIES = "ugc-galleries"
PROVIDERS = ("fastly", "cloudflare", "webhook")
TIMEOUT_SECONDS = 10
PENDING_SECONDS = 60  # a lost task's mark expires: the next change queues again


class PurgeFailed(Exception):
    """The CDN did not confirm the purge (the task retries)."""


def gallery_key(gallery_id: int) -> str:
    return f"ugc-gallery-{gallery_id}"


def site_key(site_id: int) -> str:
    return f"ugc-site-{site_id}"


def response_keys(gallery_id: int, site_id: int) -> list[str]:
    return [gallery_key(gallery_id), site_key(site_id), ALL_GALLERIES]


def enabled() -> bool:
    return settings.CDN_PURGE_PROVIDER in PROVIDERS


def _pending_key(key: str) -> str:
    return f"ugc:cdn:pending:{key}"


def _shared_cache() -> bool:
    """Marks only mean something in a cache every process shares (Redis): a mark in one
    web process's local memory would hide a change from a worker that never saw it."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    return not isinstance(caches["default"], LocMemCache)


def _mark_pending(key: str) -> bool:
    return cache.add(_pending_key(key), 1, PENDING_SECONDS)


def purge_later(keys: list[str]) -> None:
    """Queue a purge of these keys, unless one is already queued for each."""
    if not enabled():
        return
    fresh = [key for key in keys if not _shared_cache() or _mark_pending(key)]
    if fresh:
        from ugc.tasks import purge_cdn

        purge_cdn.delay(fresh)


def purge(keys: list[str]) -> None:
    """Purge now (the task's body); PurgeFailed when the CDN does not answer 2xx."""
    cache.delete_many([_pending_key(key) for key in keys])
    if not enabled() or not keys:
        return
    request = _request(settings.CDN_PURGE_PROVIDER, keys)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        raise PurgeFailed(f"CDN purge of {len(keys)} keys: {type(exc).__name__}") from None
    if not 200 <= status < 300:
        raise PurgeFailed(f"CDN purge of {len(keys)} keys answered {status}")


def _request(provider: str, keys: list[str]) -> urllib.request.Request:
    token = settings.CDN_PURGE_TOKEN
    headers = {"Accept": "application/json"}
    body = None
    if provider == "fastly":
        headers.update({"Fastly-Key": token, "Surrogate-Key": " ".join(keys)})
    else:
        field = "tags" if provider == "cloudflare" else "keys"
        headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        body = json.dumps({field: keys}).encode()
    url = settings.CDN_PURGE_URL  # http(s) only: settings refuse anything else
    return urllib.request.Request(url, data=body or b"", headers=headers, method="POST")  # noqa: S310
