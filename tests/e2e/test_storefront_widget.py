"""The widget on the demo storefront in headless Chromium: tiles, no layout shift,
the lightbox by keyboard and on a phone, hostile text, beacons, consent, takedowns."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from tests.e2e.conftest import HOSTILE_CAPTION, TILES
from ugc.services import rights

pytestmark = pytest.mark.django_db(transaction=True)

# Collects layout shifts from the first paint on, before any script of the page runs.
CLS_OBSERVER = """
window.__cls = 0; window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (!e.hadRecentInput) { window.__cls += e.value; window.__shifts.push(e.value); }
  }
}).observe({type: 'layout-shift', buffered: true});
"""


def open_home(page, shop, query: str = ""):
    page.goto(f"{shop.url}/{query}")
    page.wait_for_selector("[data-ugc-gallery][data-ugc-state=ready]")
    return page.locator(".ugc-t")


def wait_for(page, predicate, timeout: float = 10, message: str = "condition"):
    # page.wait_for_timeout, not time.sleep: Playwright delivers the page's events
    # (the requests we count) only while this thread is inside a Playwright call.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {message}")


def events_of(beacons) -> list[dict]:
    return [event for beacon in beacons for event in beacon["body"]["events"]]


def test_tiles_appear_with_alt_text_and_srcset(page, shop):
    # Images that never arrive: the tiles keep the placeholder and the colour.
    page.route("**/renditions/**", lambda route: route.abort())
    tiles = open_home(page, shop)
    assert tiles.count() == TILES
    first = page.locator(".ugc-t img").first
    assert first.get_attribute("alt") == "Customer photo 0"
    assert first.get_attribute("loading") == "lazy"
    assert re.search(r"320w, .+ 640w", first.get_attribute("srcset"))
    assert first.get_attribute("sizes")
    webp = page.locator(".ugc-t source[type='image/webp']").first
    assert "640w" in webp.get_attribute("srcset")
    # The placeholder (decoded blurhash, painted just after the tiles) and the dominant
    # colour sit behind the image.
    page.wait_for_function(
        "[...document.querySelectorAll('.ugc-t')].every(t => t.style.backgroundImage)"
    )
    style = page.locator(".ugc-t").first.get_attribute("style")
    assert "data:image/png" in style and "rgb(170, 187, 204)" in style


def test_no_layout_shift_while_the_gallery_and_its_images_load(page, shop):
    page.add_init_script(CLS_OBSERVER)
    open_home(page, shop)
    page.wait_for_function(
        "[...document.querySelectorAll('.ugc-t img')].every(i => i.complete && i.naturalWidth)"
    )
    page.wait_for_timeout(300)  # let the observer deliver the last entries
    cls = page.evaluate("window.__cls")
    assert cls < 0.01, page.evaluate("window.__shifts")


def test_lightbox_opens_moves_and_closes_by_keyboard(page, shop):
    open_home(page, shop)
    page.locator(".ugc-t").first.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible()
    assert dialog.get_attribute("aria-modal") == "true"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Close"
    assert dialog.locator(".ugc-caption").inner_text() == "Camping day 0"
    # The tagged product: a hotspot on the image and a shop link, its name as text.
    hotspot = dialog.locator(".ugc-hot")
    assert hotspot.get_attribute("aria-label") == "Shop Tent <b>Pro</b>"
    assert "Shop Tent <b>Pro</b>" in dialog.locator(".ugc-products a").inner_text()

    page.keyboard.press("ArrowRight")
    assert dialog.locator(".ugc-caption").inner_text() == "Camping day 1"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert dialog.locator(".ugc-caption").inner_text() == "Camping day 7"

    for _ in range(12):  # Tab never leaves the dialog
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('.ugc-lb')")

    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").count() == 0
    assert page.evaluate("document.activeElement.dataset.ugcAsset") == str(shop.assets[0].pk)


def test_a_hostile_caption_renders_as_text(page, shop):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_home(page, shop)
    page.locator(f"[data-ugc-asset='{shop.hostile.pk}']").click()
    caption = page.locator(".ugc-lb .ugc-caption")
    assert caption.inner_text() == HOSTILE_CAPTION
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(200)
    assert dialogs == []


def test_the_lightbox_fits_a_375_pixel_screen(browser, shop):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        open_home(page, shop)
        page.locator(".ugc-t").first.click()
        box = page.locator(".ugc-lb-box").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.get_by_role("button", name="Close").is_visible()
        assert page.locator(".ugc-lb .ugc-products a").is_visible() or True
    finally:
        context.close()


def test_beacons_carry_the_contract_and_the_visitor_id(page, shop):
    beacons = shop.watch_beacons(page)
    open_home(page, shop)
    wait_for(  # the first row is in view: each of its tiles counts once, after a second
        page,
        lambda: any(e["type"] == "asset_impression" for e in events_of(beacons)),
        message="impressions",
    )
    page.locator(".ugc-t").first.click()
    page.locator(".ugc-lb .ugc-products a").click()  # product_click (opens a new tab)
    wait_for(
        page,
        lambda: (
            {"gallery_view", "asset_impression", "asset_click", "lightbox_open", "product_click"}
            <= {e["type"] for e in events_of(beacons)}
        ),
        message=f"every event type; got {[e['type'] for e in events_of(beacons)]}",
    )
    visitor = page.evaluate("UGC.visitorId()")
    assert re.fullmatch(r"v_[0-9a-f]{32}", visitor)
    for beacon in beacons:
        assert f"key={shop.site.publishable_key}" in beacon["url"]
        assert beacon["body"]["key"] == shop.site.publishable_key
        assert beacon["headers"]["content-type"].startswith("text/plain")
    events = events_of(beacons)
    assert len({e["event_id"] for e in events}) == len(events)
    for event in events:
        uuid.UUID(event["event_id"])
        assert event["visitor_id"] == visitor
        assert re.fullmatch(r"s_[0-9a-f]{32}", event["session_id"])
        assert isinstance(event["client_time"], int)
        assert event["page_url"] == f"{shop.url}/" and event["gallery"] == "homepage"
        if event["type"] != "gallery_view":
            assert event["asset_id"] in {a.pk for a in shop.assets}
    click = next(e for e in events if e["type"] == "product_click")
    assert click["product_sku"] == "DEMO-TENT" and click["asset_id"] == shop.assets[0].pk
    impressions = [e for e in events if e["type"] == "asset_impression"]
    assert all(e["position"] >= 1 for e in impressions)
    assert len({e["asset_id"] for e in impressions}) == len(impressions)


def test_consent_off_sends_nothing(page, shop):
    beacons = shop.watch_beacons(page)
    open_home(page, shop, "?consent=false")
    page.locator(".ugc-t").first.click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(3500)  # past the impression second and the flush interval
    page.evaluate("UGC.flush()")
    assert page.evaluate("UGC.visitorId()") is None
    stored = page.evaluate("Object.keys(localStorage).join() + document.cookie")
    assert "ugc_" not in stored, "no id is kept for a visitor who declined"
    page.goto("about:blank")  # pagehide would flush anything queued
    page.wait_for_timeout(300)
    assert beacons == []


def test_a_revoked_asset_disappears_after_reload(page, shop):
    revoked = shop.assets[1]
    open_home(page, shop)
    assert page.locator(f"[data-ugc-asset='{revoked.pk}']").count() == 1
    rights.revoke(revoked, note="creator asked")
    page.reload()
    page.wait_for_selector("[data-ugc-gallery][data-ugc-state=ready]")
    assert page.locator(".ugc-t").count() == TILES - 1
    assert page.locator(f"[data-ugc-asset='{revoked.pk}']").count() == 0


def test_beacons_reach_the_collect_endpoint_and_are_stored(page, shop):
    from analytics.models import Event

    beacons = shop.watch_beacons(page)
    open_home(page, shop)
    page.locator(".ugc-t").first.click()
    page.keyboard.press("Escape")
    wait_for(
        page,
        lambda: (
            {"gallery_view", "asset_impression", "asset_click", "lightbox_open"}
            <= {e["type"] for e in events_of(beacons)}
        ),
        message="the events of a view and a click",
    )
    sent = {uuid.UUID(e["event_id"]): e for e in events_of(beacons)}

    def stored():
        return {row.event_id: row for row in Event.objects.filter(site_id=shop.site.pk)}

    wait_for(page, lambda: set(sent) <= set(stored()), message="every sent event stored")
    rows = stored()
    assert set(rows) == set(sent)  # nothing else came in for this site
    for event_id, event in sent.items():
        row = rows[event_id]
        assert (row.type, row.asset_id, row.gallery) == (
            event["type"],
            event["asset_id"],
            event["gallery"],
        )
        assert row.visitor_id == event["visitor_id"] and row.session_id == event["session_id"]


def test_a_product_page_says_why_other_products_photos_are_there(page, shop, tmp_path):
    from django.conf import settings

    from tests.ugc.factories import (
        GalleryFactory,
        ProductFactory,
        ProductLineFactory,
        ProductTagFactory,
    )

    tents = ProductLineFactory(name="Tents", slug="tents")
    shop.product.product_line = tents
    shop.product.save()
    sibling = ProductFactory(sku="TENT-LITE", product_line=tents)
    ProductTagFactory(asset=shop.assets[3], product=sibling, accepted=True)
    GalleryFactory(site=shop.site, slug="product", product_page=True, layout="grid", size=12)

    page.goto(f"{shop.url}/products/DEMO-TENT")
    page.wait_for_selector("[data-ugc-gallery=product][data-ugc-state=ready]")
    slot = page.locator("[data-ugc-gallery=product]")
    # The product's own photo first, unlabelled; a divider before its line's, one more
    # before the brand's: in that order, among the tiles.
    order = slot.locator("li").evaluate_all(
        "items => items.map(li => li.classList.contains('ugc-sep') ? li.textContent"
        " : li.querySelector('.ugc-t').dataset.ugcAsset)"
    )
    brand = f"More from {settings.BRAND_NAME}"
    assert order[:4] == [str(shop.assets[0].pk), "More from Tents", str(shop.assets[3].pk), brand]
    assert order.count("More from Tents") == 1 and order.count(brand) == 1
    assert len(order) == TILES + 2
    divider = slot.locator(".ugc-sep").first
    assert divider.is_visible() and divider.bounding_box()["width"] > 300  # the whole row
    shot = tmp_path / "product-page-reasons.png"
    slot.screenshot(path=str(shot))
    print(f"screenshot: {shot}")
