"""KPI reads: counters summed from the daily rollup tables for one slice and period.

A slice is a dimension (all, asset, gallery, product, product_line, platform,
channel, campaign) with its key, optionally one site, one currency and one side of
the UGC split. Each source table answers only for the dimensions it has; the
others leave their counters at None ("not measured here"), which the KPI
formulas in analytics.kpis carry through. Platform, product and product-line
slices of the asset numbers join the asset's platform and accepted tags at read
time. Reach is the distinct union of the days' visitor hashes (see
analytics.services.rollups).

Today (UTC) is read from raw events, sessions and orders as the reader asks, not from
the rollup the beat keeps for it: a period that includes today reads each table
through rollups.with_today(), the stored rows of the other days plus today's rows
computed by the rollup's own statements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, timedelta
from functools import partial

from django.utils import timezone

from analytics import estimates, kpis
from analytics.kpis import Period
from analytics.services import rollups
from core.replica import read_connection

DIMENSIONS = (
    "all", "asset", "gallery", "product", "product_line", "platform", "channel", "campaign",
)  # fmt: skip
SOCIAL_CHANNELS = ("organic_social", "paid_social", "ugc_gallery")

TAGGED_WITH_PRODUCT = (
    "SELECT asset_id FROM ugc_producttag WHERE product_id = %(key)s AND accepted AND NOT dismissed"
)
TAGGED_WITH_LINE = (
    "SELECT asset_id FROM ugc_productlinetag WHERE product_line_id = %(key)s "
    "AND accepted AND NOT dismissed UNION "
    "SELECT pt.asset_id FROM ugc_producttag pt JOIN commerce_product p ON p.id = pt.product_id "
    "WHERE p.product_line_id = %(key)s AND pt.accepted AND NOT pt.dismissed"
)
ASSET_FILTERS = {
    "all": "TRUE",
    "asset": "t.asset_id = %(key)s",
    "gallery": "t.gallery = %(key)s",
    "platform": "t.asset_id IN (SELECT id FROM ugc_asset WHERE source_platform = %(key)s)",
    "product": f"t.asset_id IN ({TAGGED_WITH_PRODUCT})",
    "product_line": f"t.asset_id IN ({TAGGED_WITH_LINE})",
}
SOCIAL_FILTERS = {
    "all": "TRUE",
    "asset": "s.asset_id = %(key)s",
    "platform": "s.asset_id IN (SELECT id FROM ugc_asset WHERE source_platform = %(key)s)",
    "product": f"s.asset_id IN ({TAGGED_WITH_PRODUCT})",
    "product_line": f"s.asset_id IN ({TAGGED_WITH_LINE})",
}
TRAFFIC_FILTERS = {
    "all": "TRUE",
    "channel": "t.channel = %(key)s",
    "campaign": "t.campaign = %(key)s",
}
PRODUCT_FILTERS = {
    "product": "t.product_id = %(key)s",
    "product_line": "t.product_line_id = %(key)s",
}


@dataclass(frozen=True)
class Slice:
    dimension: str = "all"
    key: object = None
    site_id: int | None = None
    currency: str | None = None
    ugc: bool | None = None  # None: both sides of the UGC split


def _where(slice_: Slice, base: str, *, site: bool = True, ugc: bool = True) -> str:
    parts = [base, "t.day BETWEEN %(start)s AND %(end)s"]
    if site and slice_.site_id is not None:
        parts.append("t.site_id = %(site)s")
    if ugc and slice_.ugc is not None:
        parts.append("t.ugc_interacted = %(ugc)s")
    return " AND ".join(parts)


def _params(slice_: Slice, period: Period) -> dict:
    params = {
        "key": slice_.key,
        "site": slice_.site_id,
        "ugc": slice_.ugc,
        "currency": slice_.currency,
        "start": period.start,
        "end": period.end,
    }
    today = _today_in(period)
    return params if today is None else {**params, **rollups.today_params(today)}


def _today_in(period: Period) -> date | None:
    today = timezone.now().astimezone(UTC).date()
    return today if period.start <= today <= period.end else None


def _rows(table: str, period: Period) -> str:
    """What to read `table` from for the period: today's rows from raw events."""
    return table if _today_in(period) is None else rollups.with_today(table)


