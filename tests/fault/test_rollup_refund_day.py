"""A day whose refunds exceed its sales still reaches ugc's performance snapshot.

Found by the rollup kill test: the redelivered task failed, and would fail on
every retry, because an asset's day netted -20 and ugc refuses negative revenue.
"""

import pytest

from analytics.models import DailyAssetStats
from analytics.services.rollups import push_asset_performance, rollup_day
from tests.analytics.test_journeys import day_d, make_story
from ugc.models import AssetPerformance

pytestmark = pytest.mark.django_db


def test_a_net_refund_day_is_pushed_as_no_revenue():
    make_story()
    day = day_d()
    rollup_day(day)
    assert DailyAssetStats.objects.filter(day=day, revenue__lt=0).exists(), "a net-refund day"
    assert push_asset_performance(day) >= 1
    pushed = AssetPerformance.objects.filter(day=day, source="rollup")
    assert pushed.exists() and all(row.revenue == 0 for row in pushed)
