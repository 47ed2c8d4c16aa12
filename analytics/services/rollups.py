"""Daily rollups: the KPI tables recomputed for one day from raw events, sessions and orders.

Design (why four tables, how a day is recomputed, and how today is read):

- `DailyAssetStats` (day, site, asset, gallery), `DailySessionStats` (day, site,
  channel, campaign, device class, UGC interaction), `DailyOrderStats` (day, site,
  channel, campaign, UGC interaction, currency) and `DailyProductStats` (day,
  product, UGC interaction, currency). Their grains do not nest, so one wide table
  would either repeat rows or lose a dimension. Platform, product and product-line
  views of the asset numbers are joins at read time (an asset's platform and tags),
  which keeps a retag from needing a re-rollup.
- A day is recomputed whole: one transaction deletes the day's rows and inserts
  them again from set-based `INSERT ... SELECT ... GROUP BY` statements, under an
  advisory lock per day. Re-running a day gives the same rows (idempotent), a
  half-done run leaves the old rows (atomic), and readers see old or new, never a mix.
- Days are UTC calendar days of the device's `client_time` (when it happened), so
  the event scans also bound `received_at`, the partition key, to the window the
  collect endpoint's clock clamp allows: partitions outside it are pruned.
- Reach over a range is not additive: rows keep the day's visitors as an array of
  64-bit hashes (`hashtextextended(visitor_id, 0)`), and the reader counts the
  distinct union. Collisions at 64 bits are negligible below billions of visitors.
- Today is read live: each table's day is one SELECT (ASSET_DAY, SESSION_DAY, ...),
  which the rollup INSERTs for any day and the KPI reads run as they are for today
  (`with_today()`), so today's figures come from raw events, sessions and orders at
  the moment they are asked for, not from the beat's last rollup of today.
- Incremental: `rollup_pending()` keeps a watermark of the last received event and
  changed order it has seen and recomputes only the days those touch, plus today
  and yesterday (the beat task).

"Interacted with UGC": a session interacted when it had an `asset_click`,
`lightbox_open`, or a `product_click` naming an asset or gallery (a shop-this-look
click) — an action, not an impression. An order's buyer interacted when their
visitor id had such an event within ANALYTICS_UGC_LOOKBACK_DAYS before the order.
Comparing the two groups is correlation: shoppers who click galleries may be more
likely to buy anyway. Causal lift is the experiments' job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.models import DailyAssetStats, RollupWatermark

logger = logging.getLogger(__name__)

ROLLUP_LOCK = 7_310_101  # + day ordinal: one rollup of a given day at a time
WATERMARK = "daily"
# Events and orders committed a little after a run read the watermark can carry an
# earlier timestamp; re-reading this much before it costs little (days are idempotent).
WATERMARK_OVERLAP = timedelta(minutes=10)
INTERACTION = (
    "(e.type IN ('asset_click', 'lightbox_open') OR (e.type = 'product_click' "
    "AND (e.asset_id IS NOT NULL OR e.gallery IS NOT NULL)))"
)
EVENT_WINDOW = (
    "e.received_at >= %(received_from)s AND e.received_at < %(received_to)s "
    "AND e.client_time >= %(start)s AND e.client_time < %(end)s"
)

# Each table's rows for one day come from a SELECT (the *_DAY statements): the
# rollup INSERTs them, and the KPI reads use them as they are for today (live_rows).
ASSET_COLUMNS = (
    "day, site_id, asset_id, gallery, gallery_views, impressions, clicks, lightbox_opens, "
    "product_clicks, conversions, revenue, visitors"
)
ASSET_DAY = f"""
SELECT %(day)s, e.site_id, e.asset_id, COALESCE(e.gallery, ''),
       count(*) FILTER (WHERE e.type = 'gallery_view'),
       count(*) FILTER (WHERE e.type = 'asset_impression'),
       count(*) FILTER (WHERE e.type = 'asset_click'),
       count(*) FILTER (WHERE e.type = 'lightbox_open'),
       count(*) FILTER (WHERE e.type = 'product_click'),
       0, 0,
       COALESCE(array_agg(DISTINCT hashtextextended(e.visitor_id, 0))
                FILTER (WHERE e.type IN ('asset_impression', 'gallery_view')), '{{}}')
