"""The analyst's dashboard on real rolled-up data: events through the collect endpoint,
orders as the webhook leaves them, the rollup run, then the page read as a person
(tables) and as a spreadsheet (CSV) would, against the selectors' own numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from analytics import selectors
from analytics.kpis import Period
from analytics.models import AttributionCredit, AttributionRun, DailyAssetStats, Experiment
from analytics.services.rollups import rollup_day
from config.roles import ANALYST
from tests.analytics.kpi_data import build, the_day
from tests.ugc.factories import (
    AssetFactory,
    CoordinatorFactory,
    CreatorFactory,
    GalleryFactory,
    UserFactory,
)
from ugc.models import AssetEngagementSnapshot

pytestmark = pytest.mark.django_db
URL = "/workspace/dashboard/"
NO_DATA = "—no data"  # the dash people see and the words a screen reader says


class Tables(HTMLParser):
    """{table id: [[cell text, ...], ...]} with the header row first."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table(response, slug: str) -> list[dict]:
    rows = Tables(response.content.decode()).tables[f"table-{slug}"]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def analyst_user():
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    return user


@pytest.fixture
def web():
    web = Client(raise_request_exception=False)
    web.force_login(analyst_user())
    return web


@pytest.fixture
def rolled(client, site):
    asset = build(client, site)
    for day in (the_day() - timedelta(days=1), the_day()):
        rollup_day(day)
    return asset


def one_day(day=None, **extra) -> dict:
    day = (day or the_day()).isoformat()
    return {"from": day, "to": day, **extra}


def test_funnel_table_has_the_selectors_numbers_and_the_previous_period(web, rolled):
    response = web.get(URL, one_day())
    assert response.status_code == 200
    rows = {row["Step"]: row for row in table(response, "funnel")}
    slice_ = selectors.Slice("all", None, None, "EUR")
    expected = selectors.funnel_steps(slice_, Period(the_day(), the_day()))
    for step in expected:
        assert rows[step["step"]]["This period"] == f"{step['count']:,}"
    assert rows["impressions"]["This period"] == "40"
    previous = next(key for key in rows["impressions"] if key.startswith("Previous period"))
    assert rows["impressions"][previous] == "10"
    assert rows["impressions"]["Change"] == "+300.0 %"
    assert rows["clicks"]["Rate from the step before"] == "5.00 %"  # 2 / 40
    assert rows["orders"]["This period"] == "2"


def test_timeseries_has_every_day_with_a_dash_where_there_is_no_data(web, rolled):
    start = the_day() - timedelta(days=2)
    response = web.get(URL, {"from": start.isoformat(), "to": the_day().isoformat()})
    rows = table(response, "timeseries")
    assert [row["Day"] for row in rows] == [
        (start + timedelta(days=n)).isoformat() for n in range(3)
    ]
    assert rows[0]["Impressions"] == NO_DATA
    assert [row["Impressions"] for row in rows[1:]] == ["10", "40"]
    assert rows[2]["CTR"] == "5.00 %" and rows[2]["Orders"] == "2"
    assert rows[2]["Net revenue (EUR)"] == "120.00"


def test_top_assets_by_ugc_assisted_revenue_say_which_measure(web, rolled):
    response = web.get(URL, one_day())
    [row] = table(response, "top-assets")
    assert row["Asset"] == f"#{rolled.pk} @{rolled.creator.handle}"
    assert row["UGC-assisted revenue"] == "90.00" and row["UGC-assisted orders"] == "1"
    assert "Measure: UGC-assisted revenue" in response.content.decode()
    [gallery] = table(response, "top-galleries")
    assert gallery["Gallery"] == "home" and gallery["UGC-assisted revenue"] == "90.00"