def _fetch(sql: str, params: dict, by_day: bool, found: dict | None = None) -> dict:
    """{day or None: {column: value}} for a statement whose first column is the day,
    merged into `found` when given."""
    found = {} if found is None else found
    with read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description][1:]
        for row in cursor:
            values = dict(zip(names, row[1:], strict=True))
            found.setdefault(row[0] if by_day else None, {}).update(values)
    return found


def _with_distinct(select: str, table: str, where: str, name: str, params, by_day) -> dict:
    """The sums, and the distinct count of the rows' visitor hashes (a union of sets, so
    not a sum) as `name`: one statement reading the slice's rows once (today's are
    computed from raw events, which is worth doing once, not twice)."""
    day = "t.day" if by_day else "NULL::date"
    group = "GROUP BY t.day" if by_day else ""
    same_day = "WHERE p.day = t.day" if by_day else ""
    sql = (
        f"WITH picked AS MATERIALIZED (SELECT t.* FROM {table} t {where}) "  # noqa: S608
        f"SELECT {day} AS day, {select}, (SELECT count(DISTINCT v) FROM picked p "
        f"CROSS JOIN LATERAL unnest(p.visitors) v {same_day}) AS {name} FROM picked t {group}"
    )
    return _fetch(sql, params, by_day)


def _grouped(select: str, table: str, where: str, by_day: bool) -> str:
    day = "t.day" if by_day else "NULL::date"
    group = "GROUP BY t.day" if by_day else ""
    return f"SELECT {day} AS day, {select} FROM {table} t {where} {group}"  # noqa: S608


ASSET_SELECT = """
    sum(t.gallery_views) AS gallery_views, sum(t.impressions) AS impressions,
    sum(t.clicks) AS clicks, sum(t.lightbox_opens) AS lightbox_opens,
    sum(t.product_clicks) AS product_clicks, sum(t.conversions) AS ugc_conversions,
    sum(t.revenue) AS ugc_revenue
"""


def asset_counters(
    slice_: Slice, period: Period, by_day: bool = False, *, visitors: bool = True
) -> dict:
    base = ASSET_FILTERS.get(slice_.dimension)
    if base is None or slice_.ugc is not None:
        return {}
    table = _rows("analytics_dailyassetstats", period)
    where = "WHERE " + _where(slice_, base, ugc=False)
    if not visitors:
        return _fetch(_grouped(ASSET_SELECT, table, where, by_day), _params(slice_, period), by_day)
    return _with_distinct(ASSET_SELECT, table, where, "reach", _params(slice_, period), by_day)


SESSION_SELECT = f"""
    sum(t.sessions) AS sessions, sum(t.bounces) AS bounces,
    sum(t.duration_seconds) AS duration_seconds, sum(t.leads) AS leads,
    sum(t.cart_sessions) AS cart_sessions, sum(t.cart_purchase_sessions) AS cart_purchase_sessions,
    sum(t.purchase_sessions) AS purchase_sessions,
    sum(t.sessions) FILTER (WHERE t.channel IN {SOCIAL_CHANNELS}) AS social_sessions
"""


def session_counters(
    slice_: Slice, period: Period, by_day: bool = False, *, visitors: bool = True
) -> dict:
    base = TRAFFIC_FILTERS.get(slice_.dimension)
    if base is None:
        return {}
    table = _rows("analytics_dailysessionstats", period)
    where = "WHERE " + _where(slice_, base)
    if not visitors:
        sql = _grouped(SESSION_SELECT, table, where, by_day)
        return _fetch(sql, _params(slice_, period), by_day)
    return _with_distinct(SESSION_SELECT, table, where, "visitors", _params(slice_, period), by_day)


ORDER_SELECT = """
    sum(t.orders) AS orders, sum(t.new_customers) AS new_customers,
    sum(t.gross_revenue) AS gross_revenue, sum(t.discounts) AS discounts,
    sum(t.refunds) AS refunds, sum(t.net_revenue) AS net_revenue,
    sum(t.sessions_before_purchase) AS sessions_before_purchase,
    sum(t.buyers_with_sessions) AS buyers_with_sessions
"""
PRODUCT_SELECT = """
    sum(t.orders) AS orders, sum(t.units) AS units, sum(t.revenue) AS gross_revenue,
    sum(t.revenue) AS net_revenue
"""