FROM analytics_event e
WHERE {EVENT_WINDOW}
  AND e.type IN ('gallery_view', 'asset_impression', 'asset_click', 'lightbox_open',
                 'product_click')
  AND (e.asset_id IS NOT NULL OR e.gallery IS NOT NULL)
GROUP BY e.site_id, e.asset_id, COALESCE(e.gallery, '')
"""  # noqa: S608
ASSET_ROWS = f"INSERT INTO analytics_dailyassetstats ({ASSET_COLUMNS}) {ASSET_DAY}"

# Sessions that interacted: their interaction may fall after midnight, so the
# window runs a day past the session's start day.
SESSION_COLUMNS = (
    "day, site_id, channel, campaign, device_class, ugc_interacted, sessions, bounces, "
    "page_views, duration_seconds, leads, cart_sessions, cart_purchase_sessions, "
    "purchase_sessions, visitors"
)
SESSION_DAY = f"""
WITH interacted AS (
    SELECT DISTINCT e.site_id, e.session_id
    FROM analytics_event e
    WHERE e.received_at >= %(received_from)s AND e.received_at < %(received_to_late)s
      AND e.client_time >= %(start)s AND e.client_time < %(end_late)s AND {INTERACTION}
)
SELECT %(day)s, s.site_id, s.channel, lower(s.utm_campaign), s.device_class,
       i.session_id IS NOT NULL,
       count(*),
       count(*) FILTER (WHERE s.page_views <= 1),
       sum(s.page_views),
       sum(extract(epoch FROM s.ended_at - s.started_at)),
       sum(s.leads),
       count(*) FILTER (WHERE s.add_to_carts > 0),
       count(*) FILTER (WHERE s.add_to_carts > 0 AND s.purchases > 0),
       count(*) FILTER (WHERE s.purchases > 0),
       array_agg(DISTINCT hashtextextended(v.visitor_id, 0))
FROM analytics_session s
JOIN analytics_visitor v ON v.id = s.visitor_id
LEFT JOIN interacted i ON i.site_id = s.site_id AND i.session_id = s.session_id
WHERE s.started_at >= %(start)s AND s.started_at < %(end)s
GROUP BY s.site_id, s.channel, lower(s.utm_campaign), s.device_class, i.session_id IS NOT NULL
"""  # noqa: S608
SESSION_ROWS = f"INSERT INTO analytics_dailysessionstats ({SESSION_COLUMNS}) {SESSION_DAY}"

# The day's orders with what the other statements need: the buyer's last session
# before the order (its site, channel, campaign), how many sessions they had, whether
# they interacted with UGC in the lookback, whether it is the customer's first order.
ORDERS_OF_DAY = f"""
SELECT o.id, o.currency, o.subtotal, o.discounts, o.refunded_amount,
       o.subtotal - o.discounts - o.refunded_amount AS net,
       last.site_id,
       COALESCE(last.channel, CASE WHEN o.utm_source <> '' OR o.utm_medium <> '' THEN 'other'
                                   WHEN o.referrer <> '' THEN 'referral' ELSE 'direct' END)
           AS channel,
       COALESCE(NULLIF(lower(o.utm_campaign), ''), lower(last.utm_campaign), '') AS campaign,
       COALESCE(seen.sessions, 0) AS sessions_before,
       EXISTS (
           SELECT 1 FROM analytics_event e
           WHERE e.visitor_id = o.visitor_id AND e.site_id = last.site_id
             AND e.received_at >= %(lookback_from)s - interval '1 hour'
             AND e.received_at < %(received_to)s
             AND e.client_time >= o.created_at_shop - %(lookback)s
             AND e.client_time <= o.created_at_shop AND {INTERACTION}
       ) AS ugc_interacted,
       o.customer_id IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM commerce_order p
           WHERE p.customer_id = o.customer_id AND p.status <> 'cancelled'
             AND (p.created_at_shop, p.id) < (o.created_at_shop, o.id)
       ) AS new_customer