def test_changing_the_date_range_by_htmx_swaps_only_the_sections(web, rolled):
    day = the_day() - timedelta(days=1)
    response = web.get(URL, one_day(day), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and "dashboard-query" not in html
    rows = {row["Step"]: row for row in table(response, "funnel")}
    assert rows["impressions"]["This period"] == "10"
    # The CSV links carry the same state as the URL, so a shared link shows the same.
    assert f"funnel.csv?from={day.isoformat()}&amp;to={day.isoformat()}" in html


def test_the_url_states_the_view(web, rolled):
    response = web.get(URL, one_day(model="markov"))
    html = response.content.decode()
    assert f'name="from" type="date" value="{the_day().isoformat()}"' in html
    assert '<option value="markov" selected>' in html


def test_csv_has_the_tables_numbers(web, rolled):
    response = web.get(URL + "funnel.csv", one_day())
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["Step"], r["This period"]) for r in rows] == [
        ("impressions", "40"), ("clicks", "2"), ("sessions", "3"), ("orders", "2"),
    ]  # fmt: skip
    assert float(rows[1]["Rate from the step before"]) == pytest.approx(0.05)
    assets = list(csv.DictReader(io.StringIO(web.get(URL + "top-assets.csv", one_day()).text)))
    assert Decimal(assets[0]["UGC-assisted revenue"]) == Decimal("90.00")


def test_an_attribution_model_without_a_run_says_so_and_shows_no_numbers(web, rolled):
    response = web.get(URL, one_day(model="markov"))
    html = response.content.decode()
    assert "No markov attribution run exists" in html
    assert "table-top-assets" not in html and "table-top-galleries" not in html
    assert "No attribution run exists" in html  # models side by side
    assert "No experiment ran in this range" in html


def finished_run(level: str, credits: list[tuple[str, str, float]], model="linear"):
    run = AttributionRun.objects.create(
        model=model, level=level, date_from=the_day(), date_to=the_day(), currency="EUR",
        status=AttributionRun.Status.DONE, finished_at=datetime.now(UTC),
    )  # fmt: skip
    for credit_level, key, value in credits:
        AttributionCredit.objects.create(
            run=run, level=credit_level, key=key, conversions=1, value=value
        )
    return run


def test_a_model_with_a_finished_run_ranks_by_its_credits(web, rolled):
    other = AssetFactory()
    finished_run("asset", [("asset", str(rolled.pk), 30.0), ("asset", str(other.pk), 60.0),
                           ("asset", "(none)", 30.0), ("channel", "direct", 120.0)])  # fmt: skip
    finished_run("channel", [("channel", "direct", 100.0), ("channel", "organic_social", 20.0)])
    finished_run("channel", [("channel", "direct", 90.0), ("channel", "organic_social", 30.0)],
                 model="markov")  # fmt: skip
    response = web.get(URL, one_day(model="linear"))
    ranked = table(response, "top-assets")
    assert [(r["Asset"].split()[0], r["Credited revenue"]) for r in ranked] == [
        (f"#{other.pk}", "60.00"), (f"#{rolled.pk}", "30.00"),
    ]  # fmt: skip
    assert "No linear attribution run exists" in response.text  # no gallery-level run
    models = {r["Channel"]: r for r in table(response, "models")}
    assert models["direct"]["Linear"] == "100.00" and models["direct"]["Markov"] == "90.00"
    assert models["organic_social"]["Markov"] == "30.00"


def test_an_experiment_in_range_is_listed_even_before_it_has_visitors(web, site):
    gallery = GalleryFactory(site=site, slug="home")
    starts = datetime.combine(the_day(), datetime.min.time(), tzinfo=UTC)
    experiment = Experiment.objects.create(site=site, key="home-test", placement="home",
                                           starts_at=starts)  # fmt: skip
    experiment.variants.create(name="control", weight=1, gallery=gallery, position=0)
    experiment.variants.create(name="holdout", weight=1, position=1)
    [row] = table(web.get(URL, one_day()), "experiments")
    assert row["Experiment: variant against control"] == "home-test: holdout vs control"
    assert row["95 % CI low"] == NO_DATA  # no visitor yet: no interval, not a made-up one


