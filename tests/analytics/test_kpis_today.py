"""Today's KPIs come from raw events, sessions and orders as they are read, not from
the rollup the beat keeps for today (KPIs of today come from raw events)."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import DailyAssetStats
from analytics.services.rollups import rollup_day
from commerce.models import Order
from tests.analytics.conftest import event, now_ms, post
from tests.analytics.kpi_data import analyst
from tests.commerce.factories import ShopFactory
from tests.ugc.factories import AssetFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/analytics/kpis"


def _today():
    return timezone.now().astimezone(UTC).date()


def _shown(client, asset_id: int, count: int, *, clicks: int = 0, visitor="v_today"):
    start = now_ms() - 60_000  # a minute ago: today unless the test runs at midnight
    batch = [
        event("asset_impression", asset_id=asset_id, gallery="home", client_time=start + i,
              visitor_id=visitor, session_id=f"s_{visitor}")
        for i in range(count)
    ] + [
        event("asset_click", asset_id=asset_id, gallery="home", client_time=start + count + i,
              visitor_id=visitor, session_id=f"s_{visitor}")
        for i in range(clicks)
    ]  # fmt: skip
    return batch


def _kpis(api, **query) -> dict:
    today = _today().isoformat()
    response = api.get(URL, {"from": today, "to": today, **query})
    assert response.status_code == 200, response.content[:300]
    return response.json()["period"]["kpis"]


@pytest.fixture
def api(client):
    client.force_authenticate(analyst())
    return client


def test_events_collected_today_count_before_any_rollup(api, site):
    asset = AssetFactory()
    assert post(api, site, _shown(api, asset.pk, 8, clicks=2)).status_code == 202
    assert not DailyAssetStats.objects.filter(day=_today()).exists()
    kpis = _kpis(api, dimension="asset", key=asset.pk)
    assert kpis["awareness"]["impressions"] == 8 and kpis["awareness"]["reach"] == 1
    assert kpis["consideration"]["clicks"] == 2
    assert kpis["consideration"]["click_through_rate"] == 0.25
    site_wide = _kpis(api)
    assert site_wide["consideration"]["sessions"] == 1


def test_events_after_todays_rollup_count_and_the_rolled_rows_are_not_added_twice(api, site):
    asset = AssetFactory()
    post(api, site, _shown(api, asset.pk, 5))
    rollup_day(_today())  # what the beat stored for today so far
    assert DailyAssetStats.objects.get(day=_today(), asset_id=asset.pk).impressions == 5
    post(api, site, _shown(api, asset.pk, 3, visitor="v_later"))
    kpis = _kpis(api, dimension="asset", key=asset.pk)
    assert kpis["awareness"]["impressions"] == 8 and kpis["awareness"]["reach"] == 2


def test_a_range_ending_today_adds_todays_raw_events_to_stored_days(api, site):
    asset = AssetFactory()
    yesterday = _today() - timedelta(days=1)
    DailyAssetStats.objects.create(
        day=yesterday, site_id=site.pk, asset_id=asset.pk, gallery="home", impressions=10, clicks=1,
        visitors=[42],
    )  # fmt: skip
    post(api, site, _shown(api, asset.pk, 4))
    body = api.get(URL, {"from": yesterday.isoformat(), "to": _today().isoformat(),
                         "dimension": "asset", "key": asset.pk}).json()  # fmt: skip
    assert body["period"]["kpis"]["awareness"]["impressions"] == 14
    assert body["period"]["kpis"]["awareness"]["reach"] == 2
    series = api.get(URL.replace("kpis", "timeseries"), {
        "from": yesterday.isoformat(), "to": _today().isoformat(), "dimension": "asset",
        "key": asset.pk,
    }).json()["days"]  # fmt: skip
    assert [(d["day"], d["kpis"]["awareness"]["impressions"]) for d in series] == [
        (yesterday.isoformat(), 10), (_today().isoformat(), 4),
    ]  # fmt: skip


def test_an_order_placed_today_counts_before_any_rollup(api, site):
    moment = timezone.now() - timedelta(minutes=1)
    Order.objects.create(
        shop=ShopFactory(), shop_order_id="today-1", created_at_shop=moment, currency="EUR",
        subtotal=Decimal(80), discounts=Decimal(0), total=Decimal(80),
        refunded_amount=Decimal(0), visitor_id="",
    )  # fmt: skip
    kpis = _kpis(api, currency="EUR")
    assert kpis["purchase"]["orders"] == 1
    assert Decimal(str(kpis["purchase"]["net_revenue"])) == Decimal(80)
