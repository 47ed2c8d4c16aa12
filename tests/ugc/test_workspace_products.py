"""The products screen and the product picker: search by name or SKU (case and accents
aside), suggestions first, storefront URLs edited by coordinators only, hotspots placed
by a product's name, and warnings where a photo will not be shoppable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from commerce.models import Product
from commerce.selectors import search_products
from tests.ugc.factories import (
    AssetFactory,
    CoordinatorFactory,
    GalleryFactory,
    GalleryPinFactory,
    ProductFactory,
    ProductLineFactory,
    ProductTagFactory,
    PublishableAssetFactory,
)
from ugc.models import ProductTag, TaggingRule, TagSource

pytestmark = pytest.mark.django_db


def search(client, q, **params):
    response = client.get(reverse("workspace:product-search"), {"q": q, "format": "json", **params})
    assert response.status_code == 200, response.content
    return [option["sku"] for option in response.json()["results"]]


def test_search_by_name_or_sku_whatever_the_case_and_accents(client, coordinator):
    ProductFactory(sku="TNT-2", title="Tente Été Légère", url="https://shop.example/p/tnt-2")
    ProductFactory(sku="MUG-1", title="Enamel mug")
    ProductFactory(sku="TNT-20", title="Tarp")
    assert search(client, "tente ete") == ["TNT-2"]
    assert search(client, "LÉGÈRE") == ["TNT-2"]
    assert search(client, "tnt-2") == ["TNT-2", "TNT-20"]  # the exact SKU first
    assert search(client, "mug") == ["MUG-1"]
    assert search(client, "nothing like it") == []
    assert search(client, "") == []


def test_search_gives_ten_at_most():
    for n in range(14):
        ProductFactory(sku=f"LAMP-{n:02d}", title=f"Lantern {n}")
    assert len(search_products("lantern")) == 10


def test_the_assets_suggestions_come_first(client, coordinator):
    line = ProductLineFactory(name="Stoves")
    asset = AssetFactory(caption="Coffee on the stove at dawn")
    TaggingRule.objects.create(kind=TaggingRule.Kind.KEYWORD, value="stove", product_line=line)
    ProductFactory(sku="ST-1", title="Alpine stove", product_line=line)
    similar = ProductFactory(sku="ST-2", title="Camp stove kettle")
    ProductTagFactory(
        asset=asset, product=similar, source=TagSource.SUGGESTED, accepted=False, confidence=0.8
    )
    ProductFactory(sku="ST-0", title="A stove nobody suggested")
    response = client.get(reverse("workspace:product-search"), {"asset": asset.pk, "q": "stove"})
    body = response.content.decode()
    order = [body.index(f'data-pick-product="{sku}"') for sku in ("ST-2", "ST-1", "ST-0")]
    assert order == sorted(order), body
    assert body.count("Suggested") == 2
    # With nothing typed, the suggestions alone (the field asks on focus).
    assert search(client, "", asset=asset.pk) == ["ST-2", "ST-1"]
    assert search(client, "kettle", asset=asset.pk) == ["ST-2"]


def test_picker_input_is_checked(client, coordinator):
    url = reverse("workspace:product-search")
    assert client.get(url, {"asset": "x"}).status_code == 400
    assert client.get(url, {"asset": "999999"}).status_code == 404
    assert client.get(url, {"q": "a", "for": '"><script>'}).status_code == 400
    assert client.get(url, {"q": "a\x00b"}).status_code == 400  # NUL refused where input enters


def test_a_hotspot_placed_by_the_products_name_warns_when_it_has_no_link(client, coordinator):
    asset = AssetFactory(processing_state="in_review")
    linked = ProductFactory(sku="RG-2", title="Ridge 2 tent", url="https://shop.example/p/rg-2")
    bare = ProductFactory(sku="SB-1", title="Down sleeping bag", url="")
    url = reverse("workspace:hotspot", args=[asset.pk])
    response = client.post(url, {"product": "ridge 2 TENT", "x": "0.4", "y": "0.5"})
    assert response.status_code == 200
    assert ProductTag.objects.get(asset=asset, product=linked).hotspot_x == 0.4
    assert "no storefront URL" not in response.content.decode()
    response = client.post(url, {"product": "Down sleeping bag", "x": "0.6", "y": "0.5"})
    body = response.content.decode()
    assert "Down sleeping bag, but it has no storefront URL" in body and "flash warn" in body
    assert body.count("No link") == 1  # its row says so; the linked tent's does not
    assert ProductTag.objects.filter(asset=asset, product=bare).exists()
    ProductFactory(sku="TW-1", title="Twin")
    ProductFactory(sku="TW-2", title="Twin")
    response = client.post(url, {"product": "Twin", "x": "0.1", "y": "0.1"})
    assert response.status_code == 400  # two products have that name: not a guess
    assert "no product with the SKU or the name 'Twin'" in response.json()["detail"]


def test_bulk_tag_by_name(client, coordinator):
    asset = AssetFactory(processing_state="in_review")
    product = ProductFactory(sku="HL-1", title="Headlamp")
    response = client.post(
        reverse("workspace:bulk"),
        {"action": "tag_product", "ids": str(asset.pk), "product": "headlamp"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert ProductTag.objects.filter(asset=asset, product=product, accepted=True).exists()


def test_the_gallery_page_counts_pins_that_are_not_shoppable(client, coordinator):
    gallery = GalleryFactory()
    linked = ProductFactory(url="https://shop.example/p/1")
    for n, urls in enumerate([["https://shop.example/p/1"], ["", ""], ["", "https://x.example/"]]):
        asset = PublishableAssetFactory()
        GalleryPinFactory(gallery=gallery, asset=asset, position=n)
        for url in urls:
            product = linked if url == linked.url else ProductFactory(url=url)
            ProductTagFactory(asset=asset, product=product, accepted=True)
    body = client.get(reverse("workspace:gallery", args=[gallery.pk])).content.decode()
    assert "2 pinned photos show products without a storefront URL" in body
    assert 'data-unshoppable="2"' in body and 'data-unshoppable="1"' in body
    assert body.count("data-unshoppable=") == 2


def test_coordinators_set_a_products_url_and_analysts_only_read(client, analyst):
    product = ProductFactory(sku="MAP-1", title="Trail map", url="")
    listing = client.get(reverse("workspace:products"), {"missing": "url"}).content.decode()
    assert "MAP-1" in listing and 'name="url"' not in listing
    edit = reverse("workspace:product-edit", args=[product.pk])
    assert client.post(edit, {"title": "x", "url": ""}).status_code == 403
    client.force_login(CoordinatorFactory())
    response = client.post(edit, {"title": "Trail map", "url": "javascript:alert(1)"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "url"
    response = client.post(edit, {"title": "Trail map 2", "url": "https://shop.example/p/map"})
    assert response.status_code == 200 and "Shoppable" in response.content.decode()
    product.refresh_from_db()
    assert (product.title, product.url) == ("Trail map 2", "https://shop.example/p/map")
    found = client.get(reverse("workspace:products"), {"q": "trail"}, HTTP_HX_REQUEST="true")
    assert 'id="product-rows"' in found.content.decode() and "MAP-1" in found.content.decode()
    assert Product.objects.filter(url="").count() == 0


def review_tag(client, asset, **data):
    return client.post(reverse("workspace:review-tag", args=[asset.pk]), data)


def test_the_queue_tags_a_product_and_keeps_the_asset_up(client, coordinator):
    first = AssetFactory(processing_state="in_review", caption="A stove at dawn")
    AssetFactory(processing_state="in_review")  # the next one: not shown after tagging
    stoves = ProductLineFactory(name="Stoves", slug="stoves")
    TaggingRule.objects.create(kind=TaggingRule.Kind.KEYWORD, value="stove", product_line=stoves)
    kettle = ProductFactory(sku="KT-1", title="Camp kettle")
    page = client.get(reverse("workspace:review")).content.decode()
    assert 'id="review-product"' in page and f"asset={first.pk}" in page
    assert 'value="stoves" title="caption mentions “stove”" data-key="l"' in page

    response = review_tag(client, first, product="camp KETTLE")
    assert response.status_code == 200
    assert response.context["asset"].pk == first.pk  # still on stage for its decision
    assert "Tagged Camp kettle (KT-1) on asset" in response.content.decode()
    assert ProductTag.objects.filter(asset=first, product=kettle, accepted=True).exists()

    response = review_tag(client, first, product_line="stoves")
    assert response.context["asset"].pk == first.pk
    assert first.product_line_tags.get().accepted
    # An accepted line is no longer suggested.
    assert 'value="stoves"' not in response.content.decode()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"product": "NO-SUCH"}, "product"),
        ({"product_line": "no-such-line"}, "product_line"),
        ({}, "product"),
        ({"product": "   "}, "product"),
        ({"product": "x" * 5000}, "product"),
        ({"product": "KT-1", "product_line": "stoves"}, "product"),
    ],
)
def test_queue_tagging_input_is_checked(client, coordinator, data, field):
    asset = AssetFactory(processing_state="in_review")
    ProductFactory(sku="KT-1")
    ProductLineFactory(slug="stoves")
    response = review_tag(client, asset, **data)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not ProductTag.objects.filter(asset=asset).exists()


def test_queue_tagging_refuses_nul_and_readers(client, analyst):
    asset = AssetFactory(processing_state="in_review")
    ProductFactory(sku="KT-1")
    response = review_tag(client, asset, product="KT-1")
    assert response.status_code == 403
    client.force_login(CoordinatorFactory())
    response = review_tag(client, asset, product="KT\x00-1")
    assert response.status_code == 400 and "NUL character" in response.content.decode()
    assert review_tag(client, AssetFactory.build(pk=999999), product="KT-1").status_code == 404
    assert not ProductTag.objects.filter(asset=asset).exists()
