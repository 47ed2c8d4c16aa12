"""GET /api/v1/public/galleries/<slug>: the key, the site, the origin, the body,
CORS, cursors, throttling and the embed snippet."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings

from tests.ugc.factories import (
    GalleryFactory,
    GalleryPinFactory,
    ProductFactory,
    ProductLineFactory,
    ProductTagFactory,
    PublishableAssetFactory,
    RenditionFactory,
    SiteFactory,
)
from tests.ugc.gallery_support import ORIGIN, clear_cache  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return SiteFactory(allowed_origins=[ORIGIN, "https://www.shop.example.com"])


@pytest.fixture
def gallery(site):
    return GalleryFactory(site=site, slug="homepage", title="Our customers", layout="masonry")


def url(slug="homepage"):
    return f"/api/v1/public/galleries/{slug}"


def get(client, site, slug="homepage", **params):
    headers = params.pop("headers", {})
    return client.get(url(slug), {"key": site.publishable_key, **params}, headers=headers)


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    if field:
        assert body["errors"][0]["field"] == field
    return body


def test_the_body_has_what_a_widget_draws(client, site, gallery):
    asset = PublishableAssetFactory(
        alt_text="A tent at dusk", permalink="https://instagram.com/p/abc", creator__handle="ann"
    )
    small = RenditionFactory(asset=asset, width=320)
    large = RenditionFactory(asset=asset, width=640)
    RenditionFactory(asset=asset, width=320, format="avif")
    product = ProductFactory(
        title="Tent",
        price=Decimal("199.00"),
        currency="EUR",
        url="https://shop.example.com/tent",
        image_url="https://cdn.example.com/tent.jpg",
    )
    ProductTagFactory(asset=asset, product=product, hotspot_x=0.25, hotspot_y=0.75)
    ProductTagFactory(asset=asset, accepted=False)  # a suggestion nobody accepted
    unlinked = ProductFactory(title="Stove", price=None, url="", image_url="")
    ProductTagFactory(asset=asset, product=unlinked)
    GalleryPinFactory(gallery=gallery, asset=asset)

    response = get(client, site)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["gallery"] == {"slug": "homepage", "title": "Our customers", "layout": "masonry"}
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["id"] == asset.pk
    assert (item["media_type"], item["width"], item["height"]) == ("image", 1080, 1350)
    assert item["alt_text"] == "A tent at dusk"
    assert item["placeholder"] and item["dominant_color"] == "#aabbcc"
    assert len(item["renditions"]) == 3
    assert item["srcset"]["webp"] == f"{small.file.url} 320w, {large.file.url} 640w"
    assert set(item["srcset"]) == {"webp", "avif"}
    assert item["creator"]["handle"] == "ann"
    assert item["permalink"] == "https://instagram.com/p/abc"
    assert item["products"] == [
        {
            "sku": product.sku,
            "title": "Tent",
            "price": "199.00",
            "currency": "EUR",
            "url": "https://shop.example.com/tent",
            "shoppable": True,
            "image_url": "https://cdn.example.com/tent.jpg",
            "hotspot_x": 0.25,
            "hotspot_y": 0.75,
        },
        {  # no URL: still sent, for the widget to show as information
            "sku": unlinked.sku,
            "title": "Stove",
            "price": None,
            "currency": unlinked.currency,
            "url": "",
            "shoppable": False,
            "image_url": "",
            "hotspot_x": None,
            "hotspot_y": None,
        },
    ]


def test_a_hostile_caption_is_plain_text_and_no_html_anywhere(client, site, gallery):
    hostile = '<img src=x onerror=alert(1)> & "quotes"'
    asset = PublishableAssetFactory(caption=hostile, alt_text="<b>alt</b>")
    GalleryPinFactory(gallery=gallery, asset=asset)
    response = get(client, site)
    # The very string, unescaped and unprocessed: escaping is the page's job, as text.
    assert response.json()["items"][0]["caption"] == hostile
    assert response.json()["items"][0]["alt_text"] == "<b>alt</b>"
    assert "text/html" not in response["Content-Type"]
    assert json.loads(response.content)  # a JSON document, nothing else


def test_the_key_may_come_as_a_header(client, site, gallery):
    response = client.get(url(), headers={"X-Site-Key": site.publishable_key})
    assert response.status_code == 200


def test_key_site_and_gallery_errors_are_problems(client, site, gallery):
    assert_problem(client.get(url()), 400, "key")
    assert_problem(client.get(url(), {"key": "pk_live_nope"}), 404)
    other = SiteFactory()
    GalleryFactory(site=other, slug="theirs")
    assert_problem(get(client, site, slug="theirs"), 404)
    assert_problem(get(client, other, slug="homepage"), 404)
    assert_problem(get(client, site, slug="missing"), 404)


def test_a_wrong_origin_is_403_and_gets_no_cors_header(client, site, gallery):
    response = get(client, site, headers={"Origin": "https://evil.example"})
    assert_problem(response, 403)
    assert "Access-Control-Allow-Origin" not in response


def test_cors_only_for_the_sites_origins(client, site, gallery):
    response = get(client, site, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response["Vary"]
    # Without an Origin (a server, curl): served, no CORS header.
    response = get(client, site)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_preflight_is_answered_for_allowed_origins_only(client, site, gallery):
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    response = client.options(url(), headers=headers)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Site-Key" in response["Access-Control-Allow-Headers"]
    assert "GET" in response["Access-Control-Allow-Methods"]
    response = client.options(
        f"{url()}?key={site.publishable_key}",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in response


def test_cursor_pages_through_the_gallery_up_to_its_size(client, site):
    gallery = GalleryFactory(site=site, slug="homepage", size=5)
    pins = [GalleryPinFactory(gallery=gallery, position=i) for i in range(7)]
    first = get(client, site, limit=2).json()
    assert [i["id"] for i in first["items"]] == [p.asset_id for p in pins[:2]]
    seen = [i["id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = get(client, site, limit=2, cursor=cursor).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [p.asset_id for p in pins[:5]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "garbage!"}, "cursor"),
        ({"cursor": "bzotMQ"}, "cursor"),  # "o:-1"
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"product": "x" * 101}, "product"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, site, gallery, params, field):
    assert_problem(get(client, site, **params), 400, field)


def test_product_page_gallery_takes_the_product(client, site):
    gallery = GalleryFactory(site=site, slug="pdp", product_page=True)
    product = ProductFactory(sku="TENT-1")
    other = PublishableAssetFactory()
    tagged = PublishableAssetFactory()
    ProductTagFactory(asset=tagged, product=product)
    body = get(client, site, slug=gallery.slug, product="TENT-1").json()
    assert [i["id"] for i in body["items"]] == [tagged.pk, other.pk]


@override_settings(BRAND_NAME="Northwind")
def test_product_page_items_say_why_they_are_there(client, site):
    gallery = GalleryFactory(site=site, slug="pdp", product_page=True, ordering="newest")
    tents = ProductLineFactory(name="Tents", slug="tents")
    product = ProductFactory(sku="TENT-1", product_line=tents)
    sibling = ProductFactory(sku="TENT-2", product_line=tents)
    elsewhere = PublishableAssetFactory()
    in_line = PublishableAssetFactory()
    ProductTagFactory(asset=in_line, product=sibling)
    tagged = PublishableAssetFactory()
    ProductTagFactory(asset=tagged, product=product)
    # A pin ranks first wherever it belongs, and says where that is.
    GalleryPinFactory(gallery=gallery, asset=elsewhere, position=0)

    items = get(client, site, slug=gallery.slug, product="TENT-1").json()["items"]
    assert [(i["id"], i["reason"], i["reason_label"]) for i in items] == [
        (elsewhere.pk, "brand", "More from Northwind"),
        (tagged.pk, "product", "This product"),
        (in_line.pk, "product_line", "More from Tents"),
    ]
    # Without a product, and on a gallery that is no product page, there is no reason.
    plain = GalleryFactory(site=site, slug="plain")
    GalleryPinFactory(gallery=plain, asset=tagged, position=0)
    for slug, sku in (("pdp", ""), ("plain", "TENT-1")):
        rest = get(client, site, slug=slug, product=sku).json()["items"]
        assert rest and {(i["reason"], i["reason_label"]) for i in rest} == {(None, None)}


def test_the_schema_names_the_reasons(client):
    schemas = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    fields = schemas["PublicGalleryItem"]["properties"]
    assert "reason_label" in fields
    reason = json.dumps(fields["reason"])  # the enum may be a component of its own
    enums = [s.get("enum", []) for name, s in schemas.items() if f'/{name}"' in reason]
    assert any({"product", "product_line", "brand"} <= set(enum) for enum in enums), reason


@override_settings(
    REST_FRAMEWORK={
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"public_key": "3/min", "public_ip": "100/min"},
    }
)
def test_too_many_requests_per_key_is_429_with_retry_after(client, site, gallery):
    for _ in range(3):
        assert get(client, site).status_code == 200
    response = get(client, site, headers={"Origin": ORIGIN})
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0
    # The widget on the shop's page can read it (and when to come back).
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    # Another key from the same address is not held back by this one's count.
    other = SiteFactory()
    GalleryFactory(site=other, slug="homepage")
    assert get(client, other).status_code == 200


@override_settings(
    REST_FRAMEWORK={
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"public_key": "100/min", "public_ip": "2/min"},
    }
)
def test_too_many_requests_per_address_is_429(client, site, gallery):
    other = SiteFactory()
    GalleryFactory(site=other, slug="homepage")
    assert get(client, site).status_code == 200
    assert get(client, other).status_code == 200
    # A made-up X-Forwarded-For does not buy a fresh address.
    response = get(client, site, headers={"X-Forwarded-For": "203.0.113.9"})
    assert_problem(response, 429)
    assert "Retry-After" in response


def test_embed_snippet_names_the_gallery_key_and_loader(client, site, gallery):
    response = client.get(f"{url()}/embed", {"key": site.publishable_key, "product": "TENT-1"})
    assert response.status_code == 200
    html = response.json()["html"]
    assert f'data-ugc-gallery="homepage" data-ugc-key="{site.publishable_key}"' in html
    assert 'data-ugc-product="TENT-1"' in html
    assert '/static/ugc/ugc-gallery.js" async></script>' in html
    assert_problem(client.get(f"{url()}/embed", {"key": "pk_live_nope"}), 404)
    hostile = client.get(
        f"{url()}/embed", {"key": site.publishable_key, "product": '"><script>x</script>'}
    )
    assert "<script>x" not in hostile.json()["html"]
