"""Recommendations for coordinators: per product (publishable, and rights to request
next by expected value) and candidates for a gallery; the score on the asset API."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from tests.ugc.factories import (
    AssetFactory,
    CoordinatorFactory,
    GalleryFactory,
    GalleryRuleFactory,
    ProductFactory,
    ProductTagFactory,
    PublishableAssetFactory,
    UserFactory,
)
from ugc.services import scoring
from ugc.services.performance import record_asset_performance

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(CoordinatorFactory())
    return client


def perform(asset, impressions, clicks, conversions):
    record_asset_performance(
        asset_id=asset.pk,
        day=dt.date(2026, 11, 1),
        gallery_impressions=impressions,
        clicks=clicks,
        conversions=conversions,
        revenue=0,
        source="rollup",
    )


def test_product_recommendations_split_publishable_and_rights_to_request(api):
    product = ProductFactory(price="50.00")
    shown = PublishableAssetFactory(quality_score=0.7)
    strong = AssetFactory(processing_state="in_review", quality_score=0.7)
    weak = AssetFactory(processing_state="in_review", quality_score=0.7)
    declined = AssetFactory(processing_state="in_review", rights_state="declined")
    for asset in (shown, strong, weak, declined):
        ProductTagFactory(asset=asset, product=product)
    perform(strong, 5000, 400, 40)
    perform(weak, 5000, 50, 1)
    scoring.rescore_all()
    response = api.get(f"/api/v1/recommendations/products/{product.sku}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["id"] for row in body["publishable"]] == [shown.pk]
    to_request = [row["id"] for row in body["rights_to_request"]]
    assert to_request == [strong.pk, weak.pk]  # a decline is the creator's answer
    first = body["rights_to_request"][0]
    assert first["expected_value"] > body["rights_to_request"][1]["expected_value"] > 0
    assert any("400 times in 5,000" in reason for reason in first["reasons"])
    assert set(first["score"]["parts"]) == {
        "quality",
        "relevance",
        "performance",
        "social",
        "freshness",
    }


def test_gallery_candidates_are_publishable_assets_it_does_not_show(api):
    gallery = GalleryFactory()
    GalleryRuleFactory(gallery=gallery, tags=["summer"])
    inside = PublishableAssetFactory(tags=["summer"])
    outside = PublishableAssetFactory(tags=["winter"])
    hidden = AssetFactory(processing_state="in_review", tags=["winter"])
    scoring.rescore_all()
    response = api.get(f"/api/v1/recommendations/galleries/{gallery.pk}?limit=10")
    ids = [row["id"] for row in response.json()["candidates"]]
    assert outside.pk in ids and inside.pk not in ids and hidden.pk not in ids


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/recommendations/products/NOPE", 404),
        ("/api/v1/recommendations/galleries/999999", 404),
        ("/api/v1/recommendations/products/{sku}?limit=0", 400),
        ("/api/v1/recommendations/products/{sku}?limit=abc", 400),
    ],
)
def test_bad_requests_are_problems(api, url, status):
    product = ProductFactory()
    response = api.get(url.format(sku=product.sku))
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")


def test_only_coordinators_get_recommendations():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(UserFactory())
    product = ProductFactory()
    assert client.get(f"/api/v1/recommendations/products/{product.sku}").status_code == 403


def test_the_asset_api_shows_the_score_with_its_parts_and_weights(api):
    asset = AssetFactory(processing_state="in_review", quality_score=0.9)
    assert api.get(f"/api/v1/assets/{asset.pk}").json()["score"] is None
    scoring.rescore_all()
    score = api.get(f"/api/v1/assets/{asset.pk}").json()["score"]
    assert score["parts"]["quality"] > 0.8
    assert sum(score["weights"].values()) == pytest.approx(1)
    # A part without data is null and weighs nothing; the rest carry the score.
    assert score["parts"]["social"] is None and score["weights"]["social"] == 0
    assert score["score"] == pytest.approx(
        sum((score["parts"][k] or 0) * w for k, w in score["weights"].items())
    )
