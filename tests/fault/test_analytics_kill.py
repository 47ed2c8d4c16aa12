"""A worker SIGKILLed in the middle of a daily rollup or an attribution run: the
redelivered task finishes on the next worker, and the results equal a clean run's,
with no duplicate and no half-written row.

"The middle" is made exact: the test holds an exclusive lock on the table the task
writes last, waits until the worker's statement is queued behind it (its earlier
writes done, uncommitted), and kills the worker there.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from analytics.models import AttributionCredit, AttributionRun
from analytics.services.attribution_runs import execute_runs
from analytics.services.rollups import TABLES
from analytics.services.rollups import rollup_day as clean_rollup
from analytics.tasks import rollup_day, run_attributions
from config.queues import QUEUES
from core.database import libpq_dsn
from tests.analytics.test_journeys import day_d, make_story
from tests.support.worker import wait_until
from ugc.models import AssetPerformance

pytestmark = pytest.mark.worker

FAST_REDELIVERY = {
    "CELERY_TIME_LIMITS": ",".join(f"{queue}=6:8" for queue in QUEUES),
    "CELERY_VISIBILITY_TIMEOUT": "10",
}


@contextmanager
def table_locked(table: str):
    """Hold ACCESS EXCLUSIVE on a table from another connection until the block ends."""
    with psycopg.connect(libpq_dsn(connection.settings_dict)) as conn:
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
        conn.rollback()


def waiting_on(table: str) -> bool:
    with psycopg.connect(libpq_dsn(connection.settings_dict), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            [f"%{table}%"],
        ).fetchone()
    return row[0] > 0


def kill_while_waiting(worker, table: str) -> None:
    wait_until(lambda: waiting_on(table), timeout=60, what=f"the worker to wait on {table}")
    worker.kill()


def succeeded(worker, task_name: str) -> bool:
    return f"Task {task_name}[" in worker.log() and " succeeded in " in worker.log()


def snapshot() -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        out = {}
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3")  # noqa: S608
            # The first column is the row's id, which a rewrite renews: compare the rest.
            out[table] = sorted((row[1:] for row in cursor.fetchall()), key=repr)
        return out


def test_a_rollup_killed_half_way_is_redone_equal_to_a_clean_run(start_worker, producer):
    make_story()
    day = day_d()
    clean_rollup(day)
    clean = snapshot()
    assert any(clean.values()), "the day has something to roll up"

    first = start_worker(**FAST_REDELIVERY)
    with table_locked(TABLES[-1]):
        rollup_day.apply_async((day.isoformat(),), connection=producer)
        kill_while_waiting(first, TABLES[-1])
    assert snapshot() == clean, "the killed transaction left no half-written day"

    second = start_worker(**FAST_REDELIVERY)
    try:
        wait_until(lambda: succeeded(second, "analytics.tasks.rollup_day"), timeout=90,
                   what="the redelivered rollup")  # fmt: skip
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}\n{first.log()[-3000:]}\n{second.log()[-3000:]}") from exc
    assert snapshot() == clean


def credits(run_id: int) -> list[tuple]:
    rows = AttributionCredit.objects.filter(run_id=run_id)
    return sorted((r.level, r.key, round(r.conversions, 6), round(r.value, 3)) for r in rows)


def new_run() -> AttributionRun:
    d = day_d()
    return AttributionRun.objects.create(
        model="linear",
        level="asset",
        date_from=d - timedelta(days=2),
        date_to=d + timedelta(days=2),
    )


def test_an_attribution_run_killed_half_way_is_redone_equal_to_a_clean_run(start_worker, producer):
    make_story()
    killed = new_run()
    first = start_worker(**FAST_REDELIVERY)
    with table_locked(AttributionCredit._meta.db_table):
        run_attributions.apply_async(([killed.pk],), connection=producer)
        kill_while_waiting(first, AttributionCredit._meta.db_table)
    killed.refresh_from_db()
    assert killed.status == AttributionRun.Status.RUNNING and not credits(killed.pk)

    second = start_worker(**FAST_REDELIVERY)
    # Done, and the task finished: it sends the assets' revenue to ugc after marking
    # the run done, so reading the performance rows before that was a race.
    wait_until(
        lambda: (
            AttributionRun.objects.filter(pk=killed.pk, status="done").exists()
            and succeeded(second, "analytics.tasks.run_attributions")
        ),
        timeout=90,
        what="the redelivered run",
    )
    performance = AssetPerformance.objects.count()
    clean = new_run()
    execute_runs([clean.pk])
    assert credits(killed.pk) == credits(clean.pk) and credits(clean.pk)
    assert AssetPerformance.objects.count() == performance, "the same rows, not new ones"