def order_counters(slice_: Slice, period: Period, by_day: bool = False) -> dict:
    if slice_.dimension in TRAFFIC_FILTERS:
        base, table, select = TRAFFIC_FILTERS[slice_.dimension], "dailyorderstats", ORDER_SELECT
    elif slice_.dimension in PRODUCT_FILTERS:
        base, table = PRODUCT_FILTERS[slice_.dimension], "dailyproductstats"
        select = PRODUCT_SELECT
    else:
        return {}
    where = "WHERE " + _where(slice_, base, site=table == "dailyorderstats")
    if slice_.currency is not None:
        where += " AND t.currency = %(currency)s"
    sql = _grouped(select, _rows(f"analytics_{table}", period), where, by_day)
    return _fetch(sql, _params(slice_, period), by_day)


def spend_counters(slice_: Slice, period: Period, by_day: bool = False) -> dict:
    if slice_.dimension not in TRAFFIC_FILTERS or slice_.ugc is not None:
        return {}
    base = TRAFFIC_FILTERS[slice_.dimension]
    where = f"WHERE {base} AND t.day BETWEEN %(start)s AND %(end)s"
    if slice_.currency is not None:
        where += " AND t.currency = %(currency)s"
    sql = _grouped("sum(t.amount) AS spend", "analytics_spend", where, by_day)
    return _fetch(sql, _params(slice_, period), by_day)


# Platform counters are lifetime totals at the moment of a snapshot: an asset's
# engagement in a period is its last snapshot by the period's end less its last
# snapshot before the period began (none: since it was posted).
SOCIAL_SQL = """
WITH ending AS (
    SELECT DISTINCT ON (s.asset_id) s.asset_id, s.impressions, s.reach,
           s.likes + s.comments + s.saves + s.shares AS engagements
    FROM ugc_assetengagementsnapshot s
    WHERE {where} AND s.captured_at < %(end)s::date + 1
    ORDER BY s.asset_id, s.captured_at DESC
), starting AS (
    SELECT DISTINCT ON (s.asset_id) s.asset_id, s.impressions, s.reach,
           s.likes + s.comments + s.saves + s.shares AS engagements
    FROM ugc_assetengagementsnapshot s
    WHERE {where} AND s.captured_at < %(start)s::date
    ORDER BY s.asset_id, s.captured_at DESC
)
SELECT NULL::date,
       sum(e.impressions - COALESCE(b.impressions, 0)) AS platform_impressions,
       sum(e.reach - COALESCE(b.reach, 0)) AS platform_reach,
       sum(e.engagements - COALESCE(b.engagements, 0)) AS engagements,
       count(*) AS snapshots
FROM ending e LEFT JOIN starting b USING (asset_id)
"""
FOLLOWERS_SQL = """
SELECT NULL::date,
    (SELECT sum(f) FROM (SELECT DISTINCT ON (platform, handle) followers AS f
        FROM ugc_accountfollowersnapshot WHERE {where} AND captured_at < %(start)s::date + 1
        ORDER BY platform, handle, captured_at DESC) x) AS followers_start,
    (SELECT sum(f) FROM (SELECT DISTINCT ON (platform, handle) followers AS f
        FROM ugc_accountfollowersnapshot WHERE {where} AND captured_at < %(end)s::date + 1
        ORDER BY platform, handle, captured_at DESC) x) AS followers_end
"""


def social_counters(slice_: Slice, period: Period) -> dict:
    """Platform insights (ugc's engagement snapshots) and account followers."""
    params = _params(slice_, period)
    counters = {}
    where = SOCIAL_FILTERS.get(slice_.dimension)
    if where is not None and slice_.ugc is None:
        found = _fetch(SOCIAL_SQL.format(where=where), params, False)[None]
        if found.pop("snapshots"):
            counters.update(found)
    if slice_.dimension in ("all", "platform") and slice_.ugc is None:
        where = "TRUE" if slice_.dimension == "all" else "platform = %(key)s"
        counters.update(_fetch(FOLLOWERS_SQL.format(where=where), params, False)[None])
    return counters


def _sources(visitors: bool) -> tuple:
    """The counter readers; without `visitors`, reach and visitors are left out (None):
    their distinct count over every day's visitor set costs more than all the sums."""
    if visitors:
        return (asset_counters, session_counters, order_counters, spend_counters)
    return (
        partial(asset_counters, visitors=False),
        partial(session_counters, visitors=False),
        order_counters,
        spend_counters,
    )


