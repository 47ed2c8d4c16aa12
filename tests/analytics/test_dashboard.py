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
from core.roles import ANALYST
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


def test_the_gallery_funnel_keeps_to_gallery_units_and_leads_with_the_ugc_split(web, rolled):
    response = web.get(URL, one_day())
    assert response.status_code == 200
    rows = {row["Step"]: row for row in table(response, "funnel")}
    assert [rows[s]["This period"] for s in rows] == ["40", "2", "0", "1", "1"]
    assert rows["Clicks"]["Share of the step before"] == "5.00 %"  # 2 / 40
    assert rows["Add to cart"]["Share of the step before"] == NO_DATA  # 1 of no product views
    previous = next(key for key in rows["Impressions"] if key.startswith("Previous period"))
    assert rows["Impressions"][previous] == "10" and rows["Impressions"]["Change"] == "+300.0 %"
    # alice clicked and bought (1 of 1 session); bob and carol did neither (0 of 2).
    html = response.content.decode()
    assert "Shoppers who interacted with UGC converted 100.0 %, those who did not 0.0 %" in html
    assert "a correlation, not the effect of UGC" in html
    # The store's own numbers stand apart: 3 sessions, 2 orders (one by a stranger).
    store = {row["Measure"]: row for row in table(response, "store")}
    assert store["Sessions"]["This period"] == "3" and store["Orders"]["This period"] == "2"
    assert store["Orders of shoppers who interacted with UGC"]["This period"] == "1"
    assert store["Net revenue (EUR)"]["This period"] == "120.00"


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


def ranked_traffic(site, gallery="home"):
    """A tiny asset with one lucky order, and three with real traffic."""
    tiny, steady, strong, weak = (AssetFactory() for _ in range(4))
    counts = {tiny: (2, 1, 1, "500"), steady: (4000, 120, 4, "240"),
              strong: (3000, 150, 9, "450"), weak: (5000, 50, 1, "30")}  # fmt: skip
    for asset, (impressions, clicks, orders, revenue) in counts.items():
        DailyAssetStats.objects.create(
            day=the_day(), site_id=site.pk, asset_id=asset.pk, gallery=gallery,
            impressions=impressions, clicks=clicks, conversions=orders, revenue=Decimal(revenue),
        )  # fmt: skip
    return tiny, steady, strong, weak


def test_top_assets_rank_by_shrunk_revenue_per_impression_not_tiny_samples(web, site):
    _tiny, steady, strong, weak = ranked_traffic(site)
    response = web.get(URL, one_day())
    ranked = table(response, "top-assets")
    assert [row["Asset"].split()[0] for row in ranked] == [
        f"#{strong.pk}", f"#{steady.pk}", f"#{weak.pk}",
    ]  # fmt: skip
    first = ranked[0]
    low, estimate, high = (
        float(first[k].replace(",", ""))
        for k in ("95 % low", "Revenue per 1,000 impressions (shrunk)", "95 % high")
    )
    assert low < estimate < high
    assert estimate < 450 / 3000 * 1000  # pulled toward the average, not its raw 150.00
    html = response.content.decode()
    assert (
        "Minimum volume: 100 impressions in the range; 1 assets with fewer are not ranked" in html
    )
    [gallery] = table(response, "top-galleries")
    assert gallery["Gallery"] == "home" and gallery["UGC-assisted revenue"] == "1,220.00"


def test_changing_the_date_range_by_htmx_swaps_only_the_sections(web, rolled):
    day = the_day() - timedelta(days=1)
    response = web.get(URL, one_day(day), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert (
        response.status_code == 200 and "<html" not in html and 'id="dashboard-query"' not in html
    )
    rows = {row["Step"]: row for row in table(response, "funnel")}
    assert rows["Impressions"]["This period"] == "10"
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
        ("Impressions", "40"), ("Clicks", "2"), ("Product views", "0"), ("Add to cart", "1"),
        ("Orders", "1"),
    ]  # fmt: skip
    assert float(rows[1]["Share of the step before"]) == pytest.approx(0.05)


