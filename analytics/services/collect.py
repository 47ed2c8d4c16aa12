"""Storing a batch of collected events, with its visitors and sessions, durably.

The usual batch is ONE statement in autocommit (STORE_NEW): one round trip, one
commit, all or nothing, committed before the caller answers 202 (what the client
was told is stored is on disk):

1. receipts for its event ids go into `analytics_eventreceipt`, whose primary key
   keeps an id stored once across the events table's monthly partitions. A plain
   insert, no ON CONFLICT: nearly every batch is all new ids. An id seen before (a
   retry, a resent beacon) fails the statement with a unique violation, and the
   batch goes again in a transaction: CLAIM_NEW (INSERT ... ON CONFLICT DO NOTHING
   RETURNING) says which ids are new, and STORE_NEW stores only those. Duplicates
   change nothing;
2. the new events go into the partitioned events table;
3. visitors and sessions are upserted once per batch from rows tallied here over
   the new events only, so a retried batch never counts twice. Where a session
   landed and what brought it are worked out here too (URL parsing, channel rules).

Batches that arrive while the process is writing another wait, and go together in
the next statement (Combined: group commit, as PostgreSQL does for its WAL, one level
up): one round trip, one statement and one commit for several requests, each of
which is answered only after that commit. Per-request values (receive time, site,
address hash) ride in arrays picked by each event's batch number; sessions and
visitors are merged across the batches first (one statement may not upsert a row
twice). When the combined statement fails for any reason but a lost database (an id
seen before or repeated across the batches, no partition yet), each batch goes again
alone, as above. Measured under the collect bench (gthread 2 x 8, 16 connections,
load 5-11 from other work): PostgreSQL's CPU per event fell from 38-46 to 21-32 us.

Measured against the statement before (receipts by ON CONFLICT, new ids RETURNed
and joined, sessions tallied in SQL), PostgreSQL's CPU per event fell by about a
tenth: what remains is parsing the JSON and the two inserts' index work (bench
collect_events, README). Two-statement designs (COPY into the table after a claim)
cost less in PostgreSQL but more round trips in the web process, and came out no
faster. Ids are claimed in sorted order, visitors and sessions locked sorted by
key, so concurrent batches wait for each other instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import hmac
import threading
from collections import Counter
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import attrgetter

import orjson
import psycopg
from django.conf import settings
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from psycopg.types.numeric import Int8

from analytics import channels
from analytics.events import GALLERY_TYPES, Event
from analytics.services.partitions import ensure_event_partitions
from core.database import libpq_dsn

NO_PARTITION = "23514"  # check_violation: "no partition of relation ... found for row"
SEEN_BEFORE = "23505"  # unique_violation: an event id already has its receipt
AUTO_SESSION = "auto:"
# At most this many batches in one combined statement (Combined): 8 of 50 events is a
# statement of 400, smaller than one full batch of 500.
COMBINE_LIMIT = 8
# Statements a process writes at once: while one waits for its commit, another can go.
COMBINE_WRITERS = 2
LANDING_COLUMNS = ("landing_page", "referrer", *channels.UTM_FIELDS, "channel")
TALLY_COLUMNS = (
    "event_count", "page_views", "gallery_interactions", "add_to_carts", "leads", "purchases",
)  # fmt: skip
# The session counter each event type adds to, beside event_count.
TALLIED_TYPES = {
    "page_view": "page_views",
    **{kind: "gallery_interactions" for kind in GALLERY_TYPES},
    "add_to_cart": "add_to_carts",
    "lead": "leads",
    "purchase": "purchases",
}
# An earlier event arriving later moves the session's start: where it landed and
# what brought it are the earliest event's.
_LANDING_UPDATES = ",\n    ".join(
    f"{column} = CASE WHEN EXCLUDED.started_at < s.started_at "
    f"THEN EXCLUDED.{column} ELSE s.{column} END"
    for column in LANDING_COLUMNS
)

CLAIM_NEW = """
INSERT INTO analytics_eventreceipt (event_id, received_at)
SELECT id, %s FROM unnest(%s::uuid[]) AS id
ORDER BY id
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id::text
"""
# Only this module's constants are interpolated into the text; values are parameters.
EVENT_RECORD = (
    "event_id uuid, type text, client_time timestamptz, time_clamped bool, visitor_id text, "
    "session_id text, page_url text, referrer text, asset_id bigint, gallery text, "
    "product_sku text, position int, value numeric, currency text, experiment text, "
    "variant text, batch int"
)
SESSION_RECORD = (
    "site_id bigint, device_class text, "
    "session_id text, visitor text, started_at timestamptz, ended_at timestamptz, "
    "landing_page text, referrer text, utm_source text, utm_medium text, utm_campaign text, "
    "utm_content text, utm_term text, channel text, "
    + ", ".join(f"{column} int" for column in TALLY_COLUMNS)
)
# One statement for the new events of one or more batches (each event's `batch`
# picks its request's receive time, site and address hash from the arrays),
# their visitors and sessions. With %(claim)s their receipts go in first (the scalar
# subquery runs that insert before any visitor is locked: the order the fallback,
# CLAIM_NEW first, keeps too), and a receipt already there fails the whole statement
# (SEEN_BEFORE). Sent with its whitespace folded: psycopg converts the placeholders of
# a statement of up to MAX_CACHED_STATEMENT_LENGTH bytes once per process, of a longer
# one at every call (8% of a web process's Python time, measured with py-spy).
STORE_NEW = f"""
WITH batch AS MATERIALIZED (
    SELECT * FROM json_to_recordset(%(events)s::json) AS e({EVENT_RECORD})
), claimed AS (
    INSERT INTO analytics_eventreceipt (event_id, received_at)
    SELECT event_id, (%(received_at)s::timestamptz[])[batch] FROM batch WHERE %(claim)s
    ORDER BY event_id
    RETURNING 1
), inserted AS (
    INSERT INTO analytics_event (
        event_id, received_at, site_id, ip_hash, type, client_time, time_clamped, visitor_id,
        session_id, page_url, referrer, asset_id, gallery, product_sku, position, value,
        currency, experiment, variant
    )
    SELECT event_id, (%(received_at)s::timestamptz[])[batch], (%(site_id)s::bigint[])[batch],
           (%(ip_hash)s::text[])[batch], type, client_time, time_clamped, visitor_id,
           session_id, page_url, referrer, asset_id, gallery, product_sku, position, value,
           currency, experiment, variant
    FROM batch
    RETURNING 1
), visitors AS (
    INSERT INTO analytics_visitor (site_id, visitor_id, first_seen, last_seen)
    SELECT t.site_id, t.visitor_id, t.first_seen, t.last_seen
    FROM json_to_recordset(%(visitors)s::json)
        AS t(site_id bigint, visitor_id text, first_seen timestamptz, last_seen timestamptz)
    WHERE (SELECT count(*) FROM claimed) >= 0
    ORDER BY t.site_id, t.visitor_id
    ON CONFLICT (site_id, visitor_id) DO UPDATE SET
        first_seen = LEAST(analytics_visitor.first_seen, EXCLUDED.first_seen),
        last_seen = GREATEST(analytics_visitor.last_seen, EXCLUDED.last_seen)
    RETURNING id, site_id, visitor_id
)
INSERT INTO analytics_session AS s (
    site_id, visitor_id, session_id, started_at, ended_at, landing_page, referrer,
    utm_source, utm_medium, utm_campaign, utm_content, utm_term, device_class, channel,
    {", ".join(TALLY_COLUMNS)}
)
SELECT n.site_id, v.id, n.session_id, n.started_at, n.ended_at, n.landing_page,
       n.referrer, n.utm_source, n.utm_medium, n.utm_campaign, n.utm_content, n.utm_term,
       n.device_class, n.channel, {", ".join(f"n.{column}" for column in TALLY_COLUMNS)}
