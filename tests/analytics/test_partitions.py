"""Monthly event partitions: made ahead (task, migrate), dropped whole past retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from analytics import tasks
from analytics.events import ClockWindow, parse_event
from analytics.models import Event, EventReceipt
from analytics.services.collect import store_events
from analytics.services.partitions import (
    drop_expired_event_partitions,
    ensure_event_partitions,
    event_partitions,
)
from tests.analytics.conftest import event

FAR = datetime(2041, 5, 17, 12, tzinfo=UTC)  # a future no other test reaches


def _drop(names):
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


@pytest.fixture
def far_partitions(db):
    made = []
    yield made
    _drop(
        [
            n
            for n in event_partitions()
            if n.startswith(("analytics_event_y2040", "analytics_event_y2041"))
        ]
    )


def test_migrate_made_this_month_and_the_next_ones(db):
    now = datetime.now(UTC)
    names = event_partitions()
    assert f"analytics_event_y{now.year:04d}m{now.month:02d}" in names
    assert len([n for n in names if n >= f"analytics_event_y{now.year:04d}m{now.month:02d}"]) >= 4


def test_the_task_makes_partitions_ahead_and_is_idempotent(far_partitions, settings):
    settings.ANALYTICS_PARTITIONS_AHEAD = 2
    made = ensure_event_partitions(now=FAR)
    assert made == [
        "analytics_event_y2041m04", "analytics_event_y2041m05",
        "analytics_event_y2041m06", "analytics_event_y2041m07",
    ]  # fmt: skip
    assert ensure_event_partitions(now=FAR) == []
    assert tasks.create_event_partitions.run() == []  # this month's exist already


def _store_at(moment, site_id=1):
    clock = ClockWindow(moment, timedelta(days=7), timedelta(hours=1))
    row = event(client_time=int(moment.timestamp() * 1000))
    store_events(site_id=site_id, events=[parse_event(row, clock)], received_at=moment,
                 ip_hash="", device_class="desktop")  # fmt: skip
    return row["event_id"]


def test_a_month_without_a_partition_gets_one_on_write(far_partitions, site):
    assert "analytics_event_y2041m05" not in event_partitions()
    event_id = _store_at(FAR, site.id)
    assert "analytics_event_y2041m05" in event_partitions()
    assert Event.objects.filter(event_id=event_id, received_at=FAR).exists()


def test_retention_drops_whole_old_months_and_keeps_the_rest(far_partitions, site):
    old, recent = datetime(2040, 1, 10, tzinfo=UTC), datetime(2040, 3, 10, tzinfo=UTC)
    old_id, recent_id = _store_at(old, site.id), _store_at(recent, site.id)
    now = datetime(2040, 3, 20, tzinfo=UTC)
    dropped = drop_expired_event_partitions(now=now, retention_days=45)  # cutoff 2040-02-04
    assert "analytics_event_y2040m01" in dropped
    assert "analytics_event_y2040m02" not in dropped  # its end is after the cutoff
    assert not Event.objects.filter(event_id=old_id).exists()
    assert Event.objects.filter(event_id=recent_id).exists()
    assert not EventReceipt.objects.filter(event_id=old_id).exists()
    assert EventReceipt.objects.filter(event_id=recent_id).exists()


def test_retention_zero_keeps_everything(far_partitions):
    assert drop_expired_event_partitions(now=FAR, retention_days=0) == []


def test_the_retention_task_uses_the_setting(db, settings):
    settings.ANALYTICS_EVENT_RETENTION_DAYS = 365 * 50  # nothing is that old
    assert tasks.drop_expired_event_partitions.run() == []
