"""Storing a batch of collected events, with its visitors and sessions, durably.

One batch is two statements in one transaction, whatever its size:

1. receipts and events: the batch's event ids go into `analytics_eventreceipt`
   with ON CONFLICT DO NOTHING; only the ids that were new pass on, in the same
   statement, into the partitioned events table. An id seen before (a retry, a
   resent beacon) is counted as a duplicate and changes nothing.
2. visitors and sessions: upserted from the new events only, so a retried batch
   never counts twice.

The caller answers 202 only after this returns, i.e. after the commit: what the
client was told is stored is on disk. Rows are sorted by key before each upsert
so concurrent batches lock visitors and sessions in the same order (no deadlock).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from analytics import channels
from analytics.events import GALLERY_TYPES, Event
from analytics.services.partitions import ensure_event_partitions

NO_PARTITION = "23514"  # check_violation: "no partition of relation ... found for row"
AUTO_SESSION = "auto:"

INSERT_EVENTS = """
WITH fresh AS (
    INSERT INTO analytics_eventreceipt (event_id, received_at)
    SELECT unnest(%(ids)s::uuid[]), %(received_at)s
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
)
INSERT INTO analytics_event (
    event_id, received_at, site_id, ip_hash, type, client_time, time_clamped, visitor_id,
    session_id, page_url, referrer, asset_id, gallery, product_sku, position, value,
    currency, experiment, variant
)
SELECT e.event_id, %(received_at)s, %(site_id)s, %(ip_hash)s, e.type, e.client_time,
       e.time_clamped, e.visitor_id, e.session_id, e.page_url, e.referrer, e.asset_id,
       e.gallery, e.product_sku, e.position, e.value, e.currency, e.experiment, e.variant
FROM unnest(
    %(ids)s::uuid[], %(type)s::text[], %(client_time)s::timestamptz[], %(time_clamped)s::bool[],
    %(visitor_id)s::text[], %(session_id)s::text[], %(page_url)s::text[], %(referrer)s::text[],
    %(asset_id)s::bigint[], %(gallery)s::text[], %(product_sku)s::text[], %(position)s::int[],
    %(value)s::numeric[], %(currency)s::text[], %(experiment)s::text[], %(variant)s::text[]
) AS e(event_id, type, client_time, time_clamped, visitor_id, session_id, page_url, referrer,
       asset_id, gallery, product_sku, position, value, currency, experiment, variant)
JOIN fresh USING (event_id)
RETURNING event_id
"""
EVENT_COLUMNS = (
    "type", "client_time", "time_clamped", "visitor_id", "session_id", "page_url", "referrer",
    "asset_id", "gallery", "product_sku", "position", "value", "currency", "experiment",
    "variant",
)  # fmt: skip

UPSERT_VISITORS_AND_SESSIONS = """
WITH v AS (
    INSERT INTO analytics_visitor (site_id, visitor_id, first_seen, last_seen)
    SELECT %(site_id)s, t.visitor_id, t.first_seen, t.last_seen
    FROM unnest(%(visitors)s::text[], %(first_seen)s::timestamptz[], %(last_seen)s::timestamptz[])
        AS t(visitor_id, first_seen, last_seen)
    ON CONFLICT (site_id, visitor_id) DO UPDATE SET
        first_seen = LEAST(analytics_visitor.first_seen, EXCLUDED.first_seen),
        last_seen = GREATEST(analytics_visitor.last_seen, EXCLUDED.last_seen)
    RETURNING id, visitor_id
)
INSERT INTO analytics_session AS s (
    site_id, visitor_id, session_id, started_at, ended_at, landing_page, referrer,
    utm_source, utm_medium, utm_campaign, utm_content, utm_term, device_class, channel,
    event_count, page_views, gallery_interactions, add_to_carts, leads, purchases
)
SELECT %(site_id)s, v.id, n.session_id, n.started_at, n.ended_at, n.landing_page, n.referrer,
       n.utm_source, n.utm_medium, n.utm_campaign, n.utm_content, n.utm_term,
       %(device_class)s, n.channel, n.event_count, n.page_views, n.gallery_interactions,
       n.add_to_carts, n.leads, n.purchases
FROM unnest(
    %(session_id)s::text[], %(visitor)s::text[], %(started_at)s::timestamptz[],
    %(ended_at)s::timestamptz[], %(landing_page)s::text[], %(referrer)s::text[],
    %(utm_source)s::text[], %(utm_medium)s::text[], %(utm_campaign)s::text[],
    %(utm_content)s::text[], %(utm_term)s::text[], %(channel)s::text[], %(event_count)s::int[],
    %(page_views)s::int[], %(gallery_interactions)s::int[], %(add_to_carts)s::int[],
    %(leads)s::int[], %(purchases)s::int[]
) AS n(session_id, visitor, started_at, ended_at, landing_page, referrer, utm_source,
       utm_medium, utm_campaign, utm_content, utm_term, channel, event_count, page_views,
       gallery_interactions, add_to_carts, leads, purchases)
