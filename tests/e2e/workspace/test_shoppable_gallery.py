"""From the workspace to a shopper: a coordinator places hotspots by typing product
names, and the widget on the demo storefront shows the linked product as a link to
its page and the product without a URL as information."""

from __future__ import annotations

from playwright.sync_api import expect

from demo.storefront.server import Storefront, serve
from tests.e2e.conftest import free_port
from tests.e2e.workspace.conftest import log_in, pictured_asset
from tests.ugc.factories import GalleryFactory, GalleryPinFactory, ProductFactory, SiteFactory
from ugc.models import ProductTag


def place(page, box, fx: float, fy: float, typed: str, option: str) -> None:
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    field = page.get_by_label("Product name or SKU")
    field.fill("")
    field.press_sequentially(typed, delay=30)
    page.locator("#hotspot-product-options").get_by_role("button", name=option).click()


def test_a_hotspot_placed_by_name_is_shoppable_on_the_storefront(page, coordinator, workspace):
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    site = SiteFactory(allowed_origins=[origin])
    gallery = GalleryFactory(site=site, slug="homepage", title="Our customers", layout="grid")
    asset = pictured_asset(
        3,
        caption="Our Ridge 2 tent by the lake",
        moderation_state="approved",
        rights_state="granted",
    )
    GalleryPinFactory(gallery=gallery, asset=asset, position=0)
    tent = ProductFactory(
        sku="RG-2", title="Ridge 2 tent", price="249.00", url=f"{origin}/products/RG-2"
    )
    ProductFactory(sku="RG-3", title="Ridge 3 tent", url=f"{origin}/products/RG-3")
    stove = ProductFactory(sku="ST-9", title="Bivouac stove", price="39.00", url="")

    log_in(page, workspace.url)
    page.goto(f"{workspace.url}/workspace/assets/{asset.pk}")
    box = page.locator("#hotspot-image").bounding_box()
    # Typing the name in the caption lists the matching products; one click picks it.
    place(page, box, 0.3, 0.6, "ridge 2", "Ridge 2 tent")
    expect(page.get_by_label("Product name or SKU")).to_have_value("RG-2")
    expect(page.locator("#hotspot-product-warning")).to_be_hidden()
    page.get_by_role("button", name="Place product").click()
    expect(page.locator("#products .flash")).to_have_text("Placed Ridge 2 tent")
    # A product without a storefront URL: the editor says so before and after placing.
    place(page, box, 0.7, 0.4, "bivouac", "Bivouac stove")
    expect(page.locator("#hotspot-product-warning")).to_contain_text("no storefront URL")
    page.screenshot_as("picking-unlinked")
    page.get_by_role("button", name="Place product").click()
    expect(page.locator("#products .flash.warn")).to_contain_text("has no storefront URL")
    expect(page.locator("#hotspot-pins .pin")).to_have_count(2)
    page.screenshot_as("placed")
    assert set(ProductTag.objects.filter(asset=asset).values_list("product__sku", flat=True)) == {
        tent.sku,
        stove.sku,
    }
    # The gallery screen warns that this pin is not fully shoppable.
    page.goto(f"{workspace.url}/workspace/galleries/{gallery.pk}")
    expect(page.locator("[data-unshoppable='1']")).to_be_visible()

    server = serve(Storefront(api=workspace.url, key=site.publishable_key), "127.0.0.1", port)
    try:
        page.goto(f"{origin}/")
        page.wait_for_selector("[data-ugc-gallery][data-ugc-state=ready]")
        page.locator(f"[data-ugc-asset='{asset.pk}']").click()
        dialog = page.get_by_role("dialog")
        link = dialog.locator(".ugc-products a")
        expect(link).to_have_text("Shop Ridge 2 tent (249.00 EUR)")
        expect(dialog.locator(".ugc-hot[href]")).to_have_attribute("href", tent.url)
        expect(dialog.locator(".ugc-products .ugc-info")).to_have_text("Bivouac stove (39.00 EUR)")
        expect(dialog.locator(".ugc-hot--info")).to_have_attribute(
            "aria-label", "Bivouac stove (39.00 EUR)"
        )
        assert "false" not in dialog.inner_text()  # a one-photo gallery has no arrows
        page.screenshot_as("storefront-lightbox")
        with page.context.expect_page() as opened:
            link.click()
        product_page = opened.value
        product_page.wait_for_load_state()
        assert product_page.url == tent.url
        assert "RG-2" in product_page.content()
    finally:
        server.shutdown()
