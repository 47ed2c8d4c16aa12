"""The beat tasks of collection in a real worker over a real broker, and their routing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection

from analytics import tasks
from analytics.services.partitions import event_partitions, next_month, partition_name
from config.queues import queue_for
from tests.support.worker import wait_until


def test_the_beat_schedule_runs_both_tasks_on_the_analytics_queue():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for task in (tasks.create_event_partitions, tasks.drop_expired_event_partitions):
        assert task.name in scheduled
        assert queue_for(task.name) == "analytics"


@pytest.mark.worker
def test_a_worker_remakes_a_missing_partition_ahead(start_worker, producer):
    month = datetime.now(UTC).date().replace(day=1)
    for _ in range(settings.ANALYTICS_PARTITIONS_AHEAD):
        month = next_month(month)
    furthest = partition_name(month)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {furthest}")
    assert furthest not in event_partitions()
    start_worker()
    tasks.create_event_partitions.apply_async(connection=producer)
    wait_until(lambda: furthest in event_partitions(), timeout=90, what="the partition")
    # Run again (a duplicate beat tick): nothing new, nothing broken.
    tasks.create_event_partitions.apply_async(connection=producer)
    tasks.drop_expired_event_partitions.apply_async(connection=producer)
    assert furthest in event_partitions()