def test_engagement_against_the_benchmark(web, rolled):
    asset = AssetFactory(source_platform="tiktok")
    captured = datetime.combine(the_day(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    AssetEngagementSnapshot.objects.create(
        asset=asset, captured_at=captured, impressions=1000, reach=800, likes=90, comments=10
    )
    [row] = table(web.get(URL, one_day()), "engagement")
    assert row["Platform"] == "tiktok" and row["Engagement rate"] == "10.00 %"
    assert row["Benchmark median (Rival IQ)"] == "5.69 %"
    assert row["Against the benchmark"] == f"{0.1 / 0.0569:.2f} x"


def test_user_text_is_escaped_in_the_page_and_defused_in_the_csv(web, site):
    creator = CreatorFactory(handle="<img src=x onerror=alert(1)>")
    asset = AssetFactory(creator=creator)
    GalleryFactory(site=site, slug="home", title='=HYPERLINK("http://evil")<b>x</b>')
    DailyAssetStats.objects.create(
        day=the_day(), site_id=site.pk, asset_id=asset.pk, gallery="home", impressions=5,
        clicks=1, conversions=1, revenue=Decimal("10"),
    )  # fmt: skip
    html = web.get(URL, one_day()).content.decode()
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror" in html
    assert "<b>x</b>" not in html
    galleries = web.get(URL + "top-galleries.csv", one_day()).text
    assert "'=HYPERLINK" in galleries


def test_top_assets_cost_the_same_queries_for_three_assets_or_thirty(web, site):
    def queries(count: int) -> int:
        DailyAssetStats.objects.all().delete()
        for n in range(count):
            asset = AssetFactory()
            DailyAssetStats.objects.create(
                day=the_day(), site_id=site.pk, asset_id=asset.pk, gallery=f"g{n % 3}",
                impressions=10 + n, clicks=n, conversions=1, revenue=Decimal(n),
            )  # fmt: skip
        with CaptureQueriesContext(connection) as captured:
            assert web.get(URL, one_day()).status_code == 200
        return len(captured)

    assert queries(3) == queries(30)


def test_the_page_counts_no_distinct_visitors_since_it_shows_none(web, rolled):
    # A distinct count over every day's visitor set was most of the page's time at a
    # million events, for a reach figure that no section shows.
    with CaptureQueriesContext(connection) as captured:
        assert web.get(URL, one_day()).status_code == 200
    distinct = [q["sql"] for q in captured if "count(DISTINCT v)" in q["sql"]]
    assert distinct == []


def test_the_kpi_timeseries_still_has_its_reach(rolled):
    slice_ = selectors.Slice("all", None, None, "EUR")
    days = selectors.timeseries(slice_, Period(the_day(), the_day()))
    without = selectors.timeseries(slice_, Period(the_day(), the_day()), visitors=False)
    assert days[0]["kpis"]["awareness"]["reach"] > 0
    assert without[0]["kpis"]["awareness"]["reach"] is None
    assert without[0]["kpis"]["awareness"]["impressions"] == 40


def test_bad_input_is_a_problem_naming_the_field(web):
    cases = [
        ({"from": "last tuesday"}, "from"),
        ({"from": "2026-02-10", "to": "2026-02-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"model": "coin_flip"}, "model"),
        ({"site": "abc"}, "site"),
        ({"site": "999999"}, "site"),
    ]
    for params, field in cases:
        for url in (URL, URL + "funnel.csv"):
            response = web.get(url, params)
            assert response.status_code == 400, (url, params)
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["errors"][0]["field"] == field
    assert web.get(URL + "nothing.csv").status_code == 404


def test_sites_are_offered_when_there_are_several_and_filter_the_numbers(web, rolled, site):
    other = GalleryFactory().site
    response = web.get(URL, one_day())
    assert f'<option value="{other.pk}">' in response.content.decode()
    rows = {r["Step"]: r for r in table(web.get(URL, one_day(site=other.pk)), "funnel")}
    assert rows["impressions"]["This period"] == NO_DATA
    rows = {r["Step"]: r for r in table(web.get(URL, one_day(site=site.pk)), "funnel")}
    assert rows["impressions"]["This period"] == "40"


def test_roles_analysts_and_coordinators_see_it_others_do_not():
    anonymous = Client()
    response = anonymous.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    nobody = Client(raise_request_exception=False)
    nobody.force_login(UserFactory(username="no-role"))
    assert nobody.get(URL).status_code == 403
    assert nobody.get(URL + "funnel.csv").status_code == 403
    coordinator = Client()
    coordinator.force_login(CoordinatorFactory(username="coord"))
    assert coordinator.get(URL).status_code == 200


def test_the_dashboard_is_linked_from_the_workspace(web):
    assert f'href="{URL}"' in web.get("/workspace/").content.decode()
