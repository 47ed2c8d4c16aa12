"""Storing a batch of collected events, with its visitors and sessions, durably.

A batch is ONE statement in autocommit, whatever its size, so it costs one round
trip and one commit, and is all or nothing:

1. its event ids go into `analytics_eventreceipt` with ON CONFLICT DO NOTHING;
   only the ids that were new pass on into the partitioned events table. An id
   seen before (a retry, a resent beacon) is a duplicate and changes nothing;
2. the events actually inserted are tallied per session in SQL, so visitors and
   sessions are upserted from new events only and a retried batch never counts
   twice. Where a session landed and what brought it are worked out in Python
   (URL parsing, channel rules) and passed in as arrays.

The caller answers 202 only after this returns, i.e. after the commit: what the
client was told is stored is on disk. Visitors and sessions are sorted by key so
concurrent batches lock them in the same order (no deadlock).
"""

from __future__ import annotations

import hashlib
import hmac
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import orjson
import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from analytics import channels
from analytics.events import GALLERY_TYPES, Event
from analytics.services.partitions import ensure_event_partitions

NO_PARTITION = "23514"  # check_violation: "no partition of relation ... found for row"
AUTO_SESSION = "auto:"
LANDING_COLUMNS = ("landing_page", "referrer", *channels.UTM_FIELDS, "channel")
_GALLERY = ", ".join(f"'{kind}'" for kind in sorted(GALLERY_TYPES))
# An earlier event arriving later moves the session's start: where it landed and
# what brought it are the earliest event's.
_LANDING_UPDATES = ",\n    ".join(
    f"{column} = CASE WHEN EXCLUDED.started_at < s.started_at "
    f"THEN EXCLUDED.{column} ELSE s.{column} END"
    for column in LANDING_COLUMNS
)

# Only this module's constants are interpolated into the text; values are parameters.
EVENT_RECORD = (
    "event_id uuid, type text, client_time timestamptz, time_clamped bool, visitor_id text, "
    "session_id text, page_url text, referrer text, asset_id bigint, gallery text, "
    "product_sku text, position int, value numeric, currency text, experiment text, "
    "variant text"
)
SESSION_RECORD = (
    "session_id text, visitor text, started_at timestamptz, ended_at timestamptz, "
    "landing_page text, referrer text, utm_source text, utm_medium text, utm_campaign text, "
    "utm_content text, utm_term text, channel text"
)
STORE_BATCH = f"""
WITH batch AS MATERIALIZED (
    SELECT * FROM json_to_recordset(%(events)s::json) AS e({EVENT_RECORD})
), fresh AS (
    INSERT INTO analytics_eventreceipt (event_id, received_at)
    SELECT event_id, %(received_at)s FROM batch
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
), inserted AS (
    INSERT INTO analytics_event (
        event_id, received_at, site_id, ip_hash, type, client_time, time_clamped, visitor_id,
        session_id, page_url, referrer, asset_id, gallery, product_sku, position, value,
        currency, experiment, variant
    )
    SELECT e.event_id, %(received_at)s, %(site_id)s, %(ip_hash)s, e.type, e.client_time,
           e.time_clamped, e.visitor_id, e.session_id, e.page_url, e.referrer, e.asset_id,
           e.gallery, e.product_sku, e.position, e.value, e.currency, e.experiment, e.variant
    FROM batch e JOIN fresh USING (event_id)
    RETURNING event_id, session_id, type
), tally AS (
    SELECT session_id,
           count(*)::int AS event_count,
           count(*) FILTER (WHERE type = 'page_view')::int AS page_views,
           count(*) FILTER (WHERE type IN ({_GALLERY}))::int AS gallery_interactions,
           count(*) FILTER (WHERE type = 'add_to_cart')::int AS add_to_carts,
           count(*) FILTER (WHERE type = 'lead')::int AS leads,
           count(*) FILTER (WHERE type = 'purchase')::int AS purchases
    FROM inserted GROUP BY session_id
), touched AS (
    SELECT * FROM json_to_recordset(%(sessions)s::json) AS n({SESSION_RECORD})
    JOIN tally USING (session_id)
), visitors AS (
    INSERT INTO analytics_visitor (site_id, visitor_id, first_seen, last_seen)
    SELECT %(site_id)s, t.visitor_id, t.first_seen, t.last_seen
    FROM json_to_recordset(%(visitors)s::json)
        AS t(visitor_id text, first_seen timestamptz, last_seen timestamptz)
    WHERE t.visitor_id IN (SELECT visitor FROM touched)
    ORDER BY t.visitor_id
    ON CONFLICT (site_id, visitor_id) DO UPDATE SET
        first_seen = LEAST(analytics_visitor.first_seen, EXCLUDED.first_seen),
        last_seen = GREATEST(analytics_visitor.last_seen, EXCLUDED.last_seen)
    RETURNING id, visitor_id
), sessions AS (
    INSERT INTO analytics_session AS s (
        site_id, visitor_id, session_id, started_at, ended_at, landing_page, referrer,
        utm_source, utm_medium, utm_campaign, utm_content, utm_term, device_class, channel,
        event_count, page_views, gallery_interactions, add_to_carts, leads, purchases
    )
    SELECT %(site_id)s, v.id, n.session_id, n.started_at, n.ended_at, n.landing_page,
           n.referrer, n.utm_source, n.utm_medium, n.utm_campaign, n.utm_content, n.utm_term,
           %(device_class)s, n.channel, n.event_count, n.page_views, n.gallery_interactions,
           n.add_to_carts, n.leads, n.purchases
    FROM touched n JOIN visitors v ON v.visitor_id = n.visitor
    ORDER BY n.session_id
    ON CONFLICT (site_id, session_id) DO UPDATE SET
        started_at = LEAST(s.started_at, EXCLUDED.started_at),
        ended_at = GREATEST(s.ended_at, EXCLUDED.ended_at),
        {_LANDING_UPDATES},
        event_count = s.event_count + EXCLUDED.event_count,
        page_views = s.page_views + EXCLUDED.page_views,
        gallery_interactions = s.gallery_interactions + EXCLUDED.gallery_interactions,
        add_to_carts = s.add_to_carts + EXCLUDED.add_to_carts,
        leads = s.leads + EXCLUDED.leads,
        purchases = s.purchases + EXCLUDED.purchases
    RETURNING 1
)
SELECT count(*)::int FROM inserted  -- a number back, not every new id
"""  # noqa: S608


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
    day_key = hmac.digest(
        settings.ANALYTICS_IP_SALT_KEY.encode(), day.isoformat().encode(), "sha256"
    )
    return hmac.new(day_key, f"{site_id}|{address}".encode(), hashlib.sha256).hexdigest()[:32]


