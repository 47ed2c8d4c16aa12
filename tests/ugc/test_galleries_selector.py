"""gallery_assets(): pins, rules, orderings and the product-page fallback, and that
nothing unpublishable ever comes out of it, whatever the pins and rules say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.ugc.factories import (
    AssetFactory,
    GalleryFactory,
    GalleryPinFactory,
    GalleryRuleFactory,
    ProductFactory,
    ProductLineFactory,
    ProductLineTagFactory,
    ProductTagFactory,
    PublishableAssetFactory,
)
from ugc.selectors import gallery_assets, publishable_assets

pytestmark = pytest.mark.django_db


def ids(gallery, sku=None):
    return [a.pk for a in gallery_assets(gallery, sku)]


def test_pins_and_rules_never_leak_an_unpublishable_asset():
    gallery = GalleryFactory()
    good = PublishableAssetFactory(tags=["summer"])
    revoked = PublishableAssetFactory(rights_state="revoked", tags=["summer"])
    expired = PublishableAssetFactory(
        rights_expires_at=timezone.now() - timedelta(minutes=1), tags=["summer"]
    )
    rejected = PublishableAssetFactory(moderation_state="rejected", tags=["summer"])
    pending = PublishableAssetFactory(moderation_state="pending", tags=["summer"])
    unprocessed = PublishableAssetFactory(processing_state="processing", tags=["summer"])
    not_requested = AssetFactory(moderation_state="approved", tags=["summer"])
    bad = [revoked, expired, rejected, pending, unprocessed, not_requested]
    for position, asset in enumerate([*bad, good]):
        GalleryPinFactory(gallery=gallery, asset=asset, position=position)
    GalleryRuleFactory(gallery=gallery, tags=["summer"])

    assert ids(gallery) == [good.pk]
    assert set(ids(gallery)) <= set(publishable_assets().values_list("pk", flat=True))


def test_pins_come_first_in_their_order_then_rules_by_the_gallery_ordering():
    gallery = GalleryFactory(ordering="best_score")
    low = PublishableAssetFactory(quality_score=0.2, tags=["beach"])
    high = PublishableAssetFactory(quality_score=0.9, tags=["beach"])
    unscored = PublishableAssetFactory(quality_score=None, tags=["beach"])
    pinned_second = PublishableAssetFactory(quality_score=0.1)
    pinned_first = PublishableAssetFactory(quality_score=0.1)
    elsewhere = PublishableAssetFactory(quality_score=1.0, tags=["ski"])
    GalleryPinFactory(gallery=gallery, asset=pinned_first, position=1)
    GalleryPinFactory(gallery=gallery, asset=pinned_second, position=2)
    GalleryRuleFactory(gallery=gallery, tags=["beach"])

    assert ids(gallery) == [pinned_first.pk, pinned_second.pk, high.pk, low.pk, unscored.pk]
    assert elsewhere.pk not in ids(gallery)

    gallery.ordering = "newest"
    now = timezone.now()
    for age, asset in enumerate([unscored, low, high]):
        asset.posted_at = now - timedelta(days=age)
        asset.save()
    assert ids(gallery)[2:] == [unscored.pk, low.pk, high.pk]


def test_a_rule_needs_all_its_conditions_and_any_rule_matches():
    line = ProductLineFactory(slug="shoes")
    sub = ProductLineFactory(slug="sneakers", parent=line)
    gallery = GalleryFactory()
    in_sub = PublishableAssetFactory(quality_score=0.8, source_platform="tiktok")
    ProductLineTagFactory(asset=in_sub, product_line=sub)
    low_score = PublishableAssetFactory(quality_score=0.1, source_platform="tiktok")
    ProductLineTagFactory(asset=low_score, product_line=line)
    other_platform = PublishableAssetFactory(quality_score=0.9, source_platform="instagram")
    ProductLineTagFactory(asset=other_platform, product_line=line)
    product = ProductFactory()
    by_product = PublishableAssetFactory()
    ProductTagFactory(asset=by_product, product=product)
    GalleryRuleFactory(gallery=gallery, product_line=line, platform="tiktok", min_score=0.5)
    GalleryRuleFactory(gallery=gallery, product=product)

    assert set(ids(gallery)) == {in_sub.pk, by_product.pk}


def test_a_gallery_without_rules_shows_its_pins_only():
    gallery = GalleryFactory()
    PublishableAssetFactory()
    assert ids(gallery) == []
    pin = GalleryPinFactory(gallery=gallery)
    assert ids(gallery) == [pin.asset_id]


def test_product_page_falls_back_from_product_to_line_to_brand():
    parent = ProductLineFactory(slug="outdoor")
    line = ProductLineFactory(slug="tents", parent=parent)
    sub = ProductLineFactory(slug="ultralight-tents", parent=line)
    product = ProductFactory(sku="TENT-1", product_line=line)
    sibling = ProductFactory(sku="TENT-2", product_line=sub)
    gallery = GalleryFactory(product_page=True, ordering="best_score")
    now = timezone.now()

    brand = PublishableAssetFactory(quality_score=1.0)
    parent_line = PublishableAssetFactory(quality_score=0.95)
    ProductLineTagFactory(asset=parent_line, product_line=parent)
    sub_line = PublishableAssetFactory(quality_score=0.9)
    ProductLineTagFactory(asset=sub_line, product_line=sub)
    sibling_product = PublishableAssetFactory(quality_score=0.3)
    ProductTagFactory(asset=sibling_product, product=sibling)
    tagged_low = PublishableAssetFactory(quality_score=0.2)
    ProductTagFactory(asset=tagged_low, product=product)
    tagged_high = PublishableAssetFactory(quality_score=0.5)
    ProductTagFactory(asset=tagged_high, product=product)
    revoked_tagged = PublishableAssetFactory(rights_state="revoked", quality_score=1.0)
    ProductTagFactory(asset=revoked_tagged, product=product)
    expired_tagged = PublishableAssetFactory(
        quality_score=1.0, rights_expires_at=now - timedelta(seconds=1)
    )
    ProductTagFactory(asset=expired_tagged, product=product)

    assert ids(gallery, "TENT-1") == [
        tagged_high.pk,
        tagged_low.pk,
        sub_line.pk,
        sibling_product.pk,
        brand.pk,
        parent_line.pk,
    ]
    # An unknown SKU (not imported yet) is the brand: everything publishable, no error.
    assert set(ids(gallery, "NOPE")) == set(ids(gallery, "TENT-1"))
    # A pin still comes first on a product page.
    GalleryPinFactory(gallery=gallery, asset=brand, position=0)
    assert ids(gallery, "TENT-1")[0] == brand.pk
