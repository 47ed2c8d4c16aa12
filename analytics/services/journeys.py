"""Journeys from the database: each person's touches before each conversion.

A person is a customer (every visitor id seen on their orders, through
CustomerVisitor, counts as them) or else a lone visitor id. A touch is a
session (its channel) or a gallery interaction (asset_click, lightbox_open,
product_click; asset_impression when asked), with the channel of the session
it happened in and its gallery and asset. A conversion is an order that was
not cancelled, worth its total net of refunds.

The touches of a conversion are the person's touches after their previous
conversion and within `lookback_days` before it; touches in the range that
lead to no conversion make one non-converting journey per person.

Two queries stream fixed-width binary COPY rows straight into NumPy arrays
and the cut is a sort and a `searchsorted`: no Python loop per touch, so a
million journeys take seconds (bench/attribution_db.py).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.utils.translation import gettext_noop

from analytics.channels import CHANNELS
from core.reasons import Reason

NONE = "(none)"
CLICK_TYPES = ("asset_click", "lightbox_open", "product_click")
IMPRESSION_TYPE = "asset_impression"
SESSION, INTERACTION = 0, 1
MS_PER_DAY = 86_400_000
# Binary COPY: 11-byte signature, 4 flags, 4 extension length; a 2-byte trailer.
_COPY_HEADER, _COPY_TRAILER = 19, 2


class JourneyError(ValueError):
    """The range cannot be turned into journeys as asked; `.reason` says why, and its
    English is the exception's text (what the run's `error` and the API have said)."""

    def __init__(self, reason: Reason):
        super().__init__(reason.english())
        self.reason = reason


@dataclass(frozen=True)
class Journeys:
    """Journeys flat: journey i's touches are `offsets[i]:offsets[i + 1]`, oldest first.

    Codes: `channel` indexes `channels` and `gallery` indexes `galleries` (0 is
    "(none)" in both); `asset` is the asset id or 0. Times are epoch milliseconds.
    """

    channels: tuple[str, ...]
    galleries: tuple[str, ...]
    offsets: np.ndarray
    kind: np.ndarray
    time: np.ndarray
    channel: np.ndarray
    gallery: np.ndarray
    asset: np.ndarray
    conversions: np.ndarray  # per journey: 1 or 0
    values: np.ndarray  # per journey: net order value
    conversion_time: np.ndarray  # per journey, ms; a non-converting journey: its last touch
    unattributed_conversions: int
    unattributed_value: float

    def __len__(self) -> int:
        return len(self.conversions)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def journey_of_touch(self) -> np.ndarray:
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)


def day_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of date_from, start of the day after date_to), in UTC like the rollups."""
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return start, end


def build_journeys(
    *,
    date_from: dt.date,
    date_to: dt.date,
    lookback_days: int = 30,
    include_impressions: bool = False,
    currency: str = "",
) -> Journeys:
    """The journeys of conversions in [date_from, date_to] and of the range's other touches."""
    if date_to < date_from:
        raise JourneyError(Reason(gettext_noop("date_to is before date_from")))
    if lookback_days < 1:
        raise JourneyError(Reason(gettext_noop("lookback_days must be at least 1")))
    start, end = day_bounds(date_from, date_to)
    touch_start = start - dt.timedelta(days=lookback_days)
    types = [*CLICK_TYPES, IMPRESSION_TYPE] if include_impressions else list(CLICK_TYPES)
    with connection.cursor() as cursor:
        galleries = (NONE, *_galleries(cursor, touch_start, end, types))
        channels = (NONE, *CHANNELS)
        touches = _touches(cursor, touch_start, end, types, channels, galleries)
        orders = _conversions(cursor, start, end, currency)
    return _cut(touches, orders, channels, galleries, lookback_days, _ms(start))


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _galleries(cursor, start, end, types) -> list[str]:
    cursor.execute(
        """SELECT DISTINCT gallery FROM analytics_event
           WHERE type = ANY(%s) AND gallery IS NOT NULL AND gallery <> ''
             AND received_at >= %s AND received_at < %s ORDER BY gallery""",
        [types, start - dt.timedelta(days=1), end + dt.timedelta(days=1)],
    )
    return [row[0] for row in cursor.fetchall()]


