"""The demo storefront: its seed (site, galleries, published photos through the real
services) and its pages (the embed snippet, values escaped, consent)."""

from __future__ import annotations

import urllib.request

import pytest
from rest_framework.test import APIClient

from commerce.models import Product
from demo.storefront.seed import DEMO_SKU, PHOTOS, seed
from demo.storefront.server import Storefront, serve
from tests.support.media_assets import media_storage  # noqa: F401  (fixture)
from tests.ugc.gallery_support import clear_cache  # noqa: F401  (autouse fixture)

ORIGIN = "http://127.0.0.1:8001"


def gallery(key: str, slug: str, **params):
    client = APIClient()
    response = client.get(
        f"/api/v1/public/galleries/{slug}", {"key": key, **params}, headers={"Origin": ORIGIN}
    )
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    return response.json()


@pytest.mark.django_db
def test_the_seed_publishes_both_galleries_to_the_storefront_origin(media_storage):  # noqa: F811
    demo = seed([ORIGIN], ORIGIN)
    home = gallery(demo.key, "homepage")
    assert len(home["items"]) == PHOTOS
    first = home["items"][0]
    assert first["srcset"]["webp"] and first["placeholder"] and first["width"] == 1080
    product = gallery(demo.key, "product", product=DEMO_SKU)
    assert product["gallery"]["layout"] == "carousel"
    tagged = [i for i in product["items"] if i["products"]]
    assert tagged and tagged == product["items"][: len(tagged)], "tagged photos come first"
    assert tagged[0]["products"][0]["hotspot_x"] is not None
    # The product links to its page on the demo storefront, which serves it.
    assert tagged[0]["products"][0]["shoppable"] is True
    assert tagged[0]["products"][0]["url"] == f"{ORIGIN}/products/{DEMO_SKU}"


@pytest.mark.django_db
def test_a_second_seed_adds_nothing_and_follows_new_ports(media_storage):  # noqa: F811
    from ugc.models import Asset, Gallery, Site

    seed([ORIGIN], ORIGIN)
    counts = (Asset.objects.count(), Gallery.objects.count(), Site.objects.count())
    demo = seed(["http://127.0.0.1:9001"], "http://127.0.0.1:9001")
    assert (Asset.objects.count(), Gallery.objects.count(), Site.objects.count()) == counts
    assert Site.objects.get(pk=demo.site_id).allowed_origins == ["http://127.0.0.1:9001"]
    assert Product.objects.get(sku=DEMO_SKU).url == f"http://127.0.0.1:9001/products/{DEMO_SKU}"


@pytest.mark.django_db
def test_every_demo_product_links_to_its_storefront_page():
    from demo.seed.catalog import load

    summary, _ = load(ORIGIN)
    assert summary.failed == 0, summary.lines()
    sku, url = Product.objects.filter(sku__startswith="DM-").values_list("sku", "url").first()
    assert url == f"{ORIGIN}/products/{sku}"
    assert not Product.objects.filter(sku__startswith="DM-", url="").exists()
    # The storefront serves that page (its URL pattern takes every demo SKU).
    server = serve(Storefront("http://127.0.0.1:1", "pk_test"), "127.0.0.1", 0)
    try:
        port = server.server_address[1]
        status, body = fetch(f"http://127.0.0.1:{port}/products/{sku}")
        assert status == 200 and sku in body
    finally:
        server.shutdown()


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_the_pages_embed_the_widget_with_escaped_values_and_consent():
    server = serve(Storefront("http://127.0.0.1:8000", 'pk_"x'), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        status, home = fetch(f"{base}/")
        assert status == 200
        assert '<script src="http://127.0.0.1:8000/static/ugc/ugc-gallery.js" async>' in home
        assert 'data-ugc-gallery="homepage" data-ugc-key="pk_&quot;x"' in home
        assert "data-ugc-consent" not in home
        assert 'data-ugc-consent="false"' in fetch(f"{base}/?consent=false")[1]
        status, product = fetch(f"{base}/products/SKU-1")
        assert status == 200 and 'data-ugc-product="SKU-1"' in product
        assert "attributes[_ugc_visitor_id]" in product
        assert fetch(f"{base}/products/<script>")[0] == 404
    finally:
        server.shutdown()