JOIN v ON v.visitor_id = n.visitor
ON CONFLICT (site_id, session_id) DO UPDATE SET
    started_at = LEAST(s.started_at, EXCLUDED.started_at),
    ended_at = GREATEST(s.ended_at, EXCLUDED.ended_at),
    {landing_updates},
    event_count = s.event_count + EXCLUDED.event_count,
    page_views = s.page_views + EXCLUDED.page_views,
    gallery_interactions = s.gallery_interactions + EXCLUDED.gallery_interactions,
    add_to_carts = s.add_to_carts + EXCLUDED.add_to_carts,
    leads = s.leads + EXCLUDED.leads,
    purchases = s.purchases + EXCLUDED.purchases
""".replace(
    "{landing_updates}",
    # An earlier event arriving later moves the session's start: where it landed and
    # what brought it are the earliest event's.
    ",\n    ".join(
        f"{column} = CASE WHEN EXCLUDED.started_at < s.started_at "
        f"THEN EXCLUDED.{column} ELSE s.{column} END"
        for column in ("landing_page", "referrer", *channels.UTM_FIELDS, "channel")
    ),
)
COUNTED_TYPES = {
    "page_view": "page_views",
    "add_to_cart": "add_to_carts",
    "lead": "leads",
    "purchase": "purchases",
}


@dataclass
class Stored:
    accepted: int
    duplicates: int


@dataclass
class _SessionTally:
    visitor: str
    first: Event
    ended_at: datetime
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


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
    try:
        new_ids = _write(site_id, unique, received_at, ip_hash, device_class)
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != NO_PARTITION:
            raise
        # The beat task has not made this month's partition: make it, then write.
        ensure_event_partitions(now=received_at)
        new_ids = _write(site_id, unique, received_at, ip_hash, device_class)
    return Stored(accepted=len(new_ids), duplicates=len(events) - len(new_ids))


def _write(site_id, events, received_at, ip_hash, device_class) -> set[str]:
    params = {name: [getattr(event, name) for event in events] for name in EVENT_COLUMNS}
    params.update(
        ids=[event.event_id for event in events],
        received_at=received_at,
        site_id=site_id,
        ip_hash=ip_hash,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT_EVENTS, params)
        new_ids = {str(row[0]) for row in cursor.fetchall()}
        fresh = [event for event in events if event.event_id in new_ids]
        if fresh:
            params = _session_params(fresh)
            params.update(site_id=site_id, device_class=device_class)
            cursor.execute(UPSERT_VISITORS_AND_SESSIONS, params)
    return new_ids


def _session_params(events: list[Event]) -> dict:
    sessions: dict[str, _SessionTally] = {}
    visitors: dict[str, list[datetime]] = {}
    for event in events:
        tally = sessions.get(event.session_id)
        if tally is None:
            tally = sessions[event.session_id] = _SessionTally(
                event.visitor_id, event, event.client_time
            )
        elif event.client_time < tally.first.client_time:
            tally.first = event
        tally.ended_at = max(tally.ended_at, event.client_time)
        tally.counts[COUNTED_TYPES.get(event.type, "")] += 1
        tally.counts["gallery_interactions"] += event.type in GALLERY_TYPES
        seen = visitors.setdefault(event.visitor_id, [event.client_time, event.client_time])
        seen[0] = min(seen[0], event.client_time)
        seen[1] = max(seen[1], event.client_time)
    ordered_visitors = sorted(visitors)
    params = {
        "visitors": ordered_visitors,
        "first_seen": [visitors[v][0] for v in ordered_visitors],
        "last_seen": [visitors[v][1] for v in ordered_visitors],
    }
    columns = defaultdict(list)
    for session_id in sorted(sessions):
        _session_row(columns, session_id, sessions[session_id])
    params.update(columns)
    return params


def _session_row(columns: dict, session_id: str, tally: _SessionTally) -> None:
    first = tally.first
    land = channels.landing(first.page_url, first.referrer)
    columns["session_id"].append(session_id)
    columns["visitor"].append(tally.visitor)
    columns["started_at"].append(first.client_time)
    columns["ended_at"].append(tally.ended_at)
    columns["landing_page"].append(first.page_url)
    columns["referrer"].append(first.referrer)
    for name in channels.UTM_FIELDS:
        columns[name].append(land.utm.get(name, ""))
    columns["channel"].append(channels.classify(land))
    columns["event_count"].append(
        sum(n for k, n in tally.counts.items() if k != "gallery_interactions")
    )
    for name in ("page_views", "gallery_interactions", "add_to_carts", "leads", "purchases"):
        columns[name].append(tally.counts.get(name, 0))


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