def counters(slice_: Slice, period: Period, *, visitors: bool = True) -> dict:
    """Every counter the slice has over the period, summed."""
    found: dict = {name: None for name in kpis.COUNTERS}
    for source in _sources(visitors):
        found.update(
            {k: v for k, v in source(slice_, period).get(None, {}).items() if v is not None}
        )
    found.update(social_counters(slice_, period))
    return found


def daily_counters(slice_: Slice, period: Period, *, visitors: bool = True) -> dict[date, dict]:
    """Counters per day of the period (days without data are absent)."""
    days: dict[date, dict] = defaultdict(lambda: {name: None for name in kpis.COUNTERS})
    for source in _sources(visitors):
        for day, values in source(slice_, period, by_day=True).items():
            days[day].update({k: v for k, v in values.items() if v is not None})
    return dict(sorted(days.items()))


def main_currency(period: Period) -> str | None:
    """The currency most of the period's orders were in: the default to report in.
    From the rollup alone (today's row at most a beat old): a few minutes of orders
    seldom change the majority, and every report asks this first."""
    with read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT currency FROM analytics_dailyorderstats WHERE day BETWEEN %s AND %s "
            "GROUP BY currency ORDER BY sum(orders) DESC, currency LIMIT 1",
            [period.start, period.end],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def kpi_report(slice_: Slice, period: Period) -> dict:
    """The funnel's KPIs for the period, the previous period of equal length and the
    same dates a year earlier, with the relative change against each."""
    current = kpis.funnel(counters(slice_, period))
    previous = kpis.funnel(counters(slice_, period.previous()))
    year_before = kpis.funnel(counters(slice_, period.year_before()))
    return {
        "period": {"from": period.start, "to": period.end, "kpis": current},
        "previous_period": _period(period.previous(), previous),
        "year_before": _period(period.year_before(), year_before),
        "change_vs_previous_period": kpis.changes(current, previous),
        "change_vs_year_before": kpis.changes(current, year_before),
    }


def _period(period: Period, values: dict) -> dict:
    return {"from": period.start, "to": period.end, "kpis": values}


def ugc_split(slice_: Slice, period: Period) -> dict | None:
    """Purchase KPIs for sessions and buyers who interacted with UGC and those who did not."""
    if slice_.dimension not in TRAFFIC_FILTERS:
        return None
    return {
        name: {
            **kpis.purchase(counters(replace(slice_, ugc=side), period)),
            "session_conversion_rate": _session_conversion(replace(slice_, ugc=side), period),
        }
        for name, side in (("interacted_with_ugc", True), ("no_ugc_interaction", False))
    }


def _session_conversion(slice_: Slice, period: Period):
    found = session_counters(slice_, period).get(None, {})
    return kpis.ratio(found.get("purchase_sessions"), found.get("sessions"))


def timeseries(
    slice_: Slice, period: Period, *, visitors: bool = True, days: dict | None = None
) -> list[dict]:
    """One row per day with data: that day's KPIs (reach is per day here; None without
    `visitors`). `days`: daily counters already read over a range that holds the period."""
    if days is None:
        days = daily_counters(slice_, period, visitors=visitors)
    return [
        {"day": day, "kpis": kpis.funnel(values)}
        for day, values in days.items()
        if period.start <= day <= period.end
    ]


# -- customer lifetime value ---------------------------------------------------------------

CLV_COHORTS = """
WITH orders AS (
    SELECT o.customer_id, o.created_at_shop,
           o.subtotal - o.discounts - o.refunded_amount AS net
    FROM commerce_order o
    WHERE o.customer_id IS NOT NULL AND o.status <> 'cancelled' AND o.currency = %(currency)s
      AND o.created_at_shop < %(end)s::date + 1
), customers AS (
    SELECT customer_id, min(created_at_shop) AS first_order, count(*) AS orders,
           sum(net) AS net
    FROM orders GROUP BY customer_id
)
SELECT to_char(date_trunc('month', first_order AT TIME ZONE 'UTC'), 'YYYY-MM') AS cohort,
       count(*) AS customers, sum(orders) AS orders, sum(net) AS net_revenue,
       count(*) FILTER (WHERE orders > 1) AS repeat_customers,
       sum(GREATEST(extract(epoch FROM %(end)s::date + 1 - first_order) / 86400.0, 30.0))
           / 365.25 AS customer_years
FROM customers
WHERE first_order >= %(start)s::date
GROUP BY 1 ORDER BY 1
"""


