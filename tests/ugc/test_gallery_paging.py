"""gallery_page(): the fast path the public gallery reads through (pins, then each
product tier as its own LIMITed query) gives exactly `gallery_assets()`' order, page by
page, for every ordering; and the public API's cursor walks it without gaps or repeats."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.models import ProductLine
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
from ugc.delivery.cursors import decode_cursor
from ugc.delivery.render import render_gallery
from ugc.models import AssetScore, GalleryRecommendation
from ugc.selectors import gallery_assets, gallery_page, publishable_assets

pytestmark = pytest.mark.django_db

ORDERINGS = ["newest", "manual", "best_score", "recommended"]


def full_order(gallery, sku=None):
    return [a.pk for a in gallery_assets(gallery, sku)]


def score(asset, value):
    parts = dict.fromkeys(["quality", "relevance", "performance", "social", "freshness"], value)
    AssetScore.objects.create(
        asset=asset, score=value, ctr_alpha=1, ctr_beta=1, conversion_rate=0,
        model_version="test", computed_at=timezone.now(), **parts,
    )  # fmt: skip


@pytest.fixture
def library():
    """A product in a line with a sub-line, and assets in each tier with tied and missing
    sort keys (same posted time, no posted time, no quality score), some unpublishable."""
    line = ProductLineFactory(slug="tents")
    sub = ProductLineFactory(slug="ultralight", parent=line)
    product = ProductFactory(sku="TENT-1", product_line=line)
    sibling = ProductFactory(sku="TENT-2", product_line=sub)
    now = timezone.now()
    same_moment = now - timedelta(hours=5)
    assets = []
    for n in range(14):
        asset = PublishableAssetFactory(
            quality_score=None if n % 5 == 0 else (n % 4) / 4,
            posted_at=None if n % 6 == 0 else (same_moment if n % 3 == 0 else now - timedelta(n)),
            tags=["summer"] if n % 2 else ["ski"],
        )
        if n % 4 == 0:
            ProductTagFactory(asset=asset, product=product)
        elif n % 4 == 1:
            ProductLineTagFactory(asset=asset, product_line=sub)
        elif n == 6:
            ProductTagFactory(asset=asset, product=sibling)
        if n % 3:
            score(asset, n / 14)
        assets.append(asset)
    hidden = [
        PublishableAssetFactory(rights_state="revoked", tags=["summer"]),
        PublishableAssetFactory(rights_expires_at=now - timedelta(minutes=1), tags=["summer"]),
        AssetFactory(moderation_state="approved", tags=["summer"]),
    ]
    for asset in hidden:
        ProductTagFactory(asset=asset, product=product)
    return assets, hidden


def gallery_with_pins(assets, hidden, ordering, **fields):
    gallery = GalleryFactory(ordering=ordering, size=50, **fields)
    # Pins: unpublishable ones, a tier-0 asset, and two sharing a position.
    for position, asset in enumerate([hidden[0], assets[4], assets[7], hidden[2]]):
        GalleryPinFactory(gallery=gallery, asset=asset, position=position)
    GalleryPinFactory(gallery=gallery, asset=assets[9], position=2)
    GalleryRecommendation.objects.create(
        gallery=gallery, asset_ids=[assets[3].pk, assets[11].pk, assets[7].pk, hidden[1].pk]
    )
    return gallery


def assert_every_window_matches(gallery, sku=None):
    expected = full_order(gallery, sku)
    assert expected, "the case must show something"
    for start in range(len(expected) + 2):
        for stop in {start, start + 1, start + 4, len(expected) + 2}:
            got = gallery_page(gallery, sku, start=start, stop=stop)
            assert got == expected[start:stop], (start, stop)
    return expected


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_each_ordering_pages_exactly_as_the_full_order_with_rules(library, ordering):
    assets, hidden = library
    gallery = gallery_with_pins(assets, hidden, ordering)
    GalleryRuleFactory(gallery=gallery, tags=["summer"])
    GalleryRuleFactory(gallery=gallery, product_line=ProductLine.objects.get(slug="ultralight"))

    shown = assert_every_window_matches(gallery)
    assert set(shown) <= set(publishable_assets().values_list("pk", flat=True))


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.parametrize("sku", ["TENT-1", "TENT-2", "NOT-IMPORTED", None])
def test_product_page_tiers_page_exactly_as_the_full_order(library, ordering, sku):
    assets, hidden = library
    gallery = gallery_with_pins(assets, hidden, ordering, product_page=True)

    assert_every_window_matches(gallery, sku)


def test_a_product_page_with_rules_keeps_its_tiers_inside_the_rules(library):
    assets, hidden = library
    gallery = gallery_with_pins(assets, hidden, "best_score", product_page=True)
    GalleryRuleFactory(gallery=gallery, tags=["summer"])

    shown = assert_every_window_matches(gallery, "TENT-1")
    pinned = {assets[4].pk, assets[7].pk, assets[9].pk}
    assert set(shown) - pinned <= {a.pk for a in assets if "summer" in a.tags}


def test_pins_of_unpublishable_assets_are_hidden_and_pins_come_first(library):
    assets, hidden = library
    gallery = gallery_with_pins(assets, hidden, "newest")  # no rules: pins only

    shown = gallery_page(gallery, start=0, stop=50)
    assert shown[:1] == [assets[4].pk]  # position 1; the hidden pin at 0 is skipped
    assert set(shown) == {assets[4].pk, assets[7].pk, assets[9].pk}
    assert not set(shown) & {a.pk for a in hidden}


def test_tier_boundaries_fall_inside_pages_without_gaps_or_repeats(library):
    """Through render_gallery's cursor, 4 at a time: every page continues the last."""
    assets, hidden = library
    gallery = gallery_with_pins(assets, hidden, "best_score", product_page=True)
    expected = full_order(gallery, "TENT-1")
    walked, offset, pages = [], 0, 0
    while True:
        body, _ = render_gallery(gallery.pk, product="TENT-1", offset=offset, limit=4)
        page = json.loads(body)
        walked += [item["id"] for item in page["items"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        offset = decode_cursor(page["next_cursor"])

    assert walked == expected
    assert pages == -(-len(expected) // 4)