FROM json_to_recordset(%(sessions)s::json) AS n({SESSION_RECORD})
JOIN visitors v ON v.site_id = n.site_id AND v.visitor_id = n.visitor
ORDER BY n.site_id, n.session_id
ON CONFLICT (site_id, session_id) DO UPDATE SET
    started_at = LEAST(s.started_at, EXCLUDED.started_at),
    ended_at = GREATEST(s.ended_at, EXCLUDED.ended_at),
    {_LANDING_UPDATES},
    {", ".join(f"{column} = s.{column} + EXCLUDED.{column}" for column in TALLY_COLUMNS)}
"""  # noqa: S608
STORE_NEW = " ".join(STORE_NEW.split())  # no quoted text in it: folding changes no value
_CLIENT_TIME = attrgetter("client_time")
_TYPE = attrgetter("type")


@dataclass
class Stored:
    accepted: int
    duplicates: int


def address_hash(address: str, *, site_id: int, day: date) -> str:
    """A keyed hash of a client address that changes every day: the same address on
    the same day and site hashes the same (for fraud and bot checks), and nothing
    links it to another day or gives the address back."""
    if not address:
        return ""
    day_key = _day_key(settings.ANALYTICS_IP_SALT_KEY, day)
    return hmac.digest(day_key, f"{site_id}|{address}".encode(), "sha256").hex()[:32]


@lru_cache(maxsize=4)
def _day_key(salt_key: str, day: date) -> bytes:
    """The day's key, derived once a day (per salt) rather than once per batch."""
    return hmac.digest(salt_key.encode(), day.isoformat().encode(), "sha256")