def store_events(
    *, site_id: int, events: list[Event], received_at: datetime, ip_hash: str, device_class: str
) -> Stored:
    """Store a validated batch once; the answer counts what was new and what was seen."""
    unique = list({event.event_id: event for event in reversed(events)}.values())[::-1]
    if not unique:
        return Stored(accepted=0, duplicates=len(events))
    _assign_sessions(site_id, unique)
    params = _batch_params(unique)
    params.update(
        received_at=received_at, site_id=site_id, ip_hash=ip_hash, device_class=device_class
    )
    try:
        accepted = _write(params)
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != NO_PARTITION:
            raise
        # The beat task has not made this month's partition: make it, then write.
        ensure_event_partitions(now=received_at)
        accepted = _write(params)
    return Stored(accepted=accepted, duplicates=len(events) - accepted)


def _write(params: dict) -> int:
    # Outside a transaction block this one statement commits on its own before
    # execute() returns; inside one (tests, callers' atomic blocks) it runs in a
    # savepoint, so a missing partition can be made and the write tried again.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.wrap_database_errors:
        connection.ensure_connection()
        # Server-side binding: the three JSON documents go as parameters as they are,
        # not re-escaped into one long SQL literal (Django's default cursor).
        # Prepared once per connection: the long statement is not parsed and planned
        # again for every batch (its plan does not depend on the values).
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(STORE_BATCH, params, prepare=True)
            return cursor.fetchone()[0]


def _batch_params(events: list[Event]) -> dict:
    """The batch as three JSON documents (events, sessions, visitors): one C-speed
    dump each, read back by json_to_recordset, costs far less than adapting
    sixteen arrays value by value."""
    visitors: dict[str, list[datetime]] = {}
    sessions: dict[str, list] = {}  # session id -> [first event, last time]
    for event in events:
        seen = visitors.setdefault(event.visitor_id, [event.client_time, event.client_time])
        seen[0], seen[1] = min(seen[0], event.client_time), max(seen[1], event.client_time)
        visit = sessions.setdefault(event.session_id, [event, event.client_time])
        if event.client_time < visit[0].client_time:
            visit[0] = event
        visit[1] = max(visit[1], event.client_time)
    return {
        # orjson writes the Event dataclasses themselves, field by field: their names
        # are EVENT_RECORD's columns (no dict per event).
        "events": _json(events),
        "sessions": _json([_session_record(sid, *sessions[sid]) for sid in sorted(sessions)]),
        "visitors": _json(
            [
                {"visitor_id": visitor, "first_seen": first, "last_seen": last}
                for visitor, (first, last) in sorted(visitors.items())
            ]
        ),
    }


def _json(rows: list) -> str:
    # Datetimes as RFC 3339 natively; Decimals (event values) by str, exactly as given.
    return orjson.dumps(rows, default=str).decode()


def _session_record(session_id: str, first: Event, ended_at: datetime) -> dict:
    land = channels.landing(first.page_url, first.referrer)
    return {
        "session_id": session_id,
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
    if not loose:
        return
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