def test_csv_of_the_ranking_has_its_estimates(web, site):
    strong = ranked_traffic(site)[2]
    assets = list(csv.DictReader(io.StringIO(web.get(URL + "top-assets.csv", one_day()).text)))
    assert assets[0]["Asset ID"] == str(strong.pk) and assets[0]["Creator handle"]
    assert Decimal(assets[0]["UGC-assisted revenue"]) == Decimal("450.00")
    assert float(assets[0]["95\xa0% low"]) < float(assets[0]["95\xa0% high"])


def test_an_attribution_model_without_a_run_says_so_and_shows_no_numbers(web, rolled):
    response = web.get(URL, one_day(model="markov"))
    html = response.content.decode()
    assert "No finished markov attribution run covers" in html
    assert "table-top-assets" not in html and "table-top-galleries" not in html
    assert "there is nothing to compare yet" in html  # models side by side
    assert "Run attribution for" in html  # and a button to start one for this range
    assert "No experiment ran in this range" in html


def finished_run(level, credits, model="linear", start=None, end=None):
    run = AttributionRun.objects.create(
        model=model, level=level, date_from=start or the_day(), date_to=end or the_day(),
        currency="EUR", status=AttributionRun.Status.DONE, finished_at=datetime.now(UTC),
    )  # fmt: skip
    for credit_level, key, value in credits:
        AttributionCredit.objects.create(
            run=run, level=credit_level, key=key, conversions=1, value=value
        )
    return run


def test_a_model_ranks_models_galleries_and_assets_from_one_run(web, site):
    tiny, steady, strong, _weak = ranked_traffic(site)
    credited = [("asset", str(steady.pk), 300.0), ("asset", str(strong.pk), 60.0),
                ("asset", str(tiny.pk), 900.0), ("asset", "(none)", 40.0),
                ("gallery", "home", 1260.0), ("gallery", "(none)", 40.0),
                ("channel", "direct", 1000.0), ("channel", "organic_social", 300.0)]  # fmt: skip
    run = finished_run("asset", credited)
    finished_run("asset", [("channel", "direct", 700.0), ("channel", "organic_social", 600.0)],
                 model="markov")  # fmt: skip
    finished_run("channel", [("channel", "direct", 5.0)])  # exact too, but answers less
    response = web.get(URL, one_day(model="linear"))
    html = response.content.decode()
    ranked = table(response, "top-assets")
    assert [r["Asset"].split()[0] for r in ranked][:2] == [f"#{steady.pk}", f"#{strong.pk}"]
    assert ranked[0]["Credited revenue"] == "300.00"
    [gallery] = table(response, "top-galleries")
    assert gallery["Credited revenue"] == "1,260.00"
    models = {r["Channel"]: r for r in table(response, "models")}
    assert models["direct"]["Linear"] == "1,000.00" and models["direct"]["Markov"] == "700.00"
    # Each model's channels add up to what its galleries add up to: the same run's total.
    assert sum(float(r["Linear"].replace(",", "")) for r in models.values()) == 1300.0
    assert f"run {run.pk} (asset level, {the_day()} to {the_day()})" in html
    assert "exactly this range" in html


def test_a_range_without_its_own_run_shows_the_covering_run_and_says_so(web, site):
    ranked_traffic(site)
    wide = finished_run("asset", [("channel", "direct", 10.0)], start=the_day() - timedelta(9),
                        end=the_day() + timedelta(1))  # fmt: skip
    finished_run("asset", [("channel", "direct", 10.0)], start=the_day() - timedelta(30),
                 end=the_day() + timedelta(1))  # fmt: skip
    html = web.get(URL, one_day(model="linear")).content.decode()
    assert f"run {wide.pk}</a>" in html and "not your range" in html
    assert f"Run attribution for {the_day()} to {the_day()}" in html


