"""The Galleries screen: roles, CSRF, escaping, problems naming the field, pins,
order, rules, sites and origins through the services, and query counts that do
not grow with the number of pins or galleries."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.pages import default_brand
from tests.ugc.factories import (
    AssetFactory,
    CoordinatorFactory,
    GalleryFactory,
    GalleryPinFactory,
    GalleryRuleFactory,
    PublishableAssetFactory,
    RenditionFactory,
    SiteFactory,
)
from ugc.models import Gallery, GalleryPin, GalleryRule, Site

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def field_of(response) -> str:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["errors"][0]["field"]


def pinned(gallery) -> list[int]:
    return list(
        GalleryPin.objects.filter(gallery=gallery)
        .order_by("position")
        .values_list("asset_id", flat=True)
    )


def test_galleries_page_lists_sites_keys_and_galleries_escaped(client, coordinator):
    site = SiteFactory(name=XSS)
    gallery = GalleryFactory(site=site, title=XSS)
    GalleryPinFactory(gallery=gallery)
    body = client.get(reverse("workspace:galleries")).content.decode()
    assert XSS not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert site.publishable_key in body
    assert reverse("workspace:gallery", args=[gallery.pk]) in body
    assert "New gallery" in body and "csrfmiddlewaretoken" in body


def test_analyst_reads_galleries_without_forms_and_cannot_change_them(client, analyst):
    gallery = GalleryFactory()
    asset = PublishableAssetFactory()
    listing = client.get(reverse("workspace:galleries")).content.decode()
    page = client.get(reverse("workspace:gallery", args=[gallery.pk])).content.decode()
    assert "New gallery" not in listing and "Save site" not in listing
    assert "Save settings" not in page and 'draggable="true"' not in page
    posts = [
        (reverse("workspace:gallery-pins", args=[gallery.pk]), {"ids": asset.pk}),
        (reverse("workspace:gallery-order", args=[gallery.pk]), {"order": asset.pk}),
        (reverse("workspace:gallery-settings", args=[gallery.pk]), {"slug": "x"}),
        (reverse("workspace:gallery-rule-add", args=[gallery.pk]), {"tags": "x"}),
        (reverse("workspace:gallery-create"), {"site": gallery.site_id, "slug": "x"}),
        (reverse("workspace:site-create"), {"name": "x", "domain": "x.example"}),
        (reverse("workspace:site-edit", args=[gallery.site_id]), {"name": "x"}),
        (reverse("workspace:site-rotate-key", args=[gallery.site_id]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert not GalleryPin.objects.exists() and Gallery.objects.count() == 1


def test_forms_need_the_csrf_token():
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(CoordinatorFactory())
    gallery = GalleryFactory()
    asset = PublishableAssetFactory()
    url = reverse("workspace:gallery-pins", args=[gallery.pk])
    assert csrf_client.post(url, {"ids": asset.pk}).status_code == 403
    page = csrf_client.get(reverse("workspace:gallery", args=[gallery.pk]))
    token = page.cookies["csrftoken"].value
    assert csrf_client.post(url, {"ids": asset.pk}, HTTP_X_CSRFTOKEN=token).status_code == 200
    assert pinned(gallery) == [asset.pk]


def test_create_a_site_then_a_gallery(client, coordinator):
    response = client.post(
        reverse("workspace:site-create"),
        {
            "name": "EU shop",
            "domain": "eu.shop.example",
            "allowed_origins": "https://eu.shop.example/\nhttp://localhost:3000",
        },
        **HX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("workspace:galleries")
    site = Site.objects.get(name="EU shop")
    assert site.allowed_origins == ["https://eu.shop.example", "http://localhost:3000"]

    response = client.post(
        reverse("workspace:gallery-create"), {"site": site.pk, "slug": "home", "title": "Home"}
    )
    gallery = Gallery.objects.get(site=site, slug="home")
    assert response.status_code == 303
    assert response["Location"] == reverse("workspace:gallery", args=[gallery.pk])
    assert gallery.ordering == "manual"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "S", "domain": "s.example", "allowed_origins": "https://s.example/shop"}, None),
        ({"name": "S", "domain": "s.example", "allowed_origins": "s.example"}, None),
        ({"name": "", "domain": "s.example"}, "name"),
        ({"name": "S", "domain": "https://s.example/"}, "domain"),
    ],
)
def test_bad_site_input_is_a_problem_naming_the_field(client, coordinator, data, field):
    response = client.post(reverse("workspace:site-create"), data)
    assert field_of(response) == (field or "allowed_origins")
    assert not Site.objects.exists()


def test_edit_origins_and_rotate_the_key(client, coordinator):
    site = SiteFactory()
    old_key = site.publishable_key
    data = {"name": site.name, "domain": site.domain, "allowed_origins": "https://a.example"}
    response = client.post(reverse("workspace:site-edit", args=[site.pk]), data)
    assert response.status_code == 200 and "Saved" in response.content.decode()
    site.refresh_from_db()
    assert site.allowed_origins == ["https://a.example"]
    bad = client.post(
        reverse("workspace:site-edit", args=[site.pk]), {**data, "allowed_origins": "https://a/x"}
    )
    assert field_of(bad) == "allowed_origins"
    client.post(reverse("workspace:site-rotate-key", args=[site.pk]))
    site.refresh_from_db()
    assert site.publishable_key != old_key


def test_site_brand_colours_and_required_email_are_edited_and_checked(client, coordinator):
    site = SiteFactory()
    data = {"name": site.name, "domain": site.domain, "brand_colour": "#FC0",
            "brand_text_colour": "#111111", "require_upload_email": "on"}  # fmt: skip
    response = client.post(reverse("workspace:site-edit", args=[site.pk]), data)
    assert response.status_code == 200, response.content[:500]
    text = response.content.decode()
    assert "e-mail address required" in text and "background:#ffcc00;color:#111111" in text
    site.refresh_from_db()
    assert (site.brand_colour, site.brand_text_colour) == ("#ffcc00", "#111111")
    assert site.require_upload_email
    # White on yellow: 1.51:1, unreadable; the field at fault is named, nothing changes.
    unreadable = client.post(
        reverse("workspace:site-edit", args=[site.pk]), {**data, "brand_text_colour": "#fff"}
    )
    assert field_of(unreadable) == "brand_text_colour"
    assert "1.51:1" in unreadable.content.decode() and "4.5" in unreadable.content.decode()
    # Only a brand colour, judged against the default white text.
    pale = client.post(reverse("workspace:site-edit", args=[site.pk]),
                       {**data, "brand_colour": "#eeeeee", "brand_text_colour": ""})  # fmt: skip
    assert field_of(pale) == "brand_colour"
    not_hex = client.post(
        reverse("workspace:site-edit", args=[site.pk]), {**data, "brand_colour": "red"}
    )
    assert field_of(not_hex) == "brand_colour" and "#rrggbb" in not_hex.content.decode()
    site.refresh_from_db()
    assert site.brand_text_colour == "#111111"
    # Unticked and blank: back to optional and the defaults.
    client.post(reverse("workspace:site-edit", args=[site.pk]), {"name": site.name,
                "domain": site.domain, "brand_colour": "", "brand_text_colour": ""})  # fmt: skip
    site.refresh_from_db()
    assert not site.require_upload_email and site.brand() == default_brand()


def test_a_new_site_takes_its_colours(client, coordinator):
    data = {"name": "Dark", "domain": "dark.example", "brand_colour": "#000000",
            "brand_text_colour": "#fafafa"}  # fmt: skip
    assert client.post(reverse("workspace:site-create"), data).status_code == 303
    site = Site.objects.get(name="Dark")
    assert site.brand().colour == "#000000" and not site.require_upload_email


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"slug": "taken"}, "slug"),
        ({"slug": "has spaces"}, "slug"),
        ({"slug": "ok", "size": "lots"}, "size"),
        ({"slug": "ok", "size": "0"}, "size"),
        ({"slug": "ok", "layout": "spiral"}, "layout"),
        ({"slug": "ok", "ordering": "random"}, "ordering"),
        ({"slug": "ok", "site": "999999"}, "site"),
    ],
)
def test_bad_gallery_input_is_a_problem_naming_the_field(client, coordinator, data, field):
    site = SiteFactory()
    GalleryFactory(site=site, slug="taken")
    response = client.post(reverse("workspace:gallery-create"), {"site": site.pk, **data})
    assert field_of(response) == field
    assert Gallery.objects.count() == 1


def test_add_to_gallery_from_the_library_appends_and_reports_skips(client, coordinator):
    gallery = GalleryFactory(title="Summer")
    first, second, third = (PublishableAssetFactory() for _ in range(3))
    GalleryPinFactory(gallery=gallery, asset=first, position=0)
    url = reverse("workspace:gallery-pins", args=[gallery.pk])
    response = client.post(url, {"ids": f"{second.pk},{first.pk},{third.pk}"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Pinned 2 assets; skipped 1 (asset" in body and "already pinned" in body
    assert 'hx-swap-oob="true"' in body  # the library's status line
    assert pinned(gallery) == [first.pk, second.pk, third.pk]
    assert field_of(client.post(url, {"ids": "a,b"})) == "ids"
    assert field_of(client.post(url, {})) == "ids"


def test_the_library_offers_the_galleries_to_add_to(client, coordinator):
    gallery = GalleryFactory(title=XSS)
    library = client.get(reverse("workspace:library")).content.decode()
    assert 'id="gallery-dialog"' in library
    options = client.get(reverse("workspace:gallery-options")).content.decode()
    assert f'value="{gallery.pk}"' in options and XSS not in options


def test_gallery_page_says_which_pins_are_not_shown_yet(client, coordinator):
    gallery = GalleryFactory()
    shown = PublishableAssetFactory(caption=XSS)
    waiting = AssetFactory(processing_state="in_review", moderation_state="approved")
    GalleryPinFactory(gallery=gallery, asset=shown, position=0)
    GalleryPinFactory(gallery=gallery, asset=waiting, position=1)
    body = client.get(reverse("workspace:gallery", args=[gallery.pk])).content.decode()
    assert XSS not in body
    assert body.count("Not shown yet") == 1
    assert "Not shown yet: rights" in body
    assert f'data-ugc-gallery="{gallery.slug}"' in body
    assert 'data-ugc-consent="false"' in body  # previews record no views


def test_embed_snippet_is_the_public_embed_endpoints(client, coordinator):
    gallery = GalleryFactory(slug="home")
    page = client.get(reverse("workspace:gallery", args=[gallery.pk]))
    embed = client.get(
        "/api/v1/public/galleries/home/embed", {"key": gallery.site.publishable_key}
    ).json()["html"]
    assert page.context["snippet"] == embed
    assert "data-ugc-key" in page.content.decode()


def test_reorder_with_the_full_order(client, coordinator):
    gallery = GalleryFactory()
    a, b, c = (GalleryPinFactory(gallery=gallery).asset_id for _ in range(3))
    url = reverse("workspace:gallery-order", args=[gallery.pk])
    response = client.post(url, {"order": f"{c},{a},{b}"}, **HX)
    assert response.status_code == 200 and "Order saved" in response.content.decode()
    assert pinned(gallery) == [c, a, b]
    assert field_of(client.post(url, {"order": f"{c},{a}"})) == "order"
    assert field_of(client.post(url, {"order": "x"})) == "order"
    assert pinned(gallery) == [c, a, b]


def test_unpin_and_unknown_things(client, coordinator):
    gallery = GalleryFactory()
    asset = GalleryPinFactory(gallery=gallery).asset
    url = reverse("workspace:gallery-unpin", args=[gallery.pk, asset.pk])
    assert client.post(url).status_code == 200
    assert pinned(gallery) == []
    assert field_of(client.post(url)) == "asset"
    assert client.get(reverse("workspace:gallery", args=[999999])).status_code == 404
    missing = reverse("workspace:gallery-pins", args=[999999])
    assert client.post(missing, {"ids": asset.pk}).status_code == 404


def test_rules_added_and_removed(client, coordinator):
    gallery = GalleryFactory()
    url = reverse("workspace:gallery-rule-add", args=[gallery.pk])
    response = client.post(url, {"tags": "#Summer, ootd", "platform": "instagram"})
    assert response.status_code == 200 and "Rule added" in response.content.decode()
    rule = GalleryRule.objects.get(gallery=gallery)
    assert rule.tags == ["summer", "ootd"] and rule.platform == "instagram"
    for data, field in (
        ({}, "rule"),
        ({"min_score": "high"}, "min_score"),
        ({"min_score": "2"}, "min_score"),
        ({"product": "NOPE"}, "product"),
        ({"product_line": "nope"}, "product_line"),
        ({"content_type": "nope"}, "content_type"),
        ({"platform": "myspace"}, "platform"),
    ):
        assert field_of(client.post(url, data)) == field
    remove = reverse("workspace:gallery-rule-remove", args=[gallery.pk, rule.pk])
    assert client.post(remove).status_code == 200
    assert not GalleryRule.objects.exists()
    assert field_of(client.post(remove)) == "rule"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_gallery_page_queries_do_not_grow_with_the_pins(client, coordinator):
    gallery = GalleryFactory()
    GalleryRuleFactory(gallery=gallery, tags=["a"])

    def pin(n):
        for _ in range(n):
            asset = PublishableAssetFactory()
            RenditionFactory(asset=asset, width=320)
            GalleryPinFactory(gallery=gallery, asset=asset)

    url = reverse("workspace:gallery", args=[gallery.pk])
    pin(2)
    few = _queries(client, url)
    pin(20)
    assert _queries(client, url) == few


def test_galleries_page_queries_do_not_grow_with_the_galleries(client, coordinator):
    site = SiteFactory()
    GalleryPinFactory(gallery=GalleryFactory(site=site))
    url = reverse("workspace:galleries")
    few = _queries(client, url)
    for _ in range(10):
        GalleryPinFactory(gallery=GalleryFactory(site=SiteFactory()))
    assert _queries(client, url) == few
