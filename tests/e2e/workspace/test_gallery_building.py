"""Building a gallery in a real browser: create it, pin three assets from the
library with "add to gallery", reorder them by drag-and-drop, and see the live
preview (the real widget over the real public API) show them in that order; at
1280 px and at a tablet's 768 px, with screenshots under .data/artifacts/workspace."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.workspace.conftest import log_in, pictured_asset
from tests.ugc.factories import SiteFactory
from ugc.models import Gallery, GalleryPin


def pinned(gallery) -> list[int]:
    return list(
        GalleryPin.objects.filter(gallery=gallery)
        .order_by("position")
        .values_list("asset_id", flat=True)
    )


def preview_order(page) -> list[int]:
    tiles = page.locator("#preview [data-ugc-asset]")
    return [int(value) for value in tiles.evaluate_all("els => els.map(e => e.dataset.ugcAsset)")]


def expect_preview(page, ids: list[int]) -> None:
    tiles = page.locator("#preview [data-ugc-asset]")
    expect(tiles).to_have_count(len(ids))
    for index, asset_id in enumerate(ids):
        expect(tiles.nth(index)).to_have_attribute("data-ugc-asset", str(asset_id))


def test_build_a_gallery_and_see_it_in_the_preview(page, coordinator, workspace):
    site = SiteFactory(name="Main shop", allowed_origins=["https://shop.example.com"])
    assets = [
        pictured_asset(i, caption=f"look {i}", moderation_state="approved", rights_state="granted")
        for i in range(3)
    ]
    waiting = pictured_asset(7, caption="not approved yet")

    log_in(page, workspace.url)
    page.get_by_role("link", name="Galleries").click()
    page.get_by_label("Site", exact=True).select_option(label=site.name)
    page.get_by_label("Slug (in the embed code)").fill("summer")
    page.get_by_label("Title", exact=True).fill("Summer picks")
    page.get_by_role("button", name="Create gallery").click()
    page.wait_for_url(re.compile(r"/workspace/galleries/\d+$"))
    gallery = Gallery.objects.get(site=site, slug="summer")
    expect(page.locator("#preview [data-ugc-gallery]")).to_have_attribute("data-ugc-state", "ready")

    # The library: select the three publishable assets and one that is not, add them.
    page.goto(f"{workspace.url}/workspace/")
    chosen = [*assets, waiting]
    for asset in chosen:
        page.locator(f"#tile-{asset.pk}").click()
    expect(page.locator("#selected-count")).to_have_text("4 selected")
    expect(page.locator("#gallery-choice option")).to_have_text(["Main shop / Summer picks"])
    page.get_by_role("button", name=re.compile("^Add to gallery")).click()
    page.get_by_role("dialog").get_by_role("button", name="Add to gallery").click()
    expect(page.locator("#status")).to_have_text("Pinned 4 assets in Summer picks")
    order = pinned(gallery)
    assert order == [a.pk for a in chosen]
    # Again: nothing is pinned twice, and the screen says so.
    page.get_by_role("button", name=re.compile("^Add to gallery")).click()
    page.get_by_role("dialog").get_by_role("button", name="Add to gallery").click()
    expect(page.locator("#status")).to_contain_text("Pinned 0 assets; skipped 4")
    assert pinned(gallery) == order

    page.goto(f"{workspace.url}/workspace/galleries/{gallery.pk}")
    shown = [a.pk for a in assets]
    expect_preview(page, shown)  # the unapproved pin is listed, not shown
    expect(page.locator(f'#pins [data-asset="{waiting.pk}"]')).to_contain_text("Not shown yet")
    page.screenshot_as("pinned-1280")

    # Drag the last shown asset above the first.
    last, first = assets[2], assets[0]
    source = page.locator(f'#pins [data-asset="{last.pk}"]')
    target = page.locator(f'#pins [data-asset="{first.pk}"]')
    source.drag_to(target, target_position={"x": 40, "y": 4})
    expect(page.locator("#pins-panel .flash")).to_have_text("Order saved")
    expected = [last.pk, first.pk, assets[1].pk]
    assert pinned(gallery) == [*expected, waiting.pk]
    expect_preview(page, expected)

    # Keyboard alternative: Up on the second pin.
    page.get_by_role("button", name=f"Move #{first.pk} up").click()
    expect(page.locator("#pins-panel .flash")).to_have_text("Order saved")
    expected = [first.pk, last.pk, assets[1].pk]
    expect_preview(page, expected)
    assert pinned(gallery) == [*expected, waiting.pk]
    page.screenshot_as("reordered-1280")
    snippet = page.get_by_label(re.compile("^Paste into a page"))
    expect(snippet).to_have_value(re.compile(r'data-ugc-gallery="summer"'))

    page.set_viewport_size({"width": 768, "height": 1024})
    page.reload()
    expect_preview(page, expected)
    page.screenshot_as("tablet-768")
    page.goto(f"{workspace.url}/workspace/galleries")
    expect(page.locator(f"#site-{site.pk}")).to_contain_text(site.publishable_key)
    page.screenshot_as("galleries-768")


def test_allowed_origins_edited_with_a_clear_error(page, coordinator, workspace):
    site = SiteFactory(name="Main shop", allowed_origins=["https://shop.example.com"])
    log_in(page, workspace.url)
    page.goto(f"{workspace.url}/workspace/galleries")
    page.get_by_text("Edit site, origins and key").click()
    origins = page.get_by_label(re.compile("^Allowed origins \\(one a line: scheme"))
    origins.fill("https://shop.example.com/products")
    page.get_by_role("button", name="Save site").click()
    expect(page.locator("#status")).to_contain_text("allowed_origins")
    expect(page.locator("#status")).to_contain_text("no path")
    origins.fill("https://shop.example.com\nhttps://www.shop.example.com:8443")
    page.get_by_role("button", name="Save site").click()
    expect(page.locator(f"#site-{site.pk} .flash")).to_have_text("Saved Main shop")
    site.refresh_from_db()
    assert site.allowed_origins == ["https://shop.example.com", "https://www.shop.example.com:8443"]
    page.screenshot_as("origins-saved")