def store_events(
    *, site_id: int, events: list[Event], received_at: datetime, ip_hash: str, device_class: str
) -> Stored:
    """Store a validated batch once; the answer counts what was new and what was seen."""
    unique = unique_events(events)
    if not unique:
        return Stored(accepted=0, duplicates=len(events))
    if needs_sessions(unique):
        _assign_sessions(site_id, unique)
    batch = Batch(unique, received_at, site_id, ip_hash, device_class)
    # In the caller's transaction (tests, imports) the batch is written in it, alone.
    write = _write_alone if connection.in_atomic_block else _combined.write
    accepted = write(batch)
    return Stored(accepted=accepted, duplicates=len(events) - accepted)


def unique_events(events: list[Event]) -> list[Event]:
    """The batch with each event id once: its first event of that id, in order."""
    return list({event.event_id: event for event in reversed(events)}.values())[::-1]


def needs_sessions(events: list[Event]) -> bool:
    """Whether some event came without a session_id (_assign_sessions gives it one)."""
    return not all(event.session_id for event in events)


@dataclass
class Batch:
    events: list[Event]  # one per event id
    received_at: datetime
    site_id: int
    ip_hash: str
    device_class: str


class _Slot:
    """One batch waiting to be written: by its own thread or with others'."""

    __slots__ = ("accepted", "batch", "done", "error", "lead")

    def __init__(self, batch: Batch):
        self.batch = batch
        self.done = threading.Event()
        self.lead = False
        self.accepted: int | None = None
        self.error: BaseException | None = None


class Combined:
    """Group commit for the batches of one process: while `writers` statements are being
    written and committed, the batches that arrive queue up, and the next statement
    (written by the first of them to arrive) takes up to `limit` of them: one round
    trip, one statement and one commit for several requests. Each thread returns only
    after the commit that holds its batch (or with its own error), so what a 202 says
    is stored is on disk. A batch that finds no statement being written goes at once;
    a second statement (of `writers`) starts only with a batch already waiting."""

    def __init__(self, limit: int = COMBINE_LIMIT, writers: int = COMBINE_WRITERS):
        self.limit = limit
        self.writers = writers
        self._lock = threading.Lock()
        self._queue: list[_Slot] = []
        self._writing = 0  # statements being written now

    def write(self, batch: Batch) -> int:
        slot = _Slot(batch)
        with self._lock:
            # A first writer goes at once; another only with a batch already waiting,
            # so that statements written beside one another are not of a batch each.
            if not self._writing or (self._writing < self.writers and self._queue):
                self._writing += 1
                slot.lead = True
            else:
                self._queue.append(slot)
        if not slot.lead:
            slot.done.wait()  # set by the writer of its group, or to make it the writer
        if slot.lead:
            self._lead(slot)
        if slot.error is not None:
            raise slot.error
        if slot.accepted is None:  # its writer was interrupted before it got to it
            raise RuntimeError("The batch was not written.")
        return slot.accepted

    def _lead(self, slot: _Slot) -> None:
        with self._lock:
            group = [slot, *self._queue[: self.limit - 1]]
            del self._queue[: self.limit - 1]
        try:
            _write_slots(group)
        finally:
            with self._lock:
                successor = self._queue.pop(0) if self._queue else None
                if successor is None:
                    self._writing -= 1
            for other in group[1:]:
                other.done.set()
            if successor is not None:
                successor.lead = True
                successor.done.set()


