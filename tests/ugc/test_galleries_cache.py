"""Public gallery caching: ETag/304, the headers a CDN needs, a hot gallery costs
no query, and every change that affects a gallery reaches the very next response,
cached or not (docs/architecture.md, rule 1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from commerce.models import Product
from commerce.signals import product_changed
from tests.ugc.factories import (
    GalleryFactory,
    GalleryPinFactory,
    GalleryRuleFactory,
    ProductFactory,
    ProductTagFactory,
    PublishableAssetFactory,
)
from tests.ugc.gallery_support import clear_cache, fetch, redis_cache, shown  # noqa: F401
from ugc.apps import _product_changed
from ugc.delivery.render import render_gallery
from ugc.models import RejectionReason
from ugc.services import moderation, rights

pytestmark = pytest.mark.django_db


@pytest.fixture
def gallery():
    return GalleryFactory(slug="homepage")


def test_strong_etag_and_304(client, gallery):
    GalleryPinFactory(gallery=gallery)
    response = fetch(client, gallery)
    etag = response["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response["Cache-Control"] == (
        "public, max-age=30, s-maxage=60, stale-while-revalidate=300"
    )
    assert f"ugc-gallery-{gallery.pk}" in response["Surrogate-Key"].split()
    again = client.get(
        f"/api/v1/public/galleries/{gallery.slug}",
        {"key": gallery.site.publishable_key},
        headers={"If-None-Match": f'"other", {etag}'},
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    stale = client.get(
        f"/api/v1/public/galleries/{gallery.slug}",
        {"key": gallery.site.publishable_key},
        headers={"If-None-Match": '"other"'},
    )
    assert stale.status_code == 200


@override_settings(GALLERY_CACHE_SECONDS=300)  # the test's two requests, whatever the clock
def test_a_hot_gallery_costs_no_database_query(client, gallery, django_assert_num_queries):
    for _ in range(3):
        GalleryPinFactory(gallery=gallery)
    first = fetch(client, gallery)
    with django_assert_num_queries(0):
        second = fetch(client, gallery)
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


def test_a_revoked_asset_is_gone_from_the_next_response_even_a_cached_one(
    client, gallery, django_capture_on_commit_callbacks
):
    keep = GalleryPinFactory(gallery=gallery, position=0).asset
    takedown = GalleryPinFactory(gallery=gallery, position=1).asset
    assert shown(client, gallery) == [keep.pk, takedown.pk]
    assert shown(client, gallery) == [keep.pk, takedown.pk]  # served from the cache

    with django_capture_on_commit_callbacks(execute=True):
        rights.revoke(takedown, note="creator asked")
    assert shown(client, gallery) == [keep.pk]


def test_rejection_and_expiry_reach_the_cache(client, gallery, django_capture_on_commit_callbacks):
    rejected = GalleryPinFactory(gallery=gallery, position=0).asset
    expiring = PublishableAssetFactory(rights_expires_at=timezone.now() + timedelta(hours=1))
    GalleryPinFactory(gallery=gallery, asset=expiring, position=1)
    keep = GalleryPinFactory(gallery=gallery, position=2).asset
    assert shown(client, gallery) == [rejected.pk, expiring.pk, keep.pk]

    RejectionReason.objects.get_or_create(slug="off-brand", defaults={"label": "Off brand"})
    with django_capture_on_commit_callbacks(execute=True):
        moderation.reject(rejected, reason="off-brand")
    assert shown(client, gallery) == [expiring.pk, keep.pk]

    with django_capture_on_commit_callbacks(execute=True):
        rights.expire_due(now=timezone.now() + timedelta(hours=2))
    assert shown(client, gallery) == [keep.pk]


@override_settings(GALLERY_CACHE_SECONDS=300)
def test_a_body_is_not_cached_past_the_earliest_grant_it_shows(gallery):
    soon = PublishableAssetFactory(rights_expires_at=timezone.now() + timedelta(seconds=30))
    GalleryPinFactory(gallery=gallery, asset=soon)
    _, timeout = render_gallery(gallery.pk, product="", offset=0, limit=None)
    assert 1 <= timeout <= 30


def test_approval_and_grant_publish_at_once(client, gallery, django_capture_on_commit_callbacks):
    asset = PublishableAssetFactory(moderation_state="pending", rights_state="not_requested")
    GalleryPinFactory(gallery=gallery, asset=asset)
    assert shown(client, gallery) == []
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(asset)
    assert shown(client, gallery) == []
    with django_capture_on_commit_callbacks(execute=True):
        rights.grant(asset, via="signed_form")
    assert shown(client, gallery) == [asset.pk]


def test_pin_and_rule_changes_reach_the_cache(client, gallery, django_capture_on_commit_callbacks):
    first = GalleryPinFactory(gallery=gallery, position=0)
    assert shown(client, gallery) == [first.asset_id]
    with django_capture_on_commit_callbacks(execute=True):
        second = GalleryPinFactory(gallery=gallery, position=1)
    assert shown(client, gallery) == [first.asset_id, second.asset_id]
    with django_capture_on_commit_callbacks(execute=True):
        second.position = 0
        second.save()
        first.position = 5
        first.save()
    assert shown(client, gallery) == [second.asset_id, first.asset_id]
    tagged = PublishableAssetFactory(tags=["ski"])
    with django_capture_on_commit_callbacks(execute=True):
        rule = GalleryRuleFactory(gallery=gallery, tags=["ski"])
    assert shown(client, gallery)[-1] == tagged.pk
    with django_capture_on_commit_callbacks(execute=True):
        rule.delete()
    assert tagged.pk not in shown(client, gallery)
    with django_capture_on_commit_callbacks(execute=True):
        gallery.title = "Renamed"
        gallery.save()
    assert fetch(client, gallery).json()["gallery"]["title"] == "Renamed"


def test_a_product_change_reaches_the_cache(client, gallery, django_capture_on_commit_callbacks):
    asset = GalleryPinFactory(gallery=gallery).asset
    product = ProductFactory(title="Old name", price="10.00", currency="EUR")
    ProductTagFactory(asset=asset, product=product)
    cache.clear()

    def first_product():
        return fetch(client, gallery).json()["items"][0]["products"][0]

    assert first_product()["title"] == "Old name"
    # A save (the API, the admin) ...
    with django_capture_on_commit_callbacks(execute=True):
        product.price = "12.00"
        product.save()
    assert first_product()["price"] == "12.00"
    # ... and a bulk change that only says so through commerce.signals.product_changed.
    product_changed.disconnect(dispatch_uid="ugc.embed_products")  # no embedding task here
    try:
        with django_capture_on_commit_callbacks(execute=True):
            Product.objects.filter(pk=product.pk).update(title="New name")
            product_changed.send(sender=Product, product_ids=[product.pk], fields={"title"})
    finally:
        product_changed.connect(_product_changed, dispatch_uid="ugc.embed_products")
    assert first_product()["title"] == "New name"


def test_an_edit_of_a_shown_asset_reaches_the_cache_and_hidden_ones_cost_nothing(
    client, gallery, django_capture_on_commit_callbacks
):
    shown_asset = GalleryPinFactory(gallery=gallery).asset
    assert fetch(client, gallery).json()["items"][0]["caption"] == shown_asset.caption
    with django_capture_on_commit_callbacks(execute=True):
        shown_asset.caption = "New words"
        shown_asset.save()
        ProductTagFactory(asset=shown_asset, product=ProductFactory(title="Mug"))
    item = fetch(client, gallery).json()["items"][0]
    assert (item["caption"], item["products"][0]["title"]) == ("New words", "Mug")

    # Saving an asset no storefront can see (ingestion, processing, review) queues nothing.
    hidden = PublishableAssetFactory(moderation_state="pending")
    product = ProductFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        hidden.caption = "draft"
        hidden.save()
        ProductTagFactory(asset=hidden, product=product)
    assert callbacks == []


def test_with_a_shared_redis_cache_a_takedown_reaches_the_next_response(
    client, gallery, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """The production path: Redis, as every process sees it (REDIS_URL or CELERY_BROKER_URL)."""
    with redis_cache():
        keep = GalleryPinFactory(gallery=gallery, position=0).asset
        takedown = GalleryPinFactory(gallery=gallery, position=1).asset
        assert shown(client, gallery) == [keep.pk, takedown.pk]
        with django_assert_num_queries(0):
            assert shown(client, gallery) == [keep.pk, takedown.pk]
        with django_capture_on_commit_callbacks(execute=True):
            rights.revoke(takedown)
        assert shown(client, gallery) == [keep.pk]


def test_renaming_a_gallery_or_changing_origins_applies_at_once(
    client, gallery, django_capture_on_commit_callbacks
):
    site = gallery.site
    origin = site.allowed_origins[0]
    assert fetch(client, gallery).status_code == 200
    assert (
        client.get(
            f"/api/v1/public/galleries/{gallery.slug}",
            {"key": site.publishable_key},
            headers={"Origin": origin},
        ).status_code
        == 200
    )

    old_slug = gallery.slug
    with django_capture_on_commit_callbacks(execute=True):
        gallery.slug = "renamed"
        gallery.save()
        site.allowed_origins = ["https://new.example.com"]
        site.save()
    gone = client.get(f"/api/v1/public/galleries/{old_slug}", {"key": site.publishable_key})
    assert gone.status_code == 404
    assert fetch(client, gallery).status_code == 200
    refused = client.get(
        "/api/v1/public/galleries/renamed",
        {"key": site.publishable_key},
        headers={"Origin": origin},
    )
    assert refused.status_code == 403
