"""The funnel's KPIs from summed counters, as plain arithmetic (no Django import).

Every definition here is the one in docs/subsystems/kpis.md; the table each KPI comes
from is named beside it. A ratio whose denominator is zero is `None` ("no data"),
never 0 or an error: an asset never shown has no click-through rate.

Money arrives as Decimal and leaves as Decimal rounded to the cent; rates are
floats in [0, 1] (the API says "0.05", the dashboard shows "5 %").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

CENT = Decimal("0.01")

# Counters every KPI is derived from; a selector fills those its dimension has and
# leaves the rest at None, so "not measured for this dimension" stays apart from 0.
COUNTERS = (
    # awareness (analytics_dailyassetstats; ugc engagement and follower snapshots)
    "impressions", "reach", "platform_impressions", "platform_reach", "engagements",
    "followers_start", "followers_end",
    # consideration (analytics_dailyassetstats, analytics_dailysessionstats)
    "gallery_views", "clicks", "lightbox_opens", "product_clicks", "sessions",
    "social_sessions", "visitors", "bounces", "duration_seconds", "leads", "cart_sessions",
    "cart_purchase_sessions", "purchase_sessions",
    # purchase (analytics_dailyorderstats, analytics_dailyproductstats)
    "orders", "new_customers", "gross_revenue", "discounts", "refunds", "net_revenue",
    "sessions_before_purchase", "buyers_with_sessions", "units", "ugc_conversions",
    "ugc_revenue",
    # cost (analytics_spend)
    "spend",
)  # fmt: skip


def ratio(numerator, denominator) -> float | None:
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator)


def money(amount) -> Decimal | None:
    return None if amount is None else Decimal(amount).quantize(CENT)


def awareness(c: dict) -> dict:
    """Impressions (times shown), reach (distinct visitors who saw), follower growth
    (net change over the range) and engagement rate (engagements ÷ platform
    impressions; the KPI definitions also quote ÷ reach, given as engagement_rate_by_reach)."""
    start, end = c.get("followers_start"), c.get("followers_end")
    return {
        "impressions": c.get("impressions"),
        "reach": c.get("reach"),
        "platform_impressions": c.get("platform_impressions"),
        "platform_reach": c.get("platform_reach"),
        "engagements": c.get("engagements"),
        "followers": end,
        "follower_growth": None if start is None or end is None else end - start,
        "engagement_rate": ratio(c.get("engagements"), c.get("platform_impressions")),
        "engagement_rate_by_reach": ratio(c.get("engagements"), c.get("platform_reach")),
    }


def consideration(c: dict) -> dict:
    """CTR = clicks ÷ impressions; bounce rate = single-page sessions ÷ sessions;
    time on site = mean seconds from a session's first to last event; lead rate =
    leads ÷ sessions; sessions before purchase = mean sessions a buyer had up to
    the order (docs/subsystems/kpis.md, consideration)."""
    return {
        "gallery_views": c.get("gallery_views"),
        "asset_impressions": c.get("impressions"),
        "clicks": c.get("clicks"),
        "click_through_rate": ratio(c.get("clicks"), c.get("impressions")),
        "lightbox_opens": c.get("lightbox_opens"),
        "product_clicks": c.get("product_clicks"),
        "sessions": c.get("sessions"),
        "sessions_from_social": c.get("social_sessions"),
        "visitors": c.get("visitors"),
        "sessions_before_purchase": ratio(
            c.get("sessions_before_purchase"), c.get("buyers_with_sessions")
        ),
        "time_on_site_seconds": ratio(c.get("duration_seconds"), c.get("sessions")),
        "bounce_rate": ratio(c.get("bounces"), c.get("sessions")),
        "leads": c.get("leads"),
        "lead_rate": ratio(c.get("leads"), c.get("sessions")),
    }


def purchase(c: dict) -> dict:
    """Orders; gross revenue (line items before discounts) and net (less discounts
    and refunds); conversion rate = orders ÷ sessions; AOV = net revenue ÷ orders;
    cart abandonment = sessions with a cart and no purchase ÷ sessions with a cart."""
    carts = c.get("cart_sessions")
    abandoned = None if carts is None else carts - (c.get("cart_purchase_sessions") or 0)
    return {
        "orders": c.get("orders"),
        "units": c.get("units"),
        "new_customers": c.get("new_customers"),
        "gross_revenue": money(c.get("gross_revenue")),
        "discounts": money(c.get("discounts")),
        "refunds": money(c.get("refunds")),
        "net_revenue": money(c.get("net_revenue")),
        "conversion_rate": ratio(c.get("orders"), c.get("sessions")),
        "average_order_value": money(_divide(c.get("net_revenue"), c.get("orders"))),
        "cart_abandonment_rate": ratio(abandoned, carts),
        "ugc_assisted_orders": c.get("ugc_conversions"),
        "ugc_assisted_revenue": money(c.get("ugc_revenue")),
    }


def cost(c: dict) -> dict:
    """CPA = spend ÷ new customers; CPL = spend ÷ leads; ROAS = net revenue ÷ spend;
    ROI = (net revenue - spend) ÷ spend (docs/subsystems/kpis.md, cost and return). Revenue here is
    the net revenue of the orders in the same slice (last session's channel and
    campaign), not a multi-touch attribution."""
    spend, revenue = c.get("spend"), c.get("net_revenue")
    return {
        "spend": money(spend),
        "cost_per_acquisition": money(_divide(spend, c.get("new_customers"))),
        "cost_per_lead": money(_divide(spend, c.get("leads"))),
        "return_on_ad_spend": ratio(revenue, spend),
        "roi": ratio(None if revenue is None or spend is None else revenue - spend, spend),
    }


def _divide(numerator, denominator) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


STAGES = {
    "awareness": awareness,
    "consideration": consideration,
    "purchase": purchase,
    "cost": cost,
}


def funnel(counters: dict) -> dict:
    """Every KPI of every stage from one dict of counters."""
    return {stage: derive(counters) for stage, derive in STAGES.items()}


# The days a period may start and end on. A query's dates are checked against them where
# they are parsed (the dashboard, the KPI and attribution APIs), so that the period before
# one (a range is at most about three years), the year before it and the day after its
# end are dates too: Python's dates end at years 1 and 9999, and arithmetic past them
# raises OverflowError.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


def check_day(day: date) -> date:
    """The day, if a period may start or end on it; else ValueError saying which days may."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}, not {day}")
    return day


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length that ends the day before this one starts."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_before(self) -> Period:
        """The same calendar dates a year earlier (29 February becomes the 28th)."""
        return Period(_year_earlier(self.start), _year_earlier(self.end))


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def change(current, earlier) -> float | None:
    """Relative change, (current - earlier) ÷ earlier; None without a base to compare."""
    if current is None or earlier is None or not earlier:
        return None
    return (float(current) - float(earlier)) / float(earlier)


def changes(current: dict, earlier: dict) -> dict:
    return {
        stage: {name: change(value, earlier[stage].get(name)) for name, value in kpis.items()}
        for stage, kpis in current.items()
    }


# -- customer lifetime value ------------------------------------------------------------


def predicted_clv(*, average_order_value, orders_per_customer_year, repeat_rate) -> dict:
    """A simple predictive CLV, an estimate and stated as one: AOV x purchases per
    customer per year x expected lifespan in years, where the lifespan comes from the
    observed repeat rate r (share of customers who ordered again) as 1 ÷ (1 - r),
    the mean of a geometric churn model. Capped at 10 years so r → 1 stays finite."""
    if average_order_value is None or orders_per_customer_year is None or repeat_rate is None:
        return {"value": None, "expected_lifespan_years": None}
    lifespan = min(10.0, 1.0 / max(1e-9, 1.0 - repeat_rate))
    value = Decimal(average_order_value) * Decimal(orders_per_customer_year) * Decimal(lifespan)
    return {"value": money(value), "expected_lifespan_years": round(lifespan, 3)}