def customer_lifetime_value(*, period: Period, currency: str) -> dict:
    """Historical CLV per cohort (customers by the month of their first order within the
    period): their net revenue to date ÷ customers. Then one predictive estimate over
    all those customers (analytics.kpis.predicted_clv), stated as an estimate."""
    params = {"start": period.start, "end": period.end, "currency": currency}
    with read_connection().cursor() as cursor:
        cursor.execute(CLV_COHORTS, params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor]
    cohorts = [
        {
            "cohort": row["cohort"],
            "customers": row["customers"],
            "orders": row["orders"],
            "net_revenue": kpis.money(row["net_revenue"]),
            "historical_clv": kpis.money(row["net_revenue"] / row["customers"]),
        }
        for row in rows
    ]
    return {"currency": currency, "cohorts": cohorts, "predicted": _predicted(rows)}


def _predicted(rows: list[dict]) -> dict:
    customers = sum(row["customers"] for row in rows)
    orders = sum(row["orders"] for row in rows)
    years = sum(float(row["customer_years"]) for row in rows)
    aov = kpis.ratio(sum(row["net_revenue"] for row in rows), orders)
    estimate = kpis.predicted_clv(
        average_order_value=None if aov is None else round(aov, 4),
        orders_per_customer_year=kpis.ratio(orders, years),
        repeat_rate=kpis.ratio(sum(row["repeat_customers"] for row in rows), customers),
    )
    return {
        **estimate,
        "average_order_value": kpis.money(aov),
        "orders_per_customer_year": kpis.ratio(orders, years),
        "repeat_rate": kpis.ratio(sum(row["repeat_customers"] for row in rows), customers),
        "method": "estimate: average order value x orders per customer-year x expected "
        "lifespan 1/(1 - repeat rate) years (capped at 10)",
    }


# -- the dashboard's rankings and funnel (workspace/dashboard.py) ---------------------------------

FUNNEL_STEPS = (
    ("impressions", "awareness", "impressions"),
    ("clicks", "consideration", "clicks"),
    ("sessions", "consideration", "sessions"),
    ("orders", "purchase", "orders"),
)


def funnel_days(slice_: Slice, period: Period) -> dict[date, dict]:
    """The sums per day over the period and the previous one of equal length (no
    distinct visitors): one read of each rollup gives the funnel both its periods and
    the day-by-day chart its rows."""
    return daily_counters(slice_, Period(period.previous().start, period.end), visitors=False)


def summed(days: dict[date, dict], period: Period) -> dict:
    """The period's counters from its days' sums: a sum of sums is the sum."""
    found: dict = {name: None for name in kpis.COUNTERS}
    for day, values in days.items():
        if period.start <= day <= period.end:
            for name, value in values.items():
                if value is not None:
                    found[name] = value if found[name] is None else found[name] + value
    return found


def funnel_steps(slice_: Slice, period: Period, days: dict | None = None) -> list[dict]:
    """Awareness → consideration → purchase for the period and the previous period of
    equal length: each step's count, the rate from the step before it (skipping a step
    the slice does not measure) and the relative change against the previous period.
    `days`: funnel_days() already read for the same slice and period."""
    # The steps are rollup sums (no platform snapshots, no distinct visitors).
    days = funnel_days(slice_, period) if days is None else days
    current = kpis.funnel(summed(days, period))
    previous = kpis.funnel(summed(days, period.previous()))
    steps, before = [], None
    for name, stage, kpi in FUNNEL_STEPS:
        value, earlier = current[stage][kpi], previous[stage][kpi]
        steps.append(
            {
                "step": name,
                "stage": stage,
                "count": value,
                "rate_from_previous_step": kpis.ratio(value, before),
                "previous_count": earlier,
                "change_vs_previous_period": kpis.change(value, earlier),
            }
        )
        before = value if value is not None else before
    return steps


