"""The dashboard's exports and captions: a ranking's CSV is the whole ranking with one
field per column at a fixed precision, and each model's note says how it credits."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from analytics.models import DailyAssetStats
from tests.analytics.kpi_data import the_day
from tests.analytics.test_dashboard import URL, analyst_user, finished_run, one_day
from tests.ugc.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    web = Client()
    web.force_login(analyst_user())
    return web


def test_the_top_assets_csv_is_the_whole_ranking_one_field_per_column(web, site):
    assets = [AssetFactory() for _ in range(14)]
    for n, asset in enumerate(assets):
        DailyAssetStats.objects.create(
            day=the_day(), site_id=site.pk, asset_id=asset.pk, gallery="g",
            impressions=100 + n, clicks=n + 1, conversions=1, revenue=Decimal(n) / 3,
        )  # fmt: skip
    page = web.get(URL, one_day())
    assert page.content.decode().count('class="asset-cell"') == 10  # the page shows ten
    rows = list(csv.DictReader(io.StringIO(web.get(URL + "top-assets.csv", one_day()).text)))
    assert len(rows) == 14
    assert list(rows[0]) == [
        "Asset ID", "Creator handle", "Platform", "Impressions", "Clicks", "CTR (shrunk)",
        "CTR 95\xa0% low", "CTR 95\xa0% high", "UGC-assisted orders", "UGC-assisted revenue",
        "Revenue per 1,000 impressions (shrunk)", "95\xa0% low", "95\xa0% high", "Currency",
    ]  # fmt: skip
    top = rows[0]
    assert top["Asset ID"] == str(assets[-1].pk)
    assert top["Creator handle"] == assets[-1].creator.handle
    assert top["UGC-assisted revenue"] == "4.33"
    assert all(len(r["UGC-assisted revenue"].split(".")[1]) == 2 for r in rows)
    assert all(len(r["CTR (shrunk)"].split(".")[1]) == 6 for r in rows)


def test_last_touch_credit_is_described_as_all_to_the_last_touch(web, site):
    asset = AssetFactory()
    DailyAssetStats.objects.create(
        day=the_day(), site_id=site.pk, asset_id=asset.pk, gallery="g",
        impressions=500, clicks=20, conversions=1, revenue=Decimal(30),
    )  # fmt: skip
    finished_run("asset", [("asset", str(asset.pk), 30.0)], model="last_touch")
    text = web.get(URL, one_day(model="last_touch")).content.decode()
    assert "all of each order&#x27;s value goes to the last touch" in text
    assert "split among" not in text
