"""The collect endpoint as a service of its own: an ASGI app that answers POST and
OPTIONS /api/v1/collect (and /healthz), run by `manage.py collector` under uvicorn.

Why a second server for one endpoint: the goal is collect at 0.3 of COPY on two
cores. The Django view under gunicorn's threads reached 0.22-0.25; this app, with the
same checks and the same statement, 0.30-0.39 (bench collect_events, alternating runs
on 2026-11-22; web CPU 27 against 48 us per event). What makes the
difference is one thread per process whose event loop gathers the batches waiting
into each statement (LoopCombined), with no thread handed a request and no thread
woken per commit.

Every step is the Django view's (analytics/api/collect.py), so both answer alike:
the request is Django's ASGIRequest, the problems come from the API's one exception
handler, SecurityMiddleware adds its headers (or redirects to HTTPS) and ALLOWED_HOSTS
is checked. What blocks goes to a worker thread: a site lookup (kept a few seconds
per key, ANALYTICS_COLLECTOR_SITE_SECONDS), crawler counting, sessions for events
without a session_id, and every write but the usual all-new batch.
"""

from __future__ import annotations

import codecs
import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")


def _setup() -> None:
    from django.db import connections

    django.setup()
    connections.close_all()


# uvicorn imports the app inside its event loop, where Django refuses blocking database
# calls, and setup makes one (config's vector-extension check): it runs in a thread.
with ThreadPoolExecutor(1) as _pool:
    _pool.submit(_setup).result()

from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIRequest  # noqa: E402
from django.core.handlers.exception import response_for_exception  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.middleware.security import SecurityMiddleware  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.http import parse_header_parameters  # noqa: E402

from analytics.api import collect as endpoint  # noqa: E402
from analytics.services import collect as collect_service  # noqa: E402
from analytics.services.collect import in_thread  # noqa: E402
from core.api.problems import api_not_found  # noqa: E402
from ugc.delivery.keys import request_key, site_for_key  # noqa: E402


class BeaconRequest(ASGIRequest):
    """Django's ASGIRequest, whose Content-Type is parsed once per distinct value: every
    beacon sends the same one, and parsing it (with the email package) was a twentieth
    of the collector's CPU per request."""

    def _set_content_type_params(self, meta):
        self.content_type, params = _content_type(meta.get("CONTENT_TYPE", ""))
        self.content_params = dict(params)
        charset = params.get("charset")
        if charset and _known_codec(charset):
            self._encoding = charset  # GET is not read yet: nothing to reset (the setter's job)


@lru_cache(maxsize=64)
def _content_type(value: str) -> tuple[str, dict]:
    return parse_header_parameters(value)


@lru_cache(maxsize=64)
def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


class SiteCache:
    """site_for_key's answers (a site, or None) kept in this process for `seconds`: the
    loop must not wait for the cache server or the database on every batch."""

    LIMIT = 10_000  # keys kept at most: unknown keys sent at random cannot grow it

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._sites: dict[str, tuple[dict | None, float]] = {}

    async def get(self, key: str) -> dict | None:
        now = time.monotonic()
        hit = self._sites.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        site = await in_thread(site_for_key, key)
        if len(self._sites) >= self.LIMIT:
            self._sites.clear()
        self._sites[key] = (site, now + self.seconds)
        return site


class Collector:
    def __init__(self):
        self.path = reverse("collect")
        self.sites = SiteCache(settings.ANALYTICS_COLLECTOR_SITE_SECONDS)
        self.writer = collect_service.LoopCombined()
        self.security = SecurityMiddleware(lambda request: None)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await _send(send, await self._answer(scope, receive))

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.writer.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _answer(self, scope, receive) -> HttpResponse:
        if scope["path"] == "/healthz":  # alive: the database is not asked
            return HttpResponse(b"ok", content_type="text/plain")
        body = await _read_body(receive, settings.ANALYTICS_COLLECT_MAX_BYTES)
        request = BeaconRequest(scope, io.BytesIO(body))
        try:
            # As gunicorn's web process: SecurityMiddleware, then CollectFastPath.
            response = self.security.process_request(request)
            if response is None:
                request.get_host()  # ALLOWED_HOSTS
                if request.path_info != self.path:
                    response = api_not_found(request)
                else:
                    response = await self._collect(request)
        except Exception as exc:  # a host not allowed (400); else a logged 500
            response = response_for_exception(request, exc)
        return self.security.process_response(request, response)

    async def _collect(self, request) -> HttpResponse:
        """endpoint.collect's steps, with the site lookup and the write awaited."""
        site = None
        try:
            if request.method == "OPTIONS":
                key = request.GET.get("key") or ""
                return endpoint.preflight(request, await self.sites.get(key))
            endpoint.check_method(request)
            payload = endpoint.read_batch(request)
            key = endpoint.batch_key(request, payload)
            site = endpoint.check_site(request, await self.sites.get(key))
            response = await self._store(request, site, endpoint.batch_events(payload))
        except Exception as exc:  # every error, a 500 too, becomes a problem body
            response = endpoint.problem(request, exc)
        if site is None and endpoint.wants_cors(request):
            site = await self.sites.get(request_key(request))
        return endpoint.with_cors(request, response, site)

    async def _store(self, request, site: dict, raw_events: list) -> HttpResponse:
        if endpoint.is_crawler(request):
            await in_thread(collect_service.count_bots, site_id=site["id"],
                            day=timezone.now().date(), events=len(raw_events))  # fmt: skip
            return endpoint.receipt(0, 0, [], len(raw_events))
        batch, rejected = endpoint.checked_batch(request, site, raw_events)
        stored = await self.writer.store_events(**batch)
        return endpoint.receipt(stored.accepted, stored.duplicates, rejected, 0)


async def _read_body(receive, limit: int) -> bytes:
    """The body, or its first bytes past `limit` (the endpoint then answers 413): a
    body larger than that is not read into memory."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or not message.get("more_body"):
            return b"".join(chunks)


async def _send(send, response: HttpResponse) -> None:
    body = response.content
    headers = [(name.encode("latin-1"), value.encode("latin-1"))
               for name, value in response.items()]  # fmt: skip
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status_code,
                "headers": headers})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


app = Collector()
