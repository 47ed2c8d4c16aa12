"""Product tags by hand with hotspots, and suggestions from rules and similarity."""

import pytest
from django.contrib.auth.models import User

from commerce.models import Product, ProductLine
from ugc.models import Asset, AuditEntry, ProductLineTag, ProductTag, TaggingRule
from ugc.services import tagging
from ugc.services.search_index import embed_assets

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    dresses = ProductLine.objects.create(slug="dresses", name="Dresses")
    kitchen = ProductLine.objects.create(slug="kitchen", name="Kitchen")
    products = {
        "dress": Product.objects.create(
            sku="D-1",
            title="Red linen summer dress",
            description="<p>A light dress for the beach</p>",
            product_line=dresses,
        ),
        "knife": Product.objects.create(
            sku="K-1",
            title="Chef's knife",
            description="Stainless steel kitchen knife",
            product_line=kitchen,
        ),
    }
    tagging.embed_products([p.pk for p in products.values()])
    return {"dresses": dresses, "kitchen": kitchen, **products}


def asset(**fields):
    return Asset.objects.create(**{"media_type": "image", "source_platform": "instagram", **fields})


def test_product_text_strips_html_and_names_the_line(catalog):
    assert tagging.product_text(catalog["dress"]) == (
        "Red linen summer dress\nDresses\nA light dress for the beach"
    )


def test_a_product_is_tagged_by_hand_with_a_hotspot_and_audited(catalog):
    user = User.objects.create_user("cora")
    photo = asset(caption="new in")
    tag = tagging.tag_product(photo, catalog["dress"], actor=user, x=0.25, y=0.75)
    assert (tag.accepted, tag.hotspot_x, tag.hotspot_y, tag.created_by) == (True, 0.25, 0.75, user)
    entry = AuditEntry.objects.get(asset=photo, action="tag_product")
    assert entry.actor == user and entry.changes["product"] == [None, "D-1"]
    with pytest.raises(ValueError, match="fractions"):
        tagging.tag_product(photo, catalog["dress"], x=1.5, y=0.2)
    with pytest.raises(ValueError, match="both x and y"):
        tagging.tag_product(photo, catalog["dress"], x=0.5, y=None)
    assert tagging.untag_product(photo, catalog["dress"], actor=user)
    assert not ProductTag.objects.filter(asset=photo).exists()


def test_rules_suggest_product_lines_with_their_reason(catalog):
    TaggingRule.objects.create(product_line=catalog["dresses"], kind="hashtag", value="#OOTD")
    TaggingRule.objects.create(product_line=catalog["kitchen"], kind="keyword", value="Recipe")
    photo = asset(caption="my favourite recipe tonight", hashtags=["ootd"])
    suggested = tagging.suggest_tags(photo)
    assert set(suggested["product_lines"]) == {catalog["dresses"].pk, catalog["kitchen"].pk}
    reasons = dict(
        ProductLineTag.objects.filter(asset=photo).values_list("product_line__slug", "reason")
    )
    assert reasons == {"dresses": "hashtag #ootd", "kitchen": "caption mentions “recipe”"}
    assert not ProductLineTag.objects.filter(asset=photo, accepted=True).exists()


def test_similar_products_are_suggested_with_a_confidence(catalog):
    photo = asset(caption="Sunday at the beach in my new red dress", hashtags=["summerdress"])
    embed_assets([photo.pk])
    suggested = tagging.suggest_tags(photo)
    assert suggested["products"][0] == catalog["dress"].pk
    assert catalog["knife"].pk not in suggested["products"]
    tag = ProductTag.objects.get(asset=photo, product=catalog["dress"])
    assert tag.source == "suggested" and not tag.accepted
    assert 0.5 <= tag.confidence <= 1 and "Red linen summer dress" in tag.reason


def test_dismissed_suggestions_are_not_made_again_and_accepting_is_bulk(catalog):
    TaggingRule.objects.create(product_line=catalog["dresses"], kind="hashtag", value="ootd")
    first, second = asset(hashtags=["ootd"]), asset(hashtags=["ootd"])
    for photo in (first, second):
        tagging.suggest_tags(photo)
    assert tagging.decide_suggestions(Asset.objects.filter(pk=first.pk), accept=False) == 1
    assert tagging.suggest_tags(first) == {"product_lines": [], "products": []}
    assert tagging.decide_suggestions(Asset.objects.filter(pk=second.pk), accept=True) == 1
    assert ProductLineTag.objects.get(asset=second).accepted
    assert ProductLineTag.objects.get(asset=first).dismissed
    assert AuditEntry.objects.filter(action="dismiss_suggestion", asset=first).exists()
