"""The coordinator's main flows in a real browser: search then bulk approve,
place a hotspot, and a keyboard review of ten assets."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.workspace.conftest import log_in, pictured_asset
from tests.support.procs import ROOT
from tests.ugc.factories import ProductFactory, ProductLineFactory, ProductTagFactory
from ugc.models import (
    Asset,
    ModerationState,
    ProductLineTag,
    ProductTag,
    RejectionReason,
    TaggingRule,
    TagSource,
)
from ugc.services.search_index import refresh_search_vectors


def test_search_then_bulk_approve(page, coordinator, workspace):
    sneakers = [pictured_asset(i, caption=f"red sneakers look {i} #kicks") for i in range(3)]
    mug = pictured_asset(9, caption="a blue mug on a desk")
    refresh_search_vectors([a.pk for a in [*sneakers, mug]])

    log_in(page, workspace.url)
    expect(page.locator("#grid .tile")).to_have_count(4)
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("sneakers")
    page.keyboard.press("Enter")
    expect(page.locator("#grid .tile")).to_have_count(3)
    expect(page.locator(f"#tile-{mug.pk}")).to_have_count(0)

    tiles = page.locator("#grid .tile")
    tiles.nth(0).click()
    tiles.nth(2).click(modifiers=["Shift"])
    expect(page.locator("#selected-count")).to_have_text("3 selected")
    page.screenshot_as("selected")
    page.get_by_role("button", name=re.compile("^Approve")).click()
    expect(page.locator("#status")).to_have_text("Approved 3 assets")
    for asset in sneakers:
        expect(page.locator(f"#tile-{asset.pk} .badge.m-approved")).to_have_text("Approved")
        # The tile was swapped for a fresh one and is still selected.
        expect(page.locator(f"#tile-{asset.pk}")).to_have_attribute("aria-selected", "true")
    page.screenshot_as("approved")
    states = set(
        Asset.objects.filter(pk__in=[a.pk for a in sneakers]).values_list(
            "moderation_state", flat=True
        )
    )
    assert states == {ModerationState.APPROVED}
    assert Asset.objects.get(pk=mug.pk).moderation_state == ModerationState.PENDING


def test_place_a_hotspot(page, coordinator, workspace):
    asset = pictured_asset(1, caption="wearing the jacket")
    product = ProductFactory(sku="JACKET-1", title="Rain jacket")

    log_in(page, workspace.url)
    page.goto(f"{workspace.url}/workspace/assets/{asset.pk}")
    image = page.locator("#hotspot-image")
    expect(image).to_be_visible()
    box = image.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.75)
    expect(page.locator("#hotspot-where")).to_have_text("At 25%, 75%")
    page.get_by_label("Product name or SKU").fill("JACKET-1")
    page.get_by_role("button", name="Place product").click()
    expect(page.locator("#products")).to_contain_text("Rain jacket")
    expect(page.locator("#hotspot-pins .pin")).to_have_count(1)
    page.screenshot_as("placed")

    tag = ProductTag.objects.get(asset=asset, product=product)
    assert abs(tag.hotspot_x - 0.25) < 0.02
    assert abs(tag.hotspot_y - 0.75) < 0.02

    # A SKU that does not exist: the problem is shown, nothing is stored.
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.get_by_label("Product name or SKU").fill("NO-SUCH")
    page.get_by_role("button", name="Place product").click()
    expect(page.locator("#status")).to_contain_text("no product with the SKU or the name 'NO-SUCH'")
    assert ProductTag.objects.filter(asset=asset).count() == 1


def test_keyboard_review_of_ten_assets(page, coordinator, workspace):
    assets = [pictured_asset(i, caption=f"review me {i}") for i in range(10)]

    log_in(page, workspace.url)
    page.goto(f"{workspace.url}/workspace/review")
    expect(page.locator("#review-stage")).to_have_attribute("data-asset", str(assets[0].pk))
    page.screenshot_as("first")
    decisions = {}
    for index, asset in enumerate(assets):
        stage = page.locator("#review-stage")
        expect(stage).to_have_attribute("data-asset", str(asset.pk))
        if index % 3 == 2:
            page.keyboard.press("2")  # the second reason
            page.keyboard.press("r")
            decisions[asset.pk] = ModerationState.REJECTED
        else:
            page.keyboard.press("a")
            decisions[asset.pk] = ModerationState.APPROVED
        expect(stage).not_to_have_attribute("data-asset", str(asset.pk))
    expect(page.locator("#review-stage")).to_contain_text("Nothing waiting for review")
    page.screenshot_as("done")

    stored = dict(Asset.objects.filter(pk__in=decisions).values_list("pk", "moderation_state"))
    assert stored == decisions
    rejected = Asset.objects.filter(moderation_state=ModerationState.REJECTED)
    second = RejectionReason.objects.filter(active=True).order_by("label")[1]
    assert {a.rejection_reason_id for a in rejected} == {second.pk}


def test_the_asset_page_draws_its_kpis_with_the_shared_chart_chunk(page, coordinator, workspace):
    from datetime import timedelta

    from django.utils import timezone

    from ugc.models import AssetPerformance

    asset = pictured_asset(3, caption="with numbers")
    today = timezone.now().date()
    AssetPerformance.objects.bulk_create(
        AssetPerformance(
            asset=asset, day=today - timedelta(days=n), source="rollup",
            gallery_impressions=100 + n, clicks=n, updated_at=timezone.now(),
        )
        for n in range(5)
    )  # fmt: skip
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.url.endswith(".js") else None)

    chunks = ROOT / "workspace" / "static" / "workspace" / "chunks"
    chart_js = next(p.name for p in chunks.iterdir() if b"Chart.js v" in p.read_bytes())

    log_in(page, workspace.url)
    expect(page.locator("#grid .tile")).to_have_count(1)
    assert not [url for url in scripts if chart_js in url], "the library loaded Chart.js"

    page.goto(f"{workspace.url}/workspace/assets/{asset.pk}")
    # Chart.js sizes the canvas it draws on; the chunk came by dynamic import.
    expect(page.locator("#kpi-chart")).to_have_attribute("style", re.compile("box-sizing"))
    assert [url for url in scripts if chart_js in url]
    page.locator("#kpi-chart").scroll_into_view_if_needed()
    page.screenshot_as("kpis")


def test_the_score_explains_itself_and_each_filter_comes_off_alone(page, coordinator, workspace):
    from ugc.services import scoring

    caption = "Morning run in the Trailblazer 2 shoes with the Hydro bottle #run " * 2
    first = pictured_asset(3, caption=caption, quality_score=0.8, source_platform="instagram")
    pictured_asset(4, caption="a second look", quality_score=0.5, source_platform="tiktok")
    scoring.rescore_all()

    log_in(page, workspace.url)
    tile_caption = page.locator(f"#tile-{first.pk} .caption")
    expect(tile_caption).to_contain_text("Hydro bottle")  # two lines: product names show
    page.locator(f"#tile-{first.pk}").click()
    expect(page.locator(f"#tile-{first.pk} .check")).to_be_visible()
    page.screenshot_as("library-selected")

    page.goto(f"{workspace.url}/workspace/?platform=instagram&moderation_state=pending")
    chips = page.locator(".chips .chip")
    expect(chips).to_have_count(2)
    page.screenshot_as("chips")
    page.get_by_role("link", name="Remove the filter Platform: Instagram").click()
    expect(chips).to_have_count(1)
    expect(chips.first).to_contain_text("Moderation: Pending")
    expect(page.locator("#grid .tile")).to_have_count(2)

    page.goto(f"{workspace.url}/workspace/assets/{first.pk}")
    panel = page.locator("#score")
    expect(panel.locator("[data-why]")).to_contain_text("Why it ranks here")
    expect(panel.locator("tr[data-part=social]")).to_contain_text("no data")
    expect(panel.locator("tr[data-part=quality]")).to_contain_text("0.80")
    expect(panel.locator("tr[data-part=diversity]")).to_have_count(0)
    panel.scroll_into_view_if_needed()
    page.screenshot_as("score-panel")


def test_tag_from_the_review_queue_by_keyboard(page, coordinator, workspace):
    asset = pictured_asset(1, caption="Coffee on the stove at dawn")
    later = pictured_asset(2, caption="next one")
    stoves = ProductLineFactory(name="Stoves", slug="stoves")
    TaggingRule.objects.create(kind=TaggingRule.Kind.KEYWORD, value="stove", product_line=stoves)
    kettle = ProductFactory(sku="KT-1", title="Camp kettle", url="https://shop.example/kt-1")
    ProductFactory(sku="ST-0", title="Stove nobody suggested")
    ProductTagFactory(
        asset=asset, product=kettle, source=TagSource.SUGGESTED, accepted=False, confidence=0.8
    )

    log_in(page, workspace.url)
    page.goto(f"{workspace.url}/workspace/review")
    stage = page.locator("#review-stage")
    expect(stage).to_have_attribute("data-asset", str(asset.pk))
    page.keyboard.press("t")  # the picker, with the asset's suggestions listed
    expect(page.locator("#review-product")).to_be_focused()
    first = page.locator("#review-product-options [data-pick-product]").first
    expect(first).to_have_attribute("data-pick-product", "KT-1")
    expect(first).to_contain_text("Suggested")
    first.scroll_into_view_if_needed()
    page.screenshot_as("suggestions")
    first.click()
    page.keyboard.press("Enter")
    expect(stage).to_contain_text("Tagged Camp kettle (KT-1)")
    expect(stage).to_have_attribute("data-asset", str(asset.pk))  # still up

    page.keyboard.press("l")  # the first suggested line
    expect(stage).to_contain_text("Tagged the line Stoves")
    expect(stage.locator(".suggested-lines")).to_have_count(0)
    page.screenshot_as("tagged")
    assert ProductTag.objects.get(asset=asset, product=kettle).accepted
    assert ProductLineTag.objects.get(asset=asset, product_line=stoves).accepted

    page.keyboard.press("a")  # the keys still decide, and the queue moves on
    expect(stage).to_have_attribute("data-asset", str(later.pk))