FROM commerce_order o
LEFT JOIN LATERAL (
    SELECT s.site_id, s.channel, s.utm_campaign
    FROM ugc_site site
    JOIN analytics_visitor v ON v.site_id = site.id AND v.visitor_id = o.visitor_id
    JOIN analytics_session s ON s.visitor_id = v.id AND s.started_at <= o.created_at_shop
    ORDER BY s.started_at DESC LIMIT 1
) last ON o.visitor_id <> ''
LEFT JOIN LATERAL (
    SELECT count(*) AS sessions
    FROM ugc_site site
    JOIN analytics_visitor v ON v.site_id = site.id AND v.visitor_id = o.visitor_id
    JOIN analytics_session s ON s.visitor_id = v.id AND s.started_at <= o.created_at_shop
) seen ON o.visitor_id <> ''
WHERE o.created_at_shop >= %(start)s AND o.created_at_shop < %(end)s
  AND o.status <> 'cancelled'
"""  # noqa: S608
DAY_ORDERS = f"CREATE TEMPORARY TABLE rollup_orders ON COMMIT DROP AS {ORDERS_OF_DAY}"

ORDER_COLUMNS = (
    "day, site_id, channel, campaign, ugc_interacted, currency, orders, new_customers, "
    "gross_revenue, discounts, refunds, net_revenue, sessions_before_purchase, "
    "buyers_with_sessions"
)
ORDER_DAY = """
SELECT %(day)s, site_id, channel, campaign, ugc_interacted, currency, count(*),
       count(*) FILTER (WHERE new_customer), sum(subtotal), sum(discounts),
       sum(refunded_amount), sum(net), sum(sessions_before),
       count(*) FILTER (WHERE sessions_before > 0)
FROM rollup_orders
GROUP BY site_id, channel, campaign, ugc_interacted, currency
"""
ORDER_ROWS = f"INSERT INTO analytics_dailyorderstats ({ORDER_COLUMNS}) {ORDER_DAY}"

PRODUCT_COLUMNS = (
    "day, product_id, product_line_id, ugc_interacted, currency, orders, units, revenue"
)
PRODUCT_DAY = """
SELECT %(day)s, l.product_id, p.product_line_id, o.ugc_interacted, o.currency,
       count(DISTINCT o.id), sum(l.quantity), sum(l.line_total)