GALLERY_FUNNEL = (
    # (step, what is counted, side of the counters, counter)
    ("Impressions", "tiles seen in a gallery", "gallery", "impressions"),
    ("Clicks", "clicks on a tile", "gallery", "clicks"),
    ("Product views", "clicks from a gallery to a product", "gallery", "product_clicks"),
    ("Add to cart", "sessions of UGC-interacting shoppers with a cart", "ugc", "cart_sessions"),
    ("Orders", "orders of shoppers who interacted with UGC", "ugc", "orders"),
)


def ugc_side_days(slice_: Slice, period: Period) -> dict[bool, dict[date, dict]]:
    """{interacted with UGC: {day: session and order sums}} over the period and the one
    before it (no distinct visitors), for the gallery funnel and the UGC split."""
    span = Period(period.previous().start, period.end)
    sides: dict[bool, dict[date, dict]] = {}
    for side in (True, False):
        one = replace(slice_, ugc=side)
        days: dict[date, dict] = defaultdict(dict)
        for found in (
            session_counters(one, span, by_day=True, visitors=False),
            order_counters(one, span, by_day=True),
        ):
            for day, values in found.items():
                days[day].update(values)
        sides[side] = dict(days)
    return sides


def gallery_funnel(days: dict, sides: dict, period: Period) -> list[dict]:
    """Impressions → clicks → product views → add to cart → orders of the galleries and
    the shoppers who used them, each step as a share of the one before, this period and
    the previous one. `days`: funnel_days(); `sides`: ugc_side_days()."""
    steps, before = [], None
    for name, counted, source, counter in GALLERY_FUNNEL:
        by_day = days if source == "gallery" else sides[True]
        value = summed(by_day, period).get(counter)
        earlier = summed(by_day, period.previous()).get(counter)
        steps.append(
            {
                "step": name,
                "counted": counted,
                "count": value,
                "share_of_step_before": kpis.ratio(value, before),
                "previous_count": earlier,
                "change_vs_previous_period": kpis.change(value, earlier),
            }
        )
        before = value
    return steps


def ugc_conversion(sides: dict, period: Period) -> dict[bool, dict]:
    """Per side of the UGC split: sessions, sessions with an order and their ratio."""
    out = {}
    for side, days in sides.items():
        found = summed(days, period)
        sessions, buying = found.get("sessions"), found.get("purchase_sessions")
        out[side] = {
            "sessions": sessions,
            "purchase_sessions": buying,
            "conversion_rate": kpis.ratio(buying, sessions),
            "orders": found.get("orders"),
        }
    return out


# Both rankings from one read of the asset rollup: its rows summed per (asset, gallery)
# first (one hash over the period's rows, ~2,000 groups), then those sums grouped by
# asset and by gallery at once (GROUPING SETS; cheaper than two hashes over every row).
# Every item comes back: the shrunk estimates fit their prior on all of them.
RANKING_SUMS_SQL = """
WITH pairs AS MATERIALIZED (
    SELECT t.asset_id, t.gallery, sum(t.gallery_views) AS gallery_views,
           sum(t.impressions) AS impressions, sum(t.clicks) AS clicks,
           sum(t.conversions) AS conversions, sum(t.revenue) AS revenue
    FROM {source} t
    WHERE {where}
    GROUP BY t.asset_id, t.gallery
)
SELECT p.asset_id, p.gallery, GROUPING(p.asset_id) AS by_gallery,
       sum(p.gallery_views) AS gallery_views, sum(p.impressions) AS impressions,
       sum(p.clicks) AS clicks, sum(p.conversions) AS ugc_conversions,
       sum(p.revenue) AS ugc_revenue
FROM pairs p
GROUP BY GROUPING SETS ((p.asset_id), (p.gallery))
"""
ASSET_RANKED = ("asset_id", "impressions", "clicks", "ugc_conversions", "ugc_revenue")
GALLERY_RANKED = (
    "gallery", "gallery_views", "impressions", "clicks", "ugc_conversions", "ugc_revenue",
)  # fmt: skip


def ranking_sums(slice_: Slice, period: Period) -> dict[str, list[dict]]:
    """{"assets": [...], "galleries": [...]}: every asset's and gallery's counters over
    the period, in one pass over the asset rollup; `key` is the asset id as text or the
    gallery slug, as attribution credits name them."""
    where = _where(Slice("all", site_id=slice_.site_id), "TRUE", ugc=False)
    with read_connection().cursor() as cursor:
        source = _rows("analytics_dailyassetstats", period)
        cursor.execute(RANKING_SUMS_SQL.format(where=where, source=source), _params(slice_, period))
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor]
    assets = [
        _ranked({k: r[k] for k in ASSET_RANKED}, str(r["asset_id"]))
        for r in rows
        if not r["by_gallery"] and r["asset_id"] is not None
    ]
    galleries = [
        _ranked({k: r[k] for k in GALLERY_RANKED}, r["gallery"])
        for r in rows
        if r["by_gallery"] and r["gallery"]
    ]
    return {"assets": assets, "galleries": galleries}


