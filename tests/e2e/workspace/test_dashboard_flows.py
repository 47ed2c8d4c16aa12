"""The analyst's dashboard in Debian's Chromium: open it on rolled-up traffic, change the
date range (typed and by a quick range) and the attribution model, at 1280 px and on a
tablet. Screenshots go to .data/artifacts/workspace/."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from analytics.models import AttributionRun
from analytics.services.attribution_runs import MODEL_NAMES
from analytics.services.rollups import rollup_day
from core.roles import ANALYST
from tests.analytics.kpi_data import build, the_day
from tests.analytics.test_experiments_screen import exposures
from tests.e2e.workspace.conftest import log_in
from tests.ugc.factories import GalleryFactory, SiteFactory, UserFactory

ORIGIN = "https://shop.example"


def rolled_traffic():
    # Events are an unmanaged (partitioned) table, which a transactional test's flush
    # leaves alone: an earlier test's events would be rolled up again here.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_event")
    site = SiteFactory(domain="shop.example", allowed_origins=[ORIGIN])
    asset = build(APIClient(), site)
    for day in (the_day() - timedelta(days=1), the_day()):
        rollup_day(day)
    return asset


def funnel_cell(page, step: str):
    # Columns: step (a row header), what is counted, then this period's count.
    return page.locator("#table-funnel tbody tr", has_text=step).locator("td").nth(1)


def test_change_the_date_range_and_the_model(page, workspace):
    rolled_traffic()
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    log_in(page, workspace.url, "ana")
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/workspace/dashboard/$"))

    # The last 30 days hold both days of traffic: 20 + 20 + 10 impressions.
    expect(funnel_cell(page, "Impressions")).to_have_text("50")
    expect(page.locator("canvas[data-chart]").first).to_be_visible()
    # The funnel and the day-by-day charts (the rankings have too little traffic here).
    assert page.evaluate("document.querySelectorAll('canvas[data-chart]').length") >= 4
    # Two days of 50 impressions are under the minimum volume: not ranked, and said so.
    expect(page.locator("#section-top-assets")).to_contain_text("had 100 impressions")
    expect(page.locator("#section-funnel .lead")).to_contain_text(
        "Shoppers who interacted with UGC converted 50.0 %"  # alice bought, dave did not
    )
    page.screenshot_as("opened")

    day = the_day().isoformat()
    page.get_by_label("From").fill(day)
    page.get_by_label("to", exact=True).fill(day)
    expect(page).to_have_url(re.compile(f"from={day}&to={day}"))
    expect(funnel_cell(page, "Impressions")).to_have_text("40")
    expect(page.locator("#section-funnel")).to_contain_text("+300.0 %")  # against 10 the day before
    page.screenshot_as("one-day")

    page.get_by_role("link", name="Last 7 days").click()
    today = timezone.now().astimezone(UTC).date()
    week = (today - timedelta(days=6)).isoformat()
    expect(page).to_have_url(re.compile(f"from={week}&to={today.isoformat()}"))
    expect(page.get_by_label("From")).to_have_value(week)
    expect(funnel_cell(page, "Impressions")).to_have_text("50")  # both days are in the week

    page.get_by_label("Revenue by").select_option("markov")
    expect(page).to_have_url(re.compile("model=markov"))
    expect(page.locator("#section-top-assets")).to_contain_text(
        "No finished markov attribution run covers"
    )
    expect(page.locator("#table-top-assets")).to_have_count(0)
    page.screenshot_as("markov")

    # A shared link opens the same view.
    page.goto(page.url)
    expect(page.get_by_label("Revenue by")).to_have_value("markov")
    expect(page.get_by_label("From")).to_have_value(week)


def test_usable_on_a_tablet_with_the_keyboard(page, workspace):
    rolled_traffic()
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    log_in(page, workspace.url, "ana")
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"{workspace.url}/workspace/dashboard/")
    expect(funnel_cell(page, "Impressions")).to_have_text("50")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a tablet"
    page.screenshot_as("tablet")

    # Focus order follows reading order: the quick ranges, then the model, then Show.
    # (Tab inside a date input walks its day, month and year first, as Chromium does.)
    page.get_by_role("link", name="Last 90 days").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Revenue by")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="Last 7 days")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("from="))
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "true")
    page.screenshot_as("tablet-week")


def analyst(page, workspace):
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    log_in(page, workspace.url, "ana")


def test_start_a_run_for_the_range_and_watch_its_progress(page, workspace):
    rolled_traffic()
    analyst(page, workspace)
    day = the_day().isoformat()
    page.goto(f"{workspace.url}/workspace/dashboard/?from={day}&to={day}&model=linear")
    expect(page.locator("#attribution-run")).to_contain_text("No finished attribution run covers")
    page.get_by_role("button", name=f"Run attribution for {day} to {day}").click()
    progress = page.locator(".run-progress")
    expect(progress).to_contain_text("Linear · Queued")
    page.screenshot_as("run-queued")
    # No worker here: the run is finished as a worker would, and the polling sees it.
    run = AttributionRun.objects.get()
    AttributionRun.objects.filter(pk=run.pk).update(status="done", progress=100)
    expect(page.get_by_role("link", name="Show the results")).to_be_visible(timeout=5000)
    page.screenshot_as("run-done")

    page.goto(f"{workspace.url}/workspace/dashboard/runs")
    expect(page.locator(f"#run-{run.pk}")).to_contain_text("Linear")
    page.get_by_label("From").fill(day)
    page.get_by_label("To", exact=True).fill(day)
    page.get_by_label("Level").select_option("channel")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#started .run-progress")).to_contain_text("Queued")
    assert AttributionRun.objects.filter(level="channel").count() == len(MODEL_NAMES)
    page.screenshot_as("runs-screen")


# Whether Chart.js painted anything: some pixel of the canvas is not transparent.
DRAWN = """(canvas) => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  return data.some((value, i) => i % 4 === 3 && value > 0);
}"""


def test_create_watch_and_stop_an_experiment(page, workspace):
    site = SiteFactory(domain="shop.example", allowed_origins=[ORIGIN])
    GalleryFactory(site=site, slug="home", title="Home")
    GalleryFactory(site=site, slug="close-ups", title="Close-ups")
    analyst(page, workspace)
    page.goto(f"{workspace.url}/workspace/dashboard/experiments")
    page.get_by_label("Name").fill("Close-ups on the home page")
    page.get_by_label("Gallery slot (control shows it)").select_option(
        label=f"{site.name}: home (Home)"
    )
    page.get_by_label("Variant B shows").select_option(label=f"{site.name}: close-ups (Close-ups)")
    page.get_by_label("Holdout share (%)").fill("10")
    page.get_by_label("Metric").select_option("click_through")
    page.get_by_label("Planned days").fill("14")
    page.get_by_role("button", name="Start the experiment").click()
    expect(page.locator("h1")).to_have_text("Close-ups on the home page")
    expect(page.locator("#verdict")).to_contain_text("Not enough visitors yet")
    expect(page.locator("#table-variants")).to_contain_text("no gallery (holdout)")
    expect(page.locator("#sample-ratio")).to_contain_text("The sample ratio is as planned")
    expect(page.locator("#section-estimates")).to_contain_text("No visitor has seen")
    page.screenshot_as("experiment-new")

    # Visitors arrive through the collect endpoint: each arm's estimate is drawn with its
    # interval and control's line, and the same numbers sit in the table beside it.
    key = "close-ups-on-the-home-page"
    for variant, visitors, clicked in (("control", 200, 10), ("b", 200, 40), ("holdout", 45, 0)):
        exposures(Client(), site, key, variant, visitors, clicked)
    page.reload()
    chart = page.locator("#section-estimates canvas[data-chart]")
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_name("Click-through by variant, with its 95 % interval")
    rows = page.locator("#table-estimates tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("20.00 %")  # b: 40 of 200 clicked
    expect(rows.nth(2)).to_contain_text("0.00 %")
    assert page.evaluate(DRAWN, chart.element_handle()), "the chart's canvas is blank"
    page.locator("#section-estimates").scroll_into_view_if_needed()
    page.screenshot_as("experiment-chart")
    page.get_by_role("button", name="Stop the experiment now").click()
    expect(page.get_by_role("button", name="Stop the experiment now")).to_have_count(0)
    expect(page.locator(".note").first).to_contain_text("finished")
    page.get_by_role("link", name="All experiments").click()
    expect(page.locator("#table-experiments")).to_contain_text("finished")
    page.screenshot_as("experiments-list")


def test_photo_requests_by_site_then_by_product_line(page, workspace):
    from tests.outreach.funnel_data import seed_funnel

    seed_funnel()
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    log_in(page, workspace.url, "ana")
    page.goto(f"{workspace.url}/workspace/dashboard/")
    section = page.locator("#section-photo-requests")
    section.scroll_into_view_if_needed()
    shop_a = section.locator("tbody tr", has_text="Shop A")
    # After the site (a row header): e-mails, links sent, opened, its rate, uploaded, its rate
    expect(shop_a.locator("td").nth(1)).to_have_text("3")
    expect(shop_a.locator("td").nth(5)).to_have_text("66.67 %")
    expect(section.locator("canvas[data-chart]")).to_have_count(3)
    drawn = page.evaluate(
        "[...document.querySelectorAll('#section-photo-requests canvas')]"
        ".every(c => c.width > 0 && c.height > 0)"
    )
    assert drawn, "every chart of the section is drawn"
    page.screenshot_as("photo-requests")

    page.get_by_label("Photo requests by").select_option("product_line")
    expect(page).to_have_url(re.compile("requests_by=product_line"))
    expect(section.locator("thead th").first).to_have_text("Product line")
    mugs = section.locator("tbody tr", has_text="Mugs")
    expect(mugs.locator("td").nth(1)).to_have_text("2")
    expect(page.get_by_label("Photo requests by")).to_have_value("product_line")
    # The date range keeps the grouping: the choice belongs to the dashboard's query.
    page.get_by_role("link", name="Last 90 days").click()
    expect(page).to_have_url(re.compile("requests_by=product_line"))
    bowls = section.locator("tbody tr", has_text="Bowls")
    expect(bowls.locator("td").nth(1)).to_have_text("3")  # the 60-day-old link as well
    section.scroll_into_view_if_needed()
    page.screenshot_as("photo-requests-by-line")
