"""Simulation: does the recommended ordering learn which assets shoppers click?

A generated library where a known subset has a four times higher true click rate,
all else equal, and the newest assets are among the weak ones. A stream of impressions
and clicks (drawn from the true rates with a seeded generator) goes through the real
code: the selector, Thompson sampling in the stored gallery order, the performance
service and rescoring (incremental each bucket, full every "night"). Newest-first on
the same library and stream is the baseline.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from tests.ugc.factories import GalleryFactory, GalleryRuleFactory, PublishableAssetFactory
from ugc.models import AssetPerformance, AssetScore
from ugc.selectors import gallery_assets
from ugc.services import scoring
from ugc.services.performance import record_asset_performance

pytestmark = pytest.mark.django_db

LIBRARY, GOOD, SIZE, ROUNDS = 40, 8, 10, 40
GOOD_RATE, WEAK_RATE = 0.12, 0.03
CONVERSION_RATE = 0.05  # per click, the same for every asset
IMPRESSIONS_PER_PLACE = 200
NEWCOMERS_AT = 15
PERIOD = dt.timedelta(minutes=15)


def make_library(start):
    assets = []
    for i in range(LIBRARY):
        # The weak assets are the newest: newest-first shows them.
        age = dt.timedelta(days=40 + i) if i < GOOD else dt.timedelta(days=i - GOOD)
        assets.append(
            PublishableAssetFactory(tags=["summer"], quality_score=0.6, posted_at=start - age)
        )
    rates = {a.pk: GOOD_RATE if i < GOOD else WEAK_RATE for i, a in enumerate(assets)}
    return assets, rates


def show(gallery, now, rates, rng, round_no, recommended):
    """One bucket of traffic: every shown asset gets its impressions and clicks."""
    if recommended:
        scoring.refresh_gallery_order(gallery.pk, now)
    shown = [a.pk for a in gallery_assets(gallery)[:SIZE]]
    clicks = 0
    for pk in shown:
        got = int(rng.binomial(IMPRESSIONS_PER_PLACE, rates[pk]))
        converted = int(rng.binomial(got, CONVERSION_RATE))
        clicks += got
        if recommended:
            record_asset_performance(
                asset_id=pk,
                day=dt.date(2026, 1, 1) + dt.timedelta(days=round_no),
                gallery_impressions=IMPRESSIONS_PER_PLACE,
                clicks=got,
                conversions=converted,
                revenue=converted * 40,
                source="simulation",
            )
    return clicks


def run(gallery, rates, start, recommended, seed):
    rng = np.random.default_rng(seed)
    total, newcomers = 0, []
    for round_no in range(ROUNDS):
        now = start + round_no * PERIOD
        if round_no == NEWCOMERS_AT:
            newcomers = [
                PublishableAssetFactory(tags=["summer"], quality_score=0.6, posted_at=now)
                for _ in range(3)
            ]
            rates.update({a.pk: WEAK_RATE for a in newcomers})
        if recommended:
            nightly = round_no % 10 == 0
            (scoring.rescore_all if nightly else scoring.rescore_new_data)(now)
        total += show(gallery, now, rates, rng, round_no, recommended)
    return total, newcomers


def test_recommended_ordering_learns_the_better_assets_and_beats_newest_first(settings):
    settings.SCORING_EXPLORATION_SHARE = 0.3
    settings.SCORING_WATERMARK_OVERLAP_SECONDS = 0
    start = timezone.now()
    assets, rates = make_library(start)
    good = {a.pk for a in assets[:GOOD]}

    newest = GalleryFactory(ordering="newest", size=SIZE)
    GalleryRuleFactory(gallery=newest, tags=["summer"])
    baseline, arrived = run(newest, rates, start, recommended=False, seed=11)
    for asset in arrived:  # the recommended run gets newcomers of its own
        asset.delete()

    recommended = GalleryFactory(ordering="recommended", size=SIZE)
    GalleryRuleFactory(gallery=recommended, tags=["summer"])
    clicks, newcomers = run(recommended, rates, start, recommended=True, seed=11)

    top = [s.asset_id for s in AssetScore.objects.order_by("-score")[:GOOD]]
    assert len(good & set(top)) >= GOOD - 1, "the better assets rank at the top"
    first_page = [a.pk for a in gallery_assets(recommended)[:SIZE]]
    assert len(good & set(first_page)) >= GOOD - 1
    assert clicks > 1.5 * baseline, (clicks, baseline)
    shown_newcomers = AssetPerformance.objects.filter(asset__in=newcomers).values("asset")
    assert shown_newcomers.distinct().count() >= 1, "new assets get impressions"
