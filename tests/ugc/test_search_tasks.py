"""Indexing runs in a real worker: an edit reaches full text, vectors and suggestions."""

import pytest

from commerce.models import ProductLine
from tests.support.worker import wait_until
from ugc.models import Asset, AssetEmbedding, ProductLineTag, TaggingRule
from ugc.selectors.search import SearchRequest, search
from ugc.services.assets import update_metadata

pytestmark = pytest.mark.worker


def test_a_caption_edit_is_indexed_and_tagged_by_a_worker(start_worker, app_on_broker):
    start_worker()
    line = ProductLine.objects.create(slug="swim", name="Swimwear")
    TaggingRule.objects.create(product_line=line, kind="hashtag", value="swimwear")
    asset = Asset.objects.create(media_type="image", source_platform="instagram")

    update_metadata(asset, caption="Golden hour by the pool #swimwear")  # enqueues on commit

    wait_until(
        lambda: AssetEmbedding.objects.filter(asset=asset).exists(),
        timeout=60,
        what="the asset's embedding",
    )
    wait_until(
        lambda: ProductLineTag.objects.filter(asset=asset).exists(),
        timeout=30,
        what="the rule's suggestion",
    )
    assert [hit.asset_id for hit in search(Asset.objects.all(), SearchRequest(text="pool"))] == [
        asset.pk
    ]
    tag = ProductLineTag.objects.get(asset=asset)
    assert (tag.product_line, tag.accepted, tag.reason) == (line, False, "hashtag #swimwear")
