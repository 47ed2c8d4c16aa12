"""The analyst's dashboard in Debian's Chromium: open it on rolled-up traffic, change the
date range (typed and by a quick range) and the attribution model, at 1280 px and on a
tablet. Screenshots go to .data/artifacts/workspace/."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from analytics.services.rollups import rollup_day
from config.roles import ANALYST
from tests.analytics.kpi_data import build, the_day
from tests.e2e.workspace.conftest import log_in
from tests.ugc.factories import SiteFactory, UserFactory

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
    # Columns: step (a row header), stage, then this period's count.
    return page.locator("#table-funnel tbody tr", has_text=step).locator("td").nth(1)


def test_change_the_date_range_and_the_model(page, workspace):
    asset = rolled_traffic()
    user = UserFactory(username="ana")
    user.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    log_in(page, workspace.url, "ana")
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/workspace/dashboard/$"))

    # The last 30 days hold both days of traffic: 20 + 20 + 10 impressions.
    expect(funnel_cell(page, "impressions")).to_have_text("50")
    expect(page.locator("canvas[data-chart]").first).to_be_visible()
    assert page.evaluate("document.querySelectorAll('canvas[data-chart]').length") >= 5
    expect(page.locator("#table-top-assets")).to_contain_text(f"#{asset.pk}")
    page.screenshot_as("opened")

    day = the_day().isoformat()
    page.get_by_label("From").fill(day)
    page.get_by_label("to", exact=True).fill(day)
    expect(page).to_have_url(re.compile(f"from={day}&to={day}"))
    expect(funnel_cell(page, "impressions")).to_have_text("40")
    expect(page.locator("#section-funnel")).to_contain_text("+300.0 %")  # against 10 the day before
    page.screenshot_as("one-day")

    page.get_by_role("link", name="Last 7 days").click()
    today = timezone.now().astimezone(UTC).date()
    week = (today - timedelta(days=6)).isoformat()
    expect(page).to_have_url(re.compile(f"from={week}&to={today.isoformat()}"))
    expect(page.get_by_label("From")).to_have_value(week)
    expect(funnel_cell(page, "impressions")).to_have_text("50")  # both days are in the week

    page.get_by_label("Revenue by").select_option("markov")
    expect(page).to_have_url(re.compile("model=markov"))
    expect(page.locator("#section-top-assets")).to_contain_text("No markov attribution run exists")
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
    expect(funnel_cell(page, "impressions")).to_have_text("50")
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
