"""The analysts' KPI API: numbers, comparisons, CSV, CLV, and 400s naming bad parameters."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from analytics.services.rollups import rollup_day
from analytics.services.spend import import_spend
from tests.analytics.kpi_data import analyst, build, the_day

pytestmark = pytest.mark.django_db
URL = "/api/v1/analytics/"


@pytest.fixture
def api(client, site):
    asset = build(client, site)
    for day in (the_day() - timedelta(days=1), the_day()):
        rollup_day(day)
    client.force_authenticate(analyst())
    client.asset = asset
    return client


def query(**extra):
    day = the_day().isoformat()
    return {"from": day, "to": day, **extra}


def test_asset_kpis_with_comparisons(api):
    body = api.get(URL + "kpis", query(dimension="asset", key=api.asset.pk)).json()
    assert body["currency"] == "EUR" and body["key"] == api.asset.pk
    assert body["period"]["kpis"]["consideration"]["click_through_rate"] == 0.05
    assert body["previous_period"]["kpis"]["awareness"]["impressions"] == 10
    assert body["change_vs_previous_period"]["awareness"]["impressions"] == 3.0
    assert body["year_before"]["kpis"]["awareness"]["impressions"] is None
    assert body["ugc_split"] is None  # an asset has no sessions to split


def test_campaign_cost_and_return(api):
    import_spend(
        f"date,channel,campaign,amount,currency\n{the_day()},organic_social,Spring,45,EUR\n"
    )
    body = api.get(URL + "kpis", query(dimension="campaign", key="Spring")).json()
    cost = body["period"]["kpis"]["cost"]
    assert cost["spend"] == 45.0
    assert cost["return_on_ad_spend"] == 2.0  # 90 net / 45
    assert cost["roi"] == 1.0
    assert cost["cost_per_acquisition"] == 45.0  # one new customer
    assert "correlation" in body["notes"]["ugc_split"]


def test_site_wide_ugc_split_and_funnel(api):
    body = api.get(URL + "kpis", query()).json()
    split = body["ugc_split"]
    assert split["interacted_with_ugc"]["orders"] == 1
    assert split["no_ugc_interaction"]["orders"] == 1
    steps = api.get(URL + "funnel", query()).json()["steps"]
    assert [(s["step"], s["count"]) for s in steps] == [
        ("impressions", 50 - 10), ("clicks", 2), ("sessions", 3), ("orders", 2),
    ]  # fmt: skip
    assert steps[1]["rate_from_previous_step"] == 0.05


def test_timeseries_has_one_entry_per_day(api):
    start = (the_day() - timedelta(days=1)).isoformat()
    body = api.get(URL + "timeseries", query(**{"from": start})).json()
    impressions = [day["kpis"]["awareness"]["impressions"] for day in body["days"]]
    assert impressions == [10, 40]


def test_csv_export(api):
    response = api.get(URL + "kpis", query(dimension="asset", key=api.asset.pk, format="csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = dict(csv.reader(io.StringIO(response.content.decode())))
    assert rows["period.kpis.awareness.impressions"] == "40"
    assert rows["period.kpis.consideration.click_through_rate"] == "0.05"
    accept = api.get(URL + "kpis", query(), HTTP_ACCEPT="text/csv")
    assert accept["Content-Type"].startswith("text/csv")


def test_clv_historical_and_estimate(api):
    body = api.get(URL + "clv", query()).json()
    assert body["cohorts"][0]["customers"] == 1
    assert body["cohorts"][0]["historical_clv"] == 90.0
    assert body["predicted"]["repeat_rate"] == 0.0
    assert "estimate" in body["predicted"]["method"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"dimension": "asset"}, "key"),
        ({"dimension": "asset", "key": "abc"}, "key"),
        ({"dimension": "channel", "key": "tv"}, "key"),
        ({"dimension": "planet", "key": "x"}, "dimension"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "2020-01-01"}, "to"),
        ({"currency": "EURO"}, "currency"),
        ({"key": "5"}, "key"),
    ],
)
def test_bad_parameters_are_400_naming_them(api, params, field):
    response = api.get(URL + "kpis", {**query(), **params, "format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


def test_kpis_need_an_analyst(client):
    assert client.get(URL + "kpis", query()).status_code in (401, 403)


def test_schema_lists_the_endpoints_with_errors(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for name in ("kpis", "timeseries", "funnel", "clv", "spend"):
        operation = next(iter(schema["paths"][f"/api/v1/analytics/{name}"].values()))
        assert "400" in operation["responses"] and "403" in operation["responses"]
