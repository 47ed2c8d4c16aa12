"""Daily rollups from events sent through the collect endpoint and orders, checked by hand."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from analytics import selectors
from analytics.kpis import Period
from analytics.models import DailyAssetStats, DailyOrderStats, DailySessionStats
from analytics.services import rollups
from analytics.services.rollups import push_asset_performance, rollup_day, rollup_pending
from tests.analytics.conftest import event, post
from tests.analytics.kpi_data import at, build, the_day
from ugc.models import AssetPerformance

pytestmark = pytest.mark.django_db


@pytest.fixture
def rolled(client, site):
    asset = build(client, site)
    day = the_day()
    rollup_day(day - timedelta(days=1))
    rollup_day(day)
    return asset, day


def report(dimension="all", key=None, day=None, **slice_args):
    day = day or the_day()
    slice_ = selectors.Slice(dimension, key, currency="EUR", **slice_args)
    return selectors.kpi_report(slice_, Period(day, day))


def test_asset_kpis_are_exact(rolled):
    asset, _ = rolled
    body = report("asset", asset.pk)
    awareness = body["period"]["kpis"]["awareness"]
    consideration = body["period"]["kpis"]["consideration"]
    assert awareness["impressions"] == 40 and awareness["reach"] == 2
    assert consideration["clicks"] == 2
    assert consideration["click_through_rate"] == pytest.approx(0.05)  # 2 / 40
    purchase = body["period"]["kpis"]["purchase"]
    assert purchase["ugc_assisted_orders"] == 1
    assert purchase["ugc_assisted_revenue"] == Decimal("90.00")
    # Sessions and orders have no asset: not measured, not zero.
    assert consideration["sessions"] is None and purchase["orders"] is None


def test_previous_period_and_year_before_are_compared(rolled):
    asset, _ = rolled
    body = report("asset", asset.pk)
    assert body["previous_period"]["kpis"]["awareness"]["impressions"] == 10
    assert body["change_vs_previous_period"]["awareness"]["impressions"] == pytest.approx(3.0)
    assert body["year_before"]["kpis"]["awareness"]["impressions"] is None
    assert body["change_vs_year_before"]["awareness"]["impressions"] is None
    assert body["previous_period"]["to"] == the_day() - timedelta(days=1)


def test_site_wide_funnel(rolled):
    kpis = report()["period"]["kpis"]
    consideration, purchase = kpis["consideration"], kpis["purchase"]
    assert consideration["sessions"] == 3 and consideration["visitors"] == 3
    assert consideration["sessions_from_social"] == 1
    assert consideration["bounce_rate"] == pytest.approx(2 / 3)  # bob and carol: one page
    assert consideration["leads"] == 1 and consideration["lead_rate"] == pytest.approx(1 / 3)
    assert consideration["gallery_views"] == 1
    assert purchase["orders"] == 2 and purchase["new_customers"] == 1
    assert purchase["gross_revenue"] == Decimal("150.00")
    assert purchase["discounts"] == Decimal("10.00") and purchase["refunds"] == Decimal("20.00")
    assert purchase["net_revenue"] == Decimal("120.00")
    assert purchase["average_order_value"] == Decimal("60.00")
    assert purchase["conversion_rate"] == pytest.approx(2 / 3)
    assert purchase["cart_abandonment_rate"] == pytest.approx(0.5)  # bob's cart
    assert consideration["sessions_before_purchase"] == pytest.approx(1.0)


def test_ugc_split_separates_buyers_who_clicked_the_gallery(rolled):
    split = selectors.ugc_split(selectors.Slice(currency="EUR"), Period(the_day(), the_day()))
    clicked, other = split["interacted_with_ugc"], split["no_ugc_interaction"]
    assert clicked["orders"] == 1 and clicked["net_revenue"] == Decimal("90.00")
    assert clicked["session_conversion_rate"] == pytest.approx(1.0)
    assert other["orders"] == 1 and other["net_revenue"] == Decimal("30.00")
    assert other["session_conversion_rate"] == pytest.approx(0.0)


def test_campaign_comes_from_the_buyers_landing(rolled):
    kpis = report("campaign", "spring")["period"]["kpis"]
    assert kpis["consideration"]["sessions"] == 1
    assert kpis["purchase"]["orders"] == 1
    assert kpis["purchase"]["net_revenue"] == Decimal("90.00")
    channel = report("channel", "organic_social")["period"]["kpis"]
    assert channel["purchase"]["orders"] == 1


def test_rerunning_a_day_gives_the_same_rows(rolled):
    _, day = rolled

    def snapshot():
        return [
            sorted(model.objects.filter(day=day).values_list(*fields), key=str)
            for model, fields in (
                (DailyAssetStats, ("asset_id", "gallery", "impressions", "clicks", "revenue")),
                (DailySessionStats, ("channel", "ugc_interacted", "sessions", "bounces")),
                (DailyOrderStats, ("channel", "ugc_interacted", "orders", "net_revenue")),
            )
        ]

    before = snapshot()
    rollup_day(day)
    rollup_day(day)
    assert snapshot() == before


def test_the_day_is_sent_to_ugc_once(rolled):
    asset, day = rolled
    assert push_asset_performance(day) == 1
    row = AssetPerformance.objects.get(asset=asset, day=day, source="rollup")
    assert (row.gallery_impressions, row.clicks, row.conversions) == (40, 2, 1)
    assert row.revenue == Decimal("90.000")
    assert push_asset_performance(day) == 0  # unchanged numbers change nothing


def test_incremental_runs_pick_the_days_with_new_data(client, site, monkeypatch):
    # No re-read margin, so "since the last run" is exact within the test's seconds.
    monkeypatch.setattr(rollups, "WATERMARK_OVERLAP", timedelta(0))
    build(client, site)
    days = rollup_pending()
    assert the_day() in days and the_day() - timedelta(days=1) in days
    assert report()["period"]["kpis"]["purchase"]["orders"] == 2
    assert the_day() not in rollup_pending()  # nothing arrived for it since
    late = event("page_view", visitor_id="erin", session_id="s-erin", client_time=at(the_day(), 18))
    post(client, site, [late])
    assert the_day() in rollup_pending()
    assert report()["period"]["kpis"]["consideration"]["sessions"] == 4