class LoopCombined:
    """Group commit on an event loop, for the collector (analytics/api/collector.py): one
    thread per process whose loop gathers the batches that wait into each statement,
    with no thread handoff per request (bench collect_events: 0.30-0.39 of COPY, against
    0.22-0.25 for Combined under gunicorn's threads in the same runs, and about 3.7
    batches per commit against 2). The same statement as Combined, on an
    asyncio connection of its own; each caller's future is set only after the commit
    that holds its batch. Every path but the usual one is Combined's, in a thread:
    when a statement fails for any reason but a lost database (an id seen before, no
    partition yet), each of its batches goes to _write_alone. A lost database fails
    the statement's batches (503) and the next statement connects again."""

    def __init__(self, limit: int = COMBINE_LIMIT):
        self.limit = limit
        self._queue: list[tuple[Batch, asyncio.Future]] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._conn: psycopg.AsyncConnection | None = None
        self._fallbacks: set[asyncio.Task] = set()

    async def store_events(
        self, *, site_id: int, events: list[Event], received_at: datetime, ip_hash: str,
        device_class: str,
    ) -> Stored:  # fmt: skip
        """store_events, on the loop."""
        unique = unique_events(events)
        if not unique:
            return Stored(accepted=0, duplicates=len(events))
        if needs_sessions(unique):
            await in_thread(_assign_sessions, site_id, unique)
        accepted = await self.write(Batch(unique, received_at, site_id, ip_hash, device_class))
        return Stored(accepted=accepted, duplicates=len(events) - accepted)

    async def write(self, batch: Batch) -> int:
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())
        done = asyncio.get_running_loop().create_future()
        self._queue.append((batch, done))
        self._wake.set()
        return await done

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._conn is not None:
            await self._conn.close()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                group, self._queue = self._queue[: self.limit], self._queue[self.limit :]
                await self._write_group(group)

    async def _write_group(self, group: list[tuple[Batch, asyncio.Future]]) -> None:
        batches = [batch for batch, _ in group]
        try:
            conn = await self._connection()
            await conn.execute(STORE_NEW, statement_params(batches, claim=True), prepare=True)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            await self._drop_connection()
            lost = OperationalError(f"The database connection failed: {exc}")
            for _, done in group:
                _settle(done, error=lost)
        except Exception:  # nothing was written (one statement): each batch on its own
            for batch, done in group:
                task = asyncio.get_running_loop().create_task(self._write_alone(batch, done))
                self._fallbacks.add(task)
                task.add_done_callback(self._fallbacks.discard)
        else:
            for batch, done in group:
                _settle(done, result=len(batch.events))

    async def _write_alone(self, batch: Batch, done: asyncio.Future) -> None:
        try:
            accepted = await in_thread(_write_alone, batch)
        except Exception as exc:
            _settle(done, error=exc)
        else:
            _settle(done, result=accepted)

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            db = settings.DATABASES["default"]
            timeout = db.get("OPTIONS", {}).get("connect_timeout", 5)
            self._conn = await psycopg.AsyncConnection.connect(
                libpq_dsn(db), autocommit=True, connect_timeout=timeout
            )
        return self._conn

    async def _drop_connection(self) -> None:
        if self._conn is not None:
            with suppress(Exception):  # it is gone already
                await self._conn.close()
        self._conn = None


def _settle(done: asyncio.Future, *, result=None, error: BaseException | None = None) -> None:
    if done.done():  # its request went away (the client hung up): nothing to tell
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