FROM rollup_orders o
JOIN commerce_orderline l ON l.order_id = o.id
JOIN commerce_product p ON p.id = l.product_id
GROUP BY l.product_id, p.product_line_id, o.ugc_interacted, o.currency
"""
PRODUCT_ROWS = f"INSERT INTO analytics_dailyproductstats ({PRODUCT_COLUMNS}) {PRODUCT_DAY}"

# Each order counts once for every (site, asset, gallery) its buyer clicked in the
# lookback: assisted conversions, not shares of credit.
ASSET_CONVERSIONS_DAY = f"""
SELECT %(day)s, t.site_id, t.asset_id, t.gallery, 0, 0, 0, 0, 0, count(*), sum(t.net), '{{}}'
FROM (
    SELECT DISTINCT r.id, e.site_id, e.asset_id, COALESCE(e.gallery, '') AS gallery, r.net
    FROM rollup_orders r
    JOIN commerce_order o0 ON o0.id = r.id
    JOIN analytics_event e ON e.visitor_id = o0.visitor_id AND e.site_id = r.site_id
    WHERE e.received_at >= %(lookback_from)s - interval '1 hour'
      AND e.received_at < %(received_to)s
      AND e.client_time >= o0.created_at_shop - %(lookback)s
      AND e.client_time <= o0.created_at_shop
      AND e.asset_id IS NOT NULL AND {INTERACTION}
) t
GROUP BY t.site_id, t.asset_id, t.gallery
"""  # noqa: S608
ASSET_CONVERSIONS = f"""
INSERT INTO analytics_dailyassetstats AS a ({ASSET_COLUMNS}) {ASSET_CONVERSIONS_DAY}
ON CONFLICT (day, site_id, asset_id, gallery) DO UPDATE
SET conversions = EXCLUDED.conversions, revenue = EXCLUDED.revenue
"""

# Today's rows, computed from raw events, sessions and orders when read: each table's
# columns, and its day's rows as one SELECT (the orders of the day as a CTE where the
# rollup has a temporary table). An asset's conversions stay rows of their own here
# (the rollup merges them into the asset's row); the readers sum rows either way.
_WITH_ORDERS = f"WITH rollup_orders AS ({ORDERS_OF_DAY})"
LIVE_ROWS = {
    "analytics_dailyassetstats": (
        ASSET_COLUMNS,
        f"{ASSET_DAY} UNION ALL ({_WITH_ORDERS} {ASSET_CONVERSIONS_DAY})",
    ),
    "analytics_dailysessionstats": (SESSION_COLUMNS, SESSION_DAY),
    "analytics_dailyorderstats": (ORDER_COLUMNS, f"{_WITH_ORDERS} {ORDER_DAY}"),
    "analytics_dailyproductstats": (PRODUCT_COLUMNS, f"{_WITH_ORDERS} {PRODUCT_DAY}"),
}
LIVE_PREFIX = "live_"

TABLES = (
    "analytics_dailyassetstats",
    "analytics_dailysessionstats",
    "analytics_dailyorderstats",
    "analytics_dailyproductstats",
)


@dataclass
class RolledUp:
    day: date
    asset_rows: int
    session_rows: int
    order_rows: int
    product_rows: int


def day_bounds(day: date) -> dict:
    """The statement parameters for one UTC day, including the received_at window
    that the collect endpoint's clock clamp allows (for partition pruning)."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    ahead = timedelta(seconds=settings.ANALYTICS_CLIENT_TIME_MAX_AHEAD_SECONDS)
    late = timedelta(days=settings.ANALYTICS_CLIENT_TIME_MAX_AGE_DAYS)
    lookback = timedelta(days=settings.ANALYTICS_UGC_LOOKBACK_DAYS)
    return {
        "day": day,
        "start": start,
        "end": end,
        "end_late": end + timedelta(days=1),
        "received_from": start - ahead,
        "received_to": end + late,
        "received_to_late": end + timedelta(days=1) + late,
        "lookback": lookback,
        "lookback_from": start - lookback,
    }


def with_today(table: str) -> str:
    """A FROM item for a rollup table whose rows for today are computed from raw events
    now, not read from the rollup (at most ANALYTICS_ROLLUP_EVERY_SECONDS old): the
    stored rows of every other day, then today's. Its parameters: today_params()."""
    columns, live = LIVE_ROWS[table]
    today = live.replace("%(", f"%({LIVE_PREFIX}")  # the day's own names, beside the reader's
    return (
        f"(SELECT {columns} FROM {table} WHERE day <> %({LIVE_PREFIX}day)s "  # noqa: S608
        f"UNION ALL SELECT * FROM ({today}) today)"
    )


def today_params(today: date) -> dict:
    return {LIVE_PREFIX + name: value for name, value in day_bounds(today).items()}