# Persons as 64-bit hashes: the customer when the visitor was seen on their orders.
_PEOPLE = """people AS (
    SELECT visitor_id, min(customer_id) AS customer_id
    FROM commerce_customervisitor GROUP BY visitor_id
)"""

_TOUCHES = f"""WITH {_PEOPLE}, touches AS (
    SELECT v.visitor_id, s.started_at AS at, {SESSION} AS kind, s.channel, NULL::text AS gallery,
           NULL::bigint AS asset_id
    FROM analytics_session s JOIN analytics_visitor v ON v.id = s.visitor_id
    WHERE s.started_at >= %(start)s AND s.started_at < %(end)s
    UNION ALL
    SELECT e.visitor_id, e.client_time, {INTERACTION}, s.channel, e.gallery, e.asset_id
    FROM analytics_event e
    LEFT JOIN analytics_session s ON s.site_id = e.site_id AND s.session_id = e.session_id
    WHERE e.type = ANY(%(types)s)
      -- received_at is the partition key: a margin for clocks, then the real bound.
      AND e.received_at >= %(start)s - interval '1 day'
      AND e.received_at < %(end)s + interval '1 day'
      AND e.client_time >= %(start)s AND e.client_time < %(end)s
)
SELECT hashtextextended(coalesce('c' || p.customer_id, 'v' || t.visitor_id), 0),
       (extract(epoch FROM t.at) * 1000)::bigint,
       t.kind::bigint,
       coalesce(array_position(%(channels)s::text[], t.channel::text), 0)::bigint,
       coalesce(array_position(%(galleries)s::text[], t.gallery::text), 0)::bigint,
       coalesce(t.asset_id, 0)
FROM touches t LEFT JOIN people p ON p.visitor_id = t.visitor_id"""  # noqa: S608 - constants

# An order without a customer or a visitor id has no person (hash 0): unattributed.
_CONVERSIONS = f"""WITH {_PEOPLE}
SELECT coalesce(hashtextextended(
           coalesce('c' || o.customer_id, 'c' || p.customer_id,
                    'v' || nullif(o.visitor_id, '')), 0), 0),
       (extract(epoch FROM o.created_at_shop) * 1000)::bigint,
       greatest(o.total - o.refunded_amount, 0)::float8
FROM commerce_order o LEFT JOIN people p ON p.visitor_id = nullif(o.visitor_id, '')
WHERE o.created_at_shop >= %(start)s AND o.created_at_shop < %(end)s
  AND o.status <> 'cancelled' AND (%(currency)s = '' OR o.currency = %(currency)s)
"""  # noqa: S608 - only constants are formatted in


def _touches(cursor, start, end, types, channels, galleries) -> np.ndarray:
    params = {
        "start": start,
        "end": end,
        "types": types,
        "channels": list(channels[1:]),
        "galleries": list(galleries[1:]),
    }
    names = ("person", "time", "kind", "channel", "gallery", "asset")
    return _copy_rows(cursor, _TOUCHES, params, [(name, ">i8") for name in names])


def _conversions(cursor, start, end, currency: str) -> np.ndarray:
    if not currency:
        cursor.execute(
            """SELECT DISTINCT currency FROM commerce_order
               WHERE created_at_shop >= %s AND created_at_shop < %s AND status <> 'cancelled'""",
            [start, end],
        )
        found = sorted(row[0] for row in cursor.fetchall())
        if len(found) > 1:
            raise JourneyError(
                Reason(
                    gettext_noop(
                        "orders in %(currencies)s: name the currency to attribute, "
                        "values in different currencies do not add up"
                    ),
                    {"currencies": ", ".join(found)},
                )
            )
    params = {"start": start, "end": end, "currency": currency}
    columns = [("person", ">i8"), ("time", ">i8"), ("value", ">f8")]
    return _copy_rows(cursor, _CONVERSIONS, params, columns)


def _copy_rows(cursor, query: str, params: dict, columns) -> np.ndarray:
    """Rows of NOT NULL 8-byte columns through binary COPY, viewed as a NumPy record array.

    Every row is then the same size (a 2-byte field count, and a 4-byte length
    before each value), so the whole stream is one `frombuffer`.
    """
    buffer = io.BytesIO()
    raw = cursor.cursor  # Django's wrapper has no copy(); psycopg's cursor has.
    with raw.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)", params) as copy:
        for block in copy:
            buffer.write(block)
    data = buffer.getbuffer()[_COPY_HEADER:-_COPY_TRAILER]
    fields = [("count", ">i2")]
    for name, kind in columns:
        fields += [(f"{name}_length", ">i4"), (name, kind)]
    rows = np.frombuffer(data, dtype=np.dtype(fields))
    return rows[[name for name, _ in columns]]