async def in_thread(function, *args, **kwargs):
    """A blocking call (Django's ORM, a cache lookup) from the loop, in a worker thread
    whose database connection is checked first, as each request of a Django view is:
    one that a restart broke is replaced, not used again."""

    def call():
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return await asyncio.to_thread(call)


def _write_slots(group: list[_Slot]) -> None:
    """Every slot gets its count of new events, or its error."""
    if len(group) > 1:
        try:
            _store_new([slot.batch for slot in group], claim=True)
        except (OperationalError, InterfaceError) as exc:  # the database is gone: for all
            _fail(group, exc)
            return
        except Exception:  # noqa: S110 - each batch goes again on its own, below
            # An id seen before or in two of the batches, no partition yet, a value
            # the database refuses: nothing was written (one statement).
            pass
        else:
            for slot in group:
                slot.accepted = len(slot.batch.events)
            return
    for slot in group:
        try:
            slot.accepted = _write_alone(slot.batch)
        except Exception as exc:
            slot.error = exc


def _fail(group: list[_Slot], exc: BaseException) -> None:
    for slot in group:
        slot.error = exc


def _write_alone(batch: Batch) -> int:
    try:
        return _write(batch)
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != NO_PARTITION:
            raise
        # The beat task has not made this month's partition: make it, then write.
        ensure_event_partitions(now=batch.received_at)
        return _write(batch)


def _write(batch: Batch) -> int:
    """The number of new events stored. First as if every id were new, in one
    statement; when one was seen before, the ids are claimed one by one first."""
    try:
        return _store_new([batch], claim=True)
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != SEEN_BEFORE:
            raise
    with transaction.atomic():
        new = _claim_new(batch)
        if not new:
            return 0
        return _store_new([replace(batch, events=new)], claim=False)


def _store_new(batches: list[Batch], *, claim: bool) -> int:
    """Write the batches' events (all new) in one statement; the number written."""
    # Outside a transaction block the one statement commits on its own before
    # execute() returns; inside one (the fallback, tests, callers' atomic blocks) it
    # runs in a savepoint, so a missing partition can be made and the write tried again.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    params = statement_params(batches, claim=claim)
    with savepoint, _cursor() as cursor:
        # Prepared once per connection: not parsed and planned again every batch.
        cursor.execute(STORE_NEW, params, prepare=True)
    return sum(len(batch.events) for batch in batches)


def statement_params(batches: list[Batch], *, claim: bool) -> dict:
    """STORE_NEW's parameters for these batches (each event numbered by its batch)."""
    events = []
    for number, batch in enumerate(batches, 1):
        for event in batch.events:
            event.batch = number
        events += batch.events
    params = _visit_params(batches)
    params.update(
        events=_json(events),
        claim=claim,
        received_at=[batch.received_at for batch in batches],
        site_id=[Int8(batch.site_id) for batch in batches],
        ip_hash=[batch.ip_hash for batch in batches],
    )
    return params


def _claim_new(batch: Batch) -> list[Event]:
    """The events whose ids had no receipt yet; their receipts are written here."""
    ids = "{" + ",".join(event.event_id for event in batch.events) + "}"  # canonical UUIDs
    with _cursor() as cursor:
        cursor.execute(CLAIM_NEW, [batch.received_at, ids])
        new = {row[0] for row in cursor.fetchall()}
    return [event for event in batch.events if event.event_id in new]


@contextmanager
def _cursor():
    """A psycopg cursor of our own, for server-side binding: the JSON documents go as
    parameters as they are, not re-escaped into one long SQL literal (Django's
    default cursor)."""
    with connection.wrap_database_errors:
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            yield cursor


