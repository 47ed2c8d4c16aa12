"""Bulk rescoring and the performance service, on the real database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.ugc.factories import (
    AssetFactory,
    GalleryFactory,
    GalleryPinFactory,
    GalleryRuleFactory,
    ProductTagFactory,
    PublishableAssetFactory,
)
from ugc.models import Asset, AssetEngagementSnapshot, AssetPerformance, AssetScore, ScoringRun
from ugc.selectors import gallery_assets
from ugc.services import scoring
from ugc.services.performance import record_asset_performance

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 1)


def record(asset, impressions, clicks, conversions=0, revenue=0, day=DAY, source="rollup"):
    return record_asset_performance(
        asset_id=asset.pk,
        day=day,
        gallery_impressions=impressions,
        clicks=clicks,
        conversions=conversions,
        revenue=revenue,
        source=source,
    )


def processed(**kwargs):
    return AssetFactory(processing_state="in_review", quality_score=0.6, **kwargs)


def test_recording_is_an_idempotent_upsert_per_asset_day_and_source():
    asset = processed()
    assert record(asset, 100, 5, 1, "19.90") == "created"
    first = AssetPerformance.objects.get()
    assert record(asset, 100, 5, 1, Decimal("19.9")) == "unchanged"
    assert AssetPerformance.objects.get().updated_at == first.updated_at
    assert record(asset, 120, 6, 1, "19.90") == "updated"
    assert record(asset, 10, 1, source="attribution:markov") == "created"
    assert AssetPerformance.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gallery_impressions": -1}, "gallery_impressions must be a whole number"),
        ({"clicks": 1.5}, "clicks must be a whole number"),
        ({"clicks": 11}, "clicks cannot exceed gallery_impressions"),
        ({"revenue": "NaN"}, "revenue must be a finite amount"),
        ({"revenue": "lots"}, "revenue must be a number"),
        ({"revenue": -1}, "revenue must be a finite amount"),
        ({"day": "2026-11-01"}, "day must be a date"),
        ({"day": timezone.now()}, "day must be a date"),
        ({"source": ""}, "source must be 1 to 50 characters"),
        ({"source": "x" * 51}, "source must be 1 to 50 characters"),
    ],
)
def test_bad_performance_is_refused_naming_the_value(change, message):
    asset = processed()
    values = dict(
        asset_id=asset.pk,
        day=DAY,
        gallery_impressions=10,
        clicks=1,
        conversions=0,
        revenue=0,
        source="rollup",
    )
    with pytest.raises(ValidationError, match=message):
        record_asset_performance(**{**values, **change})
    assert not AssetPerformance.objects.exists()


def test_an_unknown_asset_is_refused():
    with pytest.raises(Asset.DoesNotExist):
        record_asset_performance(
            asset_id=999_999,
            day=DAY,
            gallery_impressions=1,
            clicks=0,
            conversions=0,
            revenue=0,
            source="rollup",
        )


def library_with_performance(n=30):
    assets = [processed() for _ in range(n)]
    for i, asset in enumerate(assets):
        record(asset, 1000, 20 + i % 7, conversions=i % 2, revenue=50 * (i % 2))
    return assets


def test_full_rescoring_stores_every_part_and_a_rerun_changes_nothing():
    assets = library_with_performance()
    unprocessed = AssetFactory(processing_state="received")
    # Noon of today: scores are as of the day's start (scoring_day), so a rerun an hour
    # later is the same day whatever the clock says (from 23:00 UTC, it was not).
    now = scoring.scoring_day(timezone.now()) + dt.timedelta(hours=12)
    first = scoring.rescore_all(now)
    assert first.assets == len(assets) and first.changed == len(assets)
    assert not AssetScore.objects.filter(asset=unprocessed).exists()
    rows = {s.asset_id: s for s in AssetScore.objects.all()}
    for s in rows.values():
        for part in ("quality", "relevance", "performance", "freshness"):
            assert 0 <= getattr(s, part) <= 1
        assert s.social is None  # no engagement data anywhere: no part, no weight
        assert 0 <= s.score <= 1
    again = scoring.rescore_all(now + dt.timedelta(hours=1))
    assert again.changed == 0
    assert {s.asset_id: s.score for s in AssetScore.objects.all()} == {
        k: v.score for k, v in rows.items()
    }
    assert ScoringRun.objects.filter(kind="full").count() == 2


def test_three_in_ten_does_not_outrank_three_hundred_in_ten_thousand():
    library_with_performance()
    lucky, proven = processed(), processed()
    record(lucky, 10, 3)
    # Converting and selling like the rest of the library.
    record(proven, 10_000, 300, conversions=9, revenue=450)
    scoring.rescore_all()
    lucky_score, proven_score = (AssetScore.objects.get(asset=a) for a in (lucky, proven))
    assert proven_score.performance > lucky_score.performance
    assert proven_score.ctr > lucky_score.ctr
    assert lucky_score.ctr < 0.05  # not 30 %: three clicks barely move the prior


def test_tags_and_engagement_move_their_parts_and_missing_data_weighs_nothing():
    plain, tagged, engaging, posted = (processed() for _ in range(4))
    ProductTagFactory(asset=tagged)
    AssetEngagementSnapshot.objects.create(
        asset=engaging, captured_at=timezone.now(), impressions=1000, likes=40, comments=7
    )
    # The counts an import carried with the post stand in for an engagement export.
    posted.platform_metrics = {"likes": 90, "comments": 4, "views": 2000, "note": "x"}
    posted.save()
    scoring.rescore_all()
    score = {s.asset_id: s for s in AssetScore.objects.all()}
    assert score[tagged.pk].relevance == 1.0 and score[plain.pk].relevance == 0.0
    assert score[engaging.pk].engagement_rate == pytest.approx(0.047)
    assert score[engaging.pk].social == pytest.approx(10 / 11)  # ten times the median
    assert score[posted.pk].engagement_rate == pytest.approx(94 / 2000)
    assert score[plain.pk].social is None
    weights = scoring.asset_weights(score[plain.pk])
    assert weights["social"] == 0 and sum(weights.values()) == pytest.approx(1)
    assert scoring.asset_weights(score[engaging.pk])["social"] > 0
    # One quality number: the part is the asset's quality score.
    assert score[plain.pk].quality == pytest.approx(0.6)


def test_an_asset_that_sold_outranks_one_with_a_lucky_click():
    library_with_performance()
    earner, lucky = processed(), processed()
    record(earner, 3000, 60, conversions=6, revenue=900)
    record(lucky, 4, 1)
    scoring.rescore_all()
    earner_score, lucky_score = (AssetScore.objects.get(asset=a) for a in (earner, lucky))
    assert earner_score.performance > lucky_score.performance
    assert earner_score.score > lucky_score.score


def test_incremental_rescoring_takes_only_new_data_and_uses_the_full_runs_priors(settings):
    settings.SCORING_WATERMARK_OVERLAP_SECONDS = 0
    assets = library_with_performance(10)
    scoring.rescore_all()
    computed = {s.asset_id: s.computed_at for s in AssetScore.objects.all()}
    newcomer = processed()
    record(assets[0], 2000, 200, day=DAY + dt.timedelta(days=1))
    result = scoring.rescore_new_data()
    assert result.kind == "incremental"
    assert result.assets == 2  # the asset with new numbers and the unscored newcomer
    assert AssetScore.objects.filter(asset=newcomer).exists()
    untouched = AssetScore.objects.exclude(asset__in=[assets[0], newcomer])
    assert all(s.computed_at == computed[s.asset_id] for s in untouched)
    assert scoring.rescore_new_data().changed == 0


def test_recommended_gallery_keeps_pins_first_and_only_publishable_assets():
    gallery = GalleryFactory(ordering="recommended", size=6)
    good = [PublishableAssetFactory(tags=["summer"], quality_score=0.5) for _ in range(8)]
    hidden = AssetFactory(processing_state="in_review", tags=["summer"], quality_score=1.0)
    GalleryRuleFactory(gallery=gallery, tags=["summer"])
    pin = GalleryPinFactory(gallery=gallery, asset=good[7], position=0)
    for i, asset in enumerate(good):
        record(asset, 1000, 10 + 10 * i)
    record(hidden, 1000, 900)
    scoring.rescore_all()
    assert scoring.refresh_gallery_order(gallery.pk) is True
    assert scoring.refresh_gallery_order(gallery.pk) is False  # same bucket, same order
    shown = [a.pk for a in gallery_assets(gallery)]
    assert shown[0] == pin.asset_id
    assert hidden.pk not in shown
    assert set(shown) == {a.pk for a in good}
    stored = gallery.recommendation.asset_ids
    assert shown[1:] == stored and pin.asset_id not in stored


def test_a_recomputed_order_drops_the_gallerys_cached_responses(django_capture_on_commit_callbacks):
    from ugc.delivery import cache as gallery_cache

    gallery = GalleryFactory(ordering="recommended", size=4)
    GalleryRuleFactory(gallery=gallery, tags=["summer"])
    PublishableAssetFactory(tags=["summer"])
    before = gallery_cache.gallery_version(gallery.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert scoring.refresh_gallery_order(gallery.pk)
    assert gallery_cache.gallery_version(gallery.pk) != before