def test_the_button_queues_a_run_for_the_range_and_its_progress_polls(web, site):
    day = the_day().isoformat()
    response = web.post(
        URL + "runs",
        {"from": day, "to": day, "level": "asset", "lookback": "30", "models": ["linear"]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    run = AttributionRun.objects.get()
    assert (run.model, run.level, run.status) == ("linear", "asset", "queued")
    assert (
        f"runs/progress?ids={run.pk}" in response.text and 'hx-trigger="every 1s"' in response.text
    )
    page = web.get(URL, one_day(model="linear")).content.decode()
    assert f"Run {run.pk} · Linear · Queued" in page and "Run attribution for" not in page
    AttributionRun.objects.filter(pk=run.pk).update(status="done", progress=100)
    done = web.get(URL + f"runs/progress?ids={run.pk}").text
    assert "every 1s" not in done and "Show the results" in done


def test_the_runs_screen_lists_runs_and_refuses_bad_forms(web):
    finished_run("asset", [("channel", "direct", 10.0)], model="markov")
    page = web.get(URL + "runs")
    assert page.status_code == 200 and "markov" in page.text and "Start a run" in page.text
    for form, field in (
        ({"from": "2026-01-01", "to": "2026-01-05", "models": ["coin"]}, "models"),
        ({"from": "yesterday", "to": "2026-01-05", "models": ["linear"]}, "from"),
        ({"from": "2026-01-05", "to": "2026-01-01", "models": ["linear"]}, "to"),
        ({"from": "2026-01-01", "to": "2026-01-05", "models": ["linear"], "level": "x"}, "level"),
    ):
        response = web.post(URL + "runs", form)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == field
    assert web.get(URL + "runs/progress?ids=abc").status_code == 400


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
        day=the_day(), site_id=site.pk, asset_id=asset.pk, gallery="home", impressions=500,
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
                impressions=100 + n, clicks=n, conversions=1, revenue=Decimal(n),
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
    assert rows["Impressions"]["This period"] == NO_DATA
    rows = {r["Step"]: r for r in table(web.get(URL, one_day(site=site.pk)), "funnel")}
    assert rows["Impressions"]["This period"] == "40"


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


def test_photo_requests_funnel_per_site_and_product_line_in_the_range(web):
    from tests.outreach.funnel_data import seed_funnel

    sites = seed_funnel()
    response = web.get(URL)  # the last 30 days: the 60-day-old request is out
    assert response.status_code == 200
    rows = {row["Site"]: row for row in table(response, "photo-requests")}
    assert set(rows) == {"Shop A", "Shop B", "All"}
    a = rows["Shop A"]
    assert (a["E-mails sent"], a["Product links sent"], a["Opened"]) == ("2", "3", "3")
    assert (a["Photo uploaded"], a["Approved"], a["Published"]) == ("2", "1", "1")
    assert a["Opened, of sent"] == "100.00 %" and a["Uploaded, of opened"] == "66.67 %"
    assert a["Approved, of uploaded"] == "50.00 %" and a["Published, of approved"] == "100.00 %"
    revenue = next(v for k, v in a.items() if k.startswith("Revenue of their photos"))
    assert revenue == "120.00"
    b = rows["Shop B"]
    assert (b["Product links sent"], b["Opened"], b["Photo uploaded"]) == ("1", "1", "0")
    assert b["Approved, of uploaded"] == NO_DATA  # nothing uploaded: no rate, not 0 %
    assert rows["All"]["Product links sent"] == "4" and rows["All"]["E-mails sent"] == "3"

    by_line = web.get(URL, {"requests_by": "product_line"})
    lines = {row["Product line"]: row for row in table(by_line, "photo-requests")}
    assert lines["Mugs"]["Product links sent"] == "2" and lines["Mugs"]["Published"] == "1"
    assert lines["Bowls"]["Product links sent"] == "2" and lines["Bowls"]["Approved"] == "0"
    assert 'name="requests_by" form="dashboard-query"' in by_line.content.decode()

    # The site filter and the date range hold for it as for every section.
    only_b = table(web.get(URL, {"site": sites["b"].pk}), "photo-requests")
    assert [row["Site"] for row in only_b] == ["Shop B"]
    long_ago = (the_day() - timedelta(days=89)).isoformat()
    wide = {r["Site"]: r for r in table(web.get(URL, {"from": long_ago}), "photo-requests")}
    assert wide["Shop B"]["E-mails sent"] == "2"
    csv_rows = list(csv.reader(io.StringIO(web.get(URL + "photo-requests.csv").text)))
    assert csv_rows[0][:3] == ["Site", "E-mails sent", "Product links sent"]
    assert csv_rows[1][:5] == ["Shop A", "2", "3", "3", "1.000000"]


def test_photo_requests_grouping_is_checked_and_empty_ranges_say_so(web):
    response = web.get(URL, {"requests_by": "colour"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "requests_by"
    html = web.get(URL).content.decode()
    assert "No photo request was sent in this range." in html
