"""The public gallery API in an experiment: each visitor sees their variant's gallery
(a holdout sees none), named in the response so the widget reports it with its events."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from analytics.services.experiments import create_experiment
from tests.ugc.factories import (
    GalleryFactory,
    GalleryPinFactory,
    PublishableAssetFactory,
    SiteFactory,
)
from ugc.delivery import variants as gallery_variants

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def unthrottled(settings):
    """Hundreds of visitors from one test client: the per-address limit is not under test."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    rates.update(public_key="100000/min", public_ip="100000/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.fixture(autouse=True)
def fresh_memory():
    cache.clear()
    gallery_variants.forget()
    yield
    cache.clear()
    gallery_variants.forget()


def pinned_gallery(site, slug):
    gallery = GalleryFactory(site=site, slug=slug)
    asset = PublishableAssetFactory()
    GalleryPinFactory(gallery=gallery, asset=asset, position=0)
    return gallery, asset.pk


def fetch(site, slug="home", **params):
    response = APIClient().get(
        f"/api/v1/public/galleries/{slug}", {"key": site.publishable_key, **params}
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_visitors_see_their_variant_a_holdout_sees_nothing_and_the_split_holds():
    site = SiteFactory()
    _home, home_asset = pinned_gallery(site, "home")
    other, other_asset = pinned_gallery(site, "home-b")
    # Served (and remembered by the hot path) before the experiment exists.
    assert [i["id"] for i in fetch(site, visitor="v-early")["items"]] == [home_asset]

    create_experiment(
        site=site, key="home-test", placement="home", metric="click_through_rate",
        starts_at=timezone.now() - timedelta(minutes=1),
        variants=[{"name": "control", "weight": 2, "gallery": _home},
                  {"name": "b", "weight": 1, "gallery": other},
                  {"name": "holdout", "weight": 1}],
    )  # fmt: skip

    seen = Counter()
    for n in range(400):
        body = fetch(site, visitor=f"v{n}")
        assert body["experiment"] == "home-test"
        items = [item["id"] for item in body["items"]]
        expected = {"control": [home_asset], "b": [other_asset], "holdout": []}
        assert items == expected[body["variant"]], body["variant"]
        seen[body["variant"]] += 1
        assert fetch(site, visitor=f"v{n}")["variant"] == body["variant"]  # stable
    assert 160 <= seen["control"] <= 240 and 70 <= seen["b"] <= 130, seen
    assert 70 <= seen["holdout"] <= 130, seen

    # Without a visitor id: the slot's own gallery, and a word that an experiment runs
    # (the widget then asks again with its visitor id, if the shopper consented).
    plain = fetch(site)
    assert [i["id"] for i in plain["items"]] == [home_asset] and "variant" not in plain
    assert plain["experiment_pending"] is True


def test_an_ended_experiment_leaves_the_gallery_as_it_was():
    site = SiteFactory()
    home, home_asset = pinned_gallery(site, "home")
    create_experiment(
        site=site, key="old", placement="home", metric="conversion_rate",
        starts_at=timezone.now() - timedelta(days=9), ends_at=timezone.now() - timedelta(days=2),
        variants=[{"name": "control", "weight": 1, "gallery": home},
                  {"name": "holdout", "weight": 1}],
    )  # fmt: skip
    for n in range(20):
        body = fetch(site, visitor=f"v{n}")
        assert [i["id"] for i in body["items"]] == [home_asset] and "variant" not in body
        assert "experiment_pending" not in fetch(site)


def test_a_too_long_visitor_id_is_a_400_naming_it():
    site = SiteFactory()
    pinned_gallery(site, "home")
    response = APIClient().get(
        "/api/v1/public/galleries/home", {"key": site.publishable_key, "visitor": "v" * 101}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "visitor"
