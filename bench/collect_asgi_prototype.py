"""A PROTOTYPE of the collect endpoint as a raw ASGI app, for measurement only: the
product does not serve it, and it is not the collect endpoint (that is
analytics/api/collect.py under gunicorn). It answers the question issue 7's goal
left open: can a Python collector store batches at 0.3 of COPY on two cores?

`BENCH_COLLECT_SERVER=prototype uv run python -m bench collect_events` runs it under
uvicorn (httptools, uvloop; two processes, one thread each) with the same wrk load.
Measured on 2026-11-22 (vacuumed tables, load 2.7-3.4): 49,384 to 59,642 events/s,
0.31 to 0.34 of COPY, web CPU 12-15 us per event against gunicorn's 25-33, database
CPU 15-19 us against 23-28, 3.9 batches per commit against about 2. Calling the
product's store_events in a thread per request instead (its threaded group commit)
gave 0.20-0.26: the gain is one thread per process whose event loop gathers the
waiting batches into each statement, with no thread handoff per request.

It reuses the product's checks (analytics.events via check_events), address hash,
device class, site lookup and batch statement (STORE_NEW), so it writes exactly what
the endpoint writes for the bench's traffic. What it lacks before it could serve
(the work left for issue 7): the endpoint's 4xx problems (size, content type, JSON,
key, origin, batch shape), the CORS preflight, crawler counting, events without a
session_id, the fallback when a statement fails (an id seen before, no partition
yet: each batch alone, then the claim), 503 with Retry-After and reconnecting when
the database goes away, the proxy-aware client address, a cached site lookup that
sees key changes, and the contract and fault tests run against it.
"""

from __future__ import annotations

import asyncio
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# uvicorn imports the app inside its event loop; setup() checks the database once.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
django.setup()

import orjson  # noqa: E402
import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402

from analytics import useragents  # noqa: E402
from analytics.api.collect import _clock, check_events  # noqa: E402
from analytics.services import collect as collect_service  # noqa: E402
from config.database import libpq_dsn  # noqa: E402
from ugc.api.public import origin_allowed, site_for_key  # noqa: E402

SITES: dict[str, dict | None] = {}  # per process, never refreshed: a prototype's shortcut


class Writer:
    """Group commit on the event loop: batches queue while a statement runs, and the
    next statement takes up to COMBINE_LIMIT of them (one round trip, one commit)."""

    def __init__(self):
        self.queue: list[tuple[collect_service.Batch, asyncio.Future]] = []
        self.wake: asyncio.Event | None = None
        self.conn: psycopg.AsyncConnection | None = None

    async def start(self) -> None:
        dsn = libpq_dsn(settings.DATABASES["default"])
        self.conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
        self.wake = asyncio.Event()
        asyncio.get_running_loop().create_task(self._run())

    async def write(self, batch: collect_service.Batch) -> int:
        done = asyncio.get_running_loop().create_future()
        self.queue.append((batch, done))
        self.wake.set()
        return await done

    async def _run(self) -> None:
        limit = collect_service.COMBINE_LIMIT
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.queue:
                group, self.queue = self.queue[:limit], self.queue[limit:]
                try:
                    await self.conn.execute(
                        collect_service.STORE_NEW,
                        collect_service.statement_params([b for b, _ in group], claim=True),
                        prepare=True,
                    )
                except Exception as exc:  # a prototype: the whole group fails
                    for _, done in group:
                        done.set_exception(exc)
                else:
                    for batch, done in group:
                        done.set_result(len(batch.events))


writer = Writer()


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await writer.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/healthz":
        await _answer(send, 200, b"ok", [])
        return
    headers = dict(scope["headers"])
    query = scope["query_string"].decode()
    key = query.split("key=", 1)[1].split("&", 1)[0] if "key=" in query else ""
    if key not in SITES:
        SITES[key] = await asyncio.to_thread(site_for_key, key)
    site = SITES[key]
    clock = _clock()
    events, rejected = check_events(orjson.loads(body)["events"], clock)
    unique = list({event.event_id: event for event in events}.values())
    batch = collect_service.Batch(
        unique,
        clock.received_at,
        site["id"],
        collect_service.address_hash(
            scope["client"][0], site_id=site["id"], day=clock.received_at.date()
        ),
        useragents.device_class(headers.get(b"user-agent", b"").decode()),
    )
    accepted = await writer.write(batch)
    receipt = {"accepted": accepted, "duplicates": len(events) - accepted,
               "rejected": rejected, "bots": 0}  # fmt: skip
    answer_headers = [(b"content-type", b"application/json"), (b"vary", b"Origin")]
    origin = headers.get(b"origin")
    if origin and origin_allowed(site, origin.decode()):
        answer_headers.append((b"access-control-allow-origin", origin))
    await _answer(send, 202, orjson.dumps(receipt), answer_headers)


async def _answer(send, status: int, body: bytes, headers: list) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
