"""The workspace on a large library: query counts that do not grow with what a page
shows, facet counts that stay right under a multiple-choice filter, and the whole
library's facets estimated from PostgreSQL's statistics once it is large."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.ugc.factories import (
    AssetFactory,
    CreatorFactory,
    ProductTagFactory,
    RenditionFactory,
)

# The workspace tests' logged-in coordinator, shared rather than written again.
from ugc.models import RightsRequest, RightsState
from workspace import estimates, library

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coordinator")]


def _queries(client, url: str, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def _dressed(**kwargs):
    """An asset in review with what its tiles and panels read: renditions, a creator."""
    asset = AssetFactory(processing_state="in_review", **kwargs)
    RenditionFactory(asset=asset, width=320)
    RenditionFactory(asset=asset, width=640)
    return asset


def test_asset_page_queries_do_not_grow_with_tags_or_the_creators_other_assets(client):
    creator = CreatorFactory()
    asset = _dressed(creator=creator)
    url = reverse("workspace:asset", args=[asset.pk])

    def add(n):
        for _ in range(n):
            _dressed(creator=creator)
            ProductTagFactory(asset=asset)
            RightsRequest.objects.create(
                asset=asset, creator=creator, message="May we?", approval_hashtag="yes"
            )

    add(1)
    few = _queries(client, url)
    add(8)
    assert _queries(client, url) == few


def test_review_queries_do_not_grow_with_the_queue_or_the_assets_tags(client):
    first = _dressed()
    _dressed()
    url = reverse("workspace:review")
    few = _queries(client, url)
    for _ in range(10):
        _dressed()
        ProductTagFactory(asset=first)
    assert _queries(client, url) == few


def test_rights_queries_do_not_grow_with_the_requests(client):
    def ask(n):
        for _ in range(n):
            creator = CreatorFactory()
            asset = _dressed(creator=creator, rights_state=RightsState.REQUESTED)
            RightsRequest.objects.create(
                asset=asset, creator=creator, message="May we?", approval_hashtag="yes"
            )

    url = reverse("workspace:rights")
    ask(2)
    few = _queries(client, url)
    ask(12)
    body = client.get(url).content.decode()
    assert body.count('class="rights-row"') == 14
    assert _queries(client, url) == few


def test_facets_under_a_multiple_choice_filter_count_every_asset(client):
    # Same facet values on every asset: a DISTINCT over those values would count one.
    for _ in range(3):
        _dressed(source_platform="tiktok", moderation_state="pending")
    _dressed(source_platform="instagram")
    body = client.get(reverse("workspace:library"), {"platform": "tiktok"}).content.decode()
    assert 'TikTok</a> <span class="count">3</span>' in body
    assert 'Pending</a> <span class="count">3</span>' in body


def _analyse_assets():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ugc_asset")


def test_the_whole_librarys_facets_are_estimated_once_it_is_large(client, monkeypatch):
    for _ in range(6):
        _dressed(source_platform="tiktok", quality_score=0.9)
    for _ in range(3):
        _dressed(source_platform="instagram", quality_score=0.5)
    _analyse_assets()  # a table this small is sampled whole: the shares are exact
    monkeypatch.setattr(estimates, "ESTIMATE_FROM_ASSETS", 5)
    body = client.get(reverse("workspace:library")).content.decode()
    assert 'TikTok</a> <span class="count" title="About 6: estimated' in body
    assert ">≈6</span>" in body and ">≈3</span>" in body
    filtered = client.get(reverse("workspace:library"), {"platform": "tiktok"}).content.decode()
    assert 'TikTok</a> <span class="count">6</span>' in filtered  # a filtered set: exact


def test_a_small_library_is_counted_exactly_even_when_analysed(client):
    _dressed(source_platform="tiktok")
    _analyse_assets()
    assert library.estimated_facet_counts() is None
    body = client.get(reverse("workspace:library")).content.decode()
    assert "≈" not in body


def test_estimated_quality_buckets_follow_the_histogram(monkeypatch):
    for score in (0.1, 0.2, 0.3, 0.45, 0.5, 0.55, 0.6, 0.8, 0.9, 0.95):
        AssetFactory(quality_score=score)
    AssetFactory(quality_score=None)
    _analyse_assets()
    monkeypatch.setattr(estimates, "ESTIMATE_FROM_ASSETS", 1)
    quality = {f.value: f.count for f in library.estimated_facet_counts()["quality"]}
    exact = {"0.7": 3, "0.4": 4, "0.0": 3}  # the asset without a score in none of them
    assert quality.keys() == exact.keys()
    assert all(abs(quality[bucket] - n) <= 1 for bucket, n in exact.items()), quality


@pytest.mark.parametrize(
    ("bounds", "low", "share"),
    [
        ([0.0, 0.5, 1.0], 0.5, 0.5),
        ([0.0, 0.5, 1.0], 0.75, 0.25),
        ([0.0, 1.0], 0.0, 1.0),
        ([0.2, 0.4], 0.9, 0.0),
        ([], 0.5, 0.0),
    ],
)
def test_histogram_share_is_linear_inside_each_bin(bounds, low, share):
    assert estimates._histogram_share_at_least(bounds, low) == pytest.approx(share)