def rollup_day(day: date) -> RolledUp:
    """Recompute every daily KPI table for one day, all or nothing."""
    params = day_bounds(day)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK + day.toordinal()])
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE day = %s", [day])  # noqa: S608
        counts = [_run(cursor, ASSET_ROWS, params), _run(cursor, SESSION_ROWS, params)]
        # ON COMMIT DROP fires only at the outermost commit; inside a caller's transaction
        # (tests, a batch of days) the previous day's table is still there.
        cursor.execute("DROP TABLE IF EXISTS rollup_orders")
        cursor.execute(DAY_ORDERS, params)
        counts += [_run(cursor, ORDER_ROWS, params), _run(cursor, PRODUCT_ROWS, params)]
        cursor.execute(ASSET_CONVERSIONS, params)
    return RolledUp(day, *counts)


def _run(cursor, sql: str, params: dict) -> int:
    cursor.execute(sql, params)
    return cursor.rowcount


# -- incremental runs --------------------------------------------------------------------

CHANGED_EVENT_DAYS = """
SELECT DISTINCT (client_time AT TIME ZONE 'UTC')::date FROM analytics_event
WHERE received_at > %s
"""
CHANGED_ORDER_DAYS = """
SELECT DISTINCT (created_at_shop AT TIME ZONE 'UTC')::date FROM commerce_order
WHERE updated_at > %s
"""


def days_to_roll(since: datetime | None, today: date) -> list[date]:
    """Today, yesterday, and every day with an event received or an order changed
    since the watermark (all days with data on a first run)."""
    days = {today, today - timedelta(days=1)}
    floor = (since - WATERMARK_OVERLAP) if since else datetime(1970, 1, 1, tzinfo=UTC)
    with connection.cursor() as cursor:
        for sql in (CHANGED_EVENT_DAYS, CHANGED_ORDER_DAYS):
            cursor.execute(sql, [floor])
            days.update(row[0] for row in cursor.fetchall())
    return sorted(day for day in days if day <= today)


def rollup_pending(*, now: datetime | None = None) -> list[date]:
    """Roll up the days that changed since the last run, then move the watermark to
    when this run started (what arrived during the run is picked up next time)."""
    started = now or timezone.now()
    mark = RollupWatermark.objects.filter(name=WATERMARK).first()
    days = days_to_roll(mark.value if mark else None, started.astimezone(UTC).date())
    for day in days:
        rollup_day(day)
    RollupWatermark.objects.update_or_create(name=WATERMARK, defaults={"value": started})
    return days


# -- performance back to ugc -------------------------------------------------------------


def asset_performance(day: date) -> list[dict]:
    """One row per asset for the day, summed over sites and galleries."""
    from django.db.models import Sum

    return list(
        DailyAssetStats.objects.filter(day=day, asset_id__isnull=False)
        .values("asset_id")
        .annotate(
            impressions=Sum("impressions"),
            clicks=Sum("clicks"),
            conversions=Sum("conversions"),
            revenue=Sum("revenue"),
        )
        .order_by("asset_id")
    )


def push_asset_performance(day: date) -> int:
    """Record each asset's day in ugc (scoring reads it) through ugc's own service."""
    from ugc.models import Asset
    from ugc.services.performance import record_asset_performance

    changed = 0
    for row in asset_performance(day):
        impressions = row["impressions"]
        try:
            outcome = record_asset_performance(
                asset_id=row["asset_id"],
                day=day,
                gallery_impressions=impressions,
                # A click whose impression beacon was lost (blocked, page left) would
                # break ugc's clicks <= impressions rule; count it as shown.
                clicks=min(row["clicks"], impressions),
                conversions=row["conversions"],
                # Refunds count on the day they happen, so a day can net below zero;
                # ugc's snapshot holds revenue earned (>= 0), and one such asset
                # used to fail the whole day's task on every retry.
                revenue=max(row["revenue"], 0),
                source="rollup",
            )
        except Asset.DoesNotExist:
            continue  # an event naming an asset deleted since: nothing to score
        changed += outcome != "unchanged"
    return changed