def _cut(touches, orders, channels, galleries, lookback_days: int, range_start_ms: int):
    """Assign each touch to its person's next conversion, or to their non-converting journey."""
    known = orders["person"] != 0
    unattributed = orders[~known]
    orders = orders[known]
    _, person_ids = np.unique(
        np.concatenate([touches["person"], orders["person"]]), return_inverse=True
    )
    touch_person = person_ids[: len(touches)].astype(np.int64)
    order_person = person_ids[len(touches) :].astype(np.int64)
    touch_order = np.lexsort((touches["time"].astype(np.int64), touch_person))
    conv_order = np.lexsort((orders["time"].astype(np.int64), order_person))
    t_person, t_time = touch_person[touch_order], touches["time"][touch_order].astype(np.int64)
    c_person, c_time = order_person[conv_order], orders["time"][conv_order].astype(np.int64)
    c_value = orders["value"][conv_order].astype(np.float64)

    # The next conversion of the same person at or after each touch. A sentinel
    # conversion of no one (person -1) at the end keeps every index valid.
    next_conv = _next_conversion(t_person, t_time, c_person, c_time)
    s_person, s_time = np.append(c_person, -1), np.append(c_time, 0)
    same_person = s_person[next_conv] == t_person
    in_window = same_person & (t_time >= s_time[next_conv] - lookback_days * MS_PER_DAY)
    open_touch = ~same_person & (t_time >= range_start_ms)
    journey = np.where(in_window, next_conv, len(c_person) + t_person)
    keep = in_window | open_touch
    return _assemble(
        touch_order[keep],
        journey[keep],
        touches,
        c_time,
        c_value,
        channels,
        galleries,
        unattributed,
    )


def _next_conversion(t_person, t_time, c_person, c_time) -> np.ndarray:
    """searchsorted over (person, time) pairs, both sides sorted by person then time."""
    if not len(c_person):
        return np.zeros(len(t_person), dtype=np.int64)
    # Per person, search only within its own conversions: offset the time by the
    # person's rank so the pairs sort as one increasing key.
    span = int(max(t_time.max(initial=0), c_time.max()) - min(t_time.min(initial=0), c_time.min()))
    base = int(min(t_time.min(initial=c_time.min()), c_time.min()))
    stride = span + 1
    c_key = c_person * stride + (c_time - base)
    t_key = t_person * stride + (t_time - base)
    return np.searchsorted(c_key, t_key, side="left")


def _assemble(rows, journey, touches, c_time, c_value, channels, galleries, unattributed):
    order = np.argsort(journey, kind="stable")  # keeps each journey's touches in time order
    rows, journey = rows[order], journey[order]
    ids, starts = np.unique(journey, return_index=True)
    offsets = np.concatenate((starts, [len(rows)])).astype(np.int64)
    converting = ids < len(c_time)
    conv_time_of = np.minimum(ids, max(len(c_time) - 1, 0))
    last_touch = touches["time"][rows[offsets[1:] - 1]] if len(ids) else np.zeros(0)
    attributed = np.zeros(len(c_time), dtype=bool)
    attributed[ids[converting]] = True
    return Journeys(
        channels=channels,
        galleries=galleries,
        offsets=offsets,
        kind=touches["kind"][rows].astype(np.int8),
        time=touches["time"][rows].astype(np.int64),
        channel=touches["channel"][rows].astype(np.int32),
        gallery=touches["gallery"][rows].astype(np.int32),
        asset=touches["asset"][rows].astype(np.int64),
        conversions=converting.astype(np.float64),
        values=np.where(converting, c_value[conv_time_of] if len(c_value) else 0.0, 0.0),
        conversion_time=np.where(
            converting, c_time[conv_time_of] if len(c_time) else 0, last_touch
        ).astype(np.int64),
        unattributed_conversions=int(len(unattributed) + (~attributed).sum()),
        unattributed_value=float(unattributed["value"].sum() + c_value[~attributed].sum()),
    )