def _visit_params(batches: list[Batch]) -> dict:
    """The sessions the batches' events touch, each tallied, and their visitors: two
    small JSON documents for STORE_NEW (one C-speed dump each). A session or visitor
    in several of the batches is one row (a statement may not upsert a row twice)."""
    by_session: dict[tuple[int, str], tuple[list[Event], Batch]] = {}
    for batch in batches:
        site_id = batch.site_id
        for event in batch.events:
            group = by_session.get((site_id, event.session_id))
            if group is None:
                by_session[site_id, event.session_id] = ([event], batch)
            else:
                group[0].append(event)
    sessions, visitors = [], {}
    for key in sorted(by_session):
        group, batch = by_session[key]
        first = min(group, key=_CLIENT_TIME)
        ended = max(map(_CLIENT_TIME, group))
        sessions.append(_session_record(key, batch.device_class, first, ended, _tally(group)))
        visitor = (key[0], first.visitor_id)
        seen = visitors.get(visitor)
        visitors[visitor] = (
            (first.client_time, ended) if seen is None
            else (min(seen[0], first.client_time), max(seen[1], ended))
        )  # fmt: skip
    return {
        "sessions": _json(sessions),
        "visitors": _json(
            [
                {"site_id": site_id, "visitor_id": visitor, "first_seen": first, "last_seen": last}
                for (site_id, visitor), (first, last) in sorted(visitors.items())
            ]
        ),
    }


def _tally(group: list[Event]) -> dict:
    counts = Counter(map(_TYPE, group))
    tally = dict.fromkeys(TALLY_COLUMNS, 0)
    tally["event_count"] = len(group)
    for kind, count in counts.items():
        column = TALLIED_TYPES.get(kind)
        if column:
            tally[column] += count
    return tally


def _json(rows: list) -> str:
    # orjson writes the Event dataclasses field by field (their names are EVENT_RECORD's
    # columns), datetimes as RFC 3339; Decimals (event values) by str, exactly as given.
    return orjson.dumps(rows, default=str).decode()


def _session_record(
    key: tuple[int, str], device_class: str, first: Event, ended_at: datetime, tally: dict
) -> dict:
    land = channels.landing(first.page_url, first.referrer)
    return {
        **tally,
        "site_id": key[0],
        "device_class": device_class,
        "session_id": key[1],
        "visitor": first.visitor_id,
        "started_at": first.client_time,
        "ended_at": ended_at,
        "landing_page": first.page_url,
        "referrer": first.referrer,
        **{name: land.utm.get(name, "") for name in channels.UTM_FIELDS},
        "channel": channels.classify(land),
    }


LAST_AUTO_SESSIONS = """
SELECT DISTINCT ON (v.visitor_id) v.visitor_id, s.session_id, s.ended_at
FROM analytics_session s JOIN analytics_visitor v ON v.id = s.visitor_id
WHERE s.site_id = %s AND v.site_id = %s AND v.visitor_id = ANY(%s::text[])
  AND s.session_id LIKE 'auto:%%'
ORDER BY v.visitor_id, s.ended_at DESC
"""


def _assign_sessions(site_id: int, events: list[Event]) -> None:
    """Events sent without a session_id: a visitor's session goes on until 30 minutes
    (ANALYTICS_SESSION_TIMEOUT_MINUTES) pass without an event, continuing the
    visitor's last such session when this batch starts within that time."""
    loose = sorted((e for e in events if not e.session_id), key=lambda e: e.client_time)
    timeout = timedelta(minutes=settings.ANALYTICS_SESSION_TIMEOUT_MINUTES)
    with connection.cursor() as cursor:
        visitors = sorted({e.visitor_id for e in loose})
        cursor.execute(LAST_AUTO_SESSIONS, [site_id, site_id, visitors])
        current = {visitor: (session, ended) for visitor, session, ended in cursor.fetchall()}
    for event in loose:
        session, ended = current.get(event.visitor_id, (None, None))
        if session is None or event.client_time - ended > timeout:
            session = (
                f"{AUTO_SESSION}{event.visitor_id}:{int(event.client_time.timestamp() * 1000)}"
            )
        event.session_id = session
        current[event.visitor_id] = (session, max(ended or event.client_time, event.client_time))


def count_bots(*, site_id: int, day: date, events: int) -> None:
    """Add a crawler's dropped events to the site's count for the day."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analytics_botcount (site_id, day, events) VALUES (%s, %s, %s) "
            "ON CONFLICT (site_id, day) DO UPDATE "
            "SET events = analytics_botcount.events + EXCLUDED.events",
            [site_id, day, events],
        )


_combined = Combined()
