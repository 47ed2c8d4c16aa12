"""Rescoring in a real worker over a real broker, on the `scoring` queue: twice gives
the same scores."""

from __future__ import annotations

import datetime as dt

import pytest

from config.queues import queue_for
from tests.support.worker import wait_until
from tests.ugc.factories import AssetFactory
from ugc.models import AssetScore, ScoringRun
from ugc.services.performance import record_asset_performance
from ugc.tasks import rescore_library, rescore_new_data

pytestmark = pytest.mark.worker


def snapshot():
    return dict(AssetScore.objects.values_list("asset_id", "score"))


def test_rescoring_runs_on_the_scoring_queue_and_twice_gives_the_same_result(
    start_worker, producer
):
    from config.celery import app

    for task in (rescore_library, rescore_new_data):
        assert queue_for(task.name) == "scoring"
        assert app.amqp.router.route({}, task.name)["queue"].name == "scoring"
    assets = [AssetFactory(processing_state="in_review", quality_score=0.5) for _ in range(12)]
    for i, asset in enumerate(assets):
        record_asset_performance(
            asset_id=asset.pk,
            day=dt.date(2026, 11, 1),
            gallery_impressions=500,
            clicks=5 + 3 * i,
            conversions=i % 3,
            revenue=10 * i,
            source="rollup",
        )
    worker = start_worker()
    rescore_library.apply_async(connection=producer)
    wait_until(lambda: ScoringRun.objects.count() == 1, timeout=60, what="first run")
    first = snapshot()
    assert len(first) == len(assets)
    rescore_library.apply_async(connection=producer)
    rescore_new_data.apply_async(connection=producer)
    wait_until(lambda: ScoringRun.objects.count() == 3, timeout=60, what="two more runs")
    assert snapshot() == first, worker.log()[-3000:]
    assert "rescore_library" in worker.log()