def rankings(
    slice_: Slice, period: Period, limit: int = 10, sums: dict | None = None
) -> dict[str, list[dict]]:
    """{"assets": top_assets rows, "galleries": top_galleries rows}: by shrunk UGC-assisted
    revenue per 1,000 impressions (analytics.estimates), items with too few impressions
    left out. `sums`: ranking_sums() already read for the slice and period."""
    sums = ranking_sums(slice_, period) if sums is None else sums
    by = {"orders": "ugc_assisted_orders", "revenue": "ugc_assisted_revenue", "limit": limit}
    assets = estimates.ranked(sums["assets"], **by)
    galleries = estimates.ranked(sums["galleries"], **by)
    return {"assets": _with_assets(assets), "galleries": _with_titles(galleries, slice_)}


def _ranked(row: dict, key: str) -> dict:
    row["key"] = key
    row["click_through_rate"] = kpis.ratio(row["clicks"], row["impressions"])
    row["ugc_assisted_orders"] = row.pop("ugc_conversions")
    row["ugc_assisted_revenue"] = kpis.money(row.pop("ugc_revenue"))
    return row


def below_minimum(sums: list[dict]) -> int:
    """How many items had impressions in the period, but too few to be ranked."""
    return sum(1 for row in sums if 0 < (row["impressions"] or 0) < estimates.MIN_IMPRESSIONS)


def _with_assets(rows: list[dict]) -> list[dict]:
    assets = {a.pk: a for a in assets_for_ranking([r["asset_id"] for r in rows])}
    return [{**row, "asset": assets.get(row["asset_id"])} for row in rows]


def assets_for_ranking(ids: list[int]) -> list:
    """The assets of a ranking with their creator and renditions, in two queries."""
    from ugc.models import Asset
    from ugc.selectors import tile_assets

    return list(tile_assets(Asset.objects.filter(pk__in=ids)))


def _with_titles(rows: list[dict], slice_: Slice) -> list[dict]:
    from ugc.models import Gallery

    galleries = Gallery.objects.filter(slug__in=[row["gallery"] for row in rows])
    if slice_.site_id is not None:
        galleries = galleries.filter(site_id=slice_.site_id)
    titles = dict(galleries.order_by("-pk").values_list("slug", "title"))
    return [{**row, "title": titles.get(row["gallery"]) or ""} for row in rows]


# -- attribution runs and experiments for the dashboard --------------------------------------


def latest_finished_runs(date_from, date_to, level: str) -> dict[str, object]:
    """Each model's latest finished run over exactly this range at this level."""
    from analytics.models import AttributionRun

    runs = (
        AttributionRun.objects.filter(
            date_from=date_from, date_to=date_to, level=level, status=AttributionRun.Status.DONE
        )
        .order_by("model", "-finished_at", "-pk")
        .distinct("model")
    )
    return {run.model: run for run in runs}


# A run at asset level also holds its channel and gallery credits: the one run that
# can answer all three of the dashboard's attributed sections, so it is preferred.
LEVEL_RANK = {"asset": 0, "gallery": 1, "channel": 2}


def covering_run(period: Period, model: str | None = None, level: str = "channel"):
    """The finished run that answers for the period: over exactly its range if there is
    one, else the shortest finished run whose range holds it; at `level` or a finer
    one (asset runs first, they answer every level); the latest of equals. None: no run
    covers the range. `model` None: any model's."""
    from django.db.models import Case, F, IntegerField, Value, When

    from analytics.models import AttributionRun

    levels = [name for name, rank in LEVEL_RANK.items() if rank <= LEVEL_RANK[level]]
    runs = AttributionRun.objects.filter(
        status=AttributionRun.Status.DONE,
        date_from__lte=period.start,
        date_to__gte=period.end,
        level__in=levels,
    )
    if model is not None:
        runs = runs.filter(model=model)
    rank = Case(
        *(When(level=name, then=Value(n)) for name, n in LEVEL_RANK.items()),
        output_field=IntegerField(),
    )
    return (
        runs.annotate(span=F("date_to") - F("date_from"), level_rank=rank)
        .order_by("span", "level_rank", "-finished_at", "-pk")
        .first()
    )


def sibling_runs(run) -> dict[str, object]:
    """Each model's latest finished run with this run's range and journey settings (the
    run itself for its own model): the runs "models side by side" compares."""
    from analytics.models import AttributionRun

    runs = (
        AttributionRun.objects.filter(
            status=AttributionRun.Status.DONE,
            date_from=run.date_from,
            date_to=run.date_to,
            level=run.level,
            lookback_days=run.lookback_days,
            include_impressions=run.include_impressions,
            currency=run.currency,
        )
        .exclude(model=run.model)
        .order_by("model", "-finished_at", "-pk")
        .distinct("model")
    )
    return {run.model: run, **{other.model: other for other in runs}}


def pending_runs(period: Period) -> list:
    """Runs over exactly this range still queued or running, oldest first."""
    from analytics.models import AttributionRun

    pending = [AttributionRun.Status.QUEUED, AttributionRun.Status.RUNNING]
    return list(
        AttributionRun.objects.filter(
            date_from=period.start, date_to=period.end, status__in=pending
        ).order_by("pk")
    )


def recent_runs(limit: int = 100) -> list:
    from analytics.models import AttributionRun

    return list(AttributionRun.objects.order_by("-pk")[:limit])


def runs_by_id(ids: list[int]) -> list:
    from analytics.models import AttributionRun

    return list(AttributionRun.objects.filter(pk__in=ids).order_by("pk"))


def credits(run, level: str) -> dict[str, dict]:
    """{key: {"conversions", "value"}} the run credited at this level, "(none)" included."""
    from analytics.models import AttributionCredit

    rows = AttributionCredit.objects.filter(run=run, level=level)
    return {
        row["key"]: {"conversions": row["conversions"], "value": row["value"]}
        for row in rows.values("key", "conversions", "value")
    }


def attributed_rankings(
    run, slice_: Slice, period: Period, limit: int = 10, sums: dict | None = None
) -> dict[str, list[dict]]:
    """As rankings(), by the run's credited revenue per 1,000 impressions: each asset's
    and gallery's credits joined to its impressions and clicks in the period."""
    sums = ranking_sums(slice_, period) if sums is None else sums
    by = {"orders": "credited_orders", "revenue": "credited_revenue", "limit": limit}
    found = {}
    for level, name in (("asset", "assets"), ("gallery", "galleries")):
        credited = credits(run, level)
        rows = [
            {
                **row,
                "credited_orders": credited.get(row["key"], {}).get("conversions", 0.0),
                "credited_revenue": kpis.money(credited.get(row["key"], {}).get("value", 0.0)),
            }
            for row in sums[name]
        ]
        found[name] = estimates.ranked(rows, **by)
    return {
        "assets": _with_assets(found["assets"]),
        "galleries": _with_titles(found["galleries"], slice_),
    }


def models_side_by_side(runs: dict[str, object], level: str = "channel"):
    """(models, [{key, <model>: credited value, ...}]) for these runs, in one query."""
    from analytics.models import AttributionCredit

    by_run = {run.pk: model for model, run in runs.items()}
    table: dict[str, dict] = {}
    found = AttributionCredit.objects.filter(run_id__in=by_run, level=level)
    for credit in found.values("run_id", "key", "value"):
        row = table.setdefault(credit["key"], {"key": credit["key"]})
        row[by_run[credit["run_id"]]] = kpis.money(credit["value"])
    return sorted(runs), [table[key] for key in sorted(table)]


def experiments_in(period: Period, site_id: int | None, limit: int = 10) -> list:
    """Experiments running at some point of the period, the latest first."""
    from datetime import datetime, time

    from analytics.models import Experiment

    start = datetime.combine(period.start, time.min, tzinfo=UTC)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=UTC)
    found = Experiment.objects.filter(starts_at__lt=end).exclude(ends_at__lt=start)
    if site_id is not None:
        found = found.filter(site_id=site_id)
    return list(found.prefetch_related("variants__gallery").order_by("-starts_at")[:limit])
