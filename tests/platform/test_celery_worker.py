"""A real worker process takes tasks from a real broker and writes to the database."""

import pytest

from config.celery import app
from config.queues import queue_for
from tests.support.worker import wait_until
from tests.workerapp.models import TaskAttempt, TaskEffect
from tests.workerapp.tasks import flaky_effect, record_effect

pytestmark = pytest.mark.worker


def test_worker_runs_a_task_sent_through_the_broker(start_worker, producer):
    worker = start_worker()
    record_effect.apply_async(("first", 7), connection=producer)

    effect = wait_until(
        lambda: TaskEffect.objects.filter(key="first").first(), timeout=60, what="the task's effect"
    )
    assert effect.value == 7
    # The effect came from the worker's pool process, not from this test process.
    assert effect.written_by_pid != worker.process.pid
    assert TaskAttempt.objects.filter(key="first").count() == 1


def test_running_a_task_twice_leaves_one_effect(start_worker, producer):
    start_worker()
    for _ in range(2):
        record_effect.apply_async(("twice", 3), connection=producer)

    wait_until(
        lambda: TaskAttempt.objects.filter(key="twice").count() == 2,
        timeout=60,
        what="two attempts",
    )
    assert TaskEffect.objects.filter(key="twice").count() == 1


def test_a_transient_error_is_retried_until_the_task_succeeds(start_worker, producer):
    start_worker()
    flaky_effect.apply_async(("flaky", 5), connection=producer)

    effect = wait_until(
        lambda: TaskEffect.objects.filter(key="flaky").first(),
        timeout=60,
        what="the retried task's effect",
    )
    assert effect.value == 5
    assert TaskAttempt.objects.filter(key="flaky").count() == 2


def test_tasks_are_routed_to_named_queues():
    assert queue_for("ugc.tasks.process_asset") == "media"
    assert queue_for("ugc.tasks.embed_asset") == "embeddings"
    assert queue_for("ugc.tasks.score_asset") == "scoring"
    assert queue_for("analytics.tasks.rollup_day") == "analytics"
    assert queue_for("tests.workerapp.tasks.record_effect") == "default"
    route = app.amqp.router.route({}, "ugc.tasks.process_asset")
    assert route["queue"].name == "media"


def test_tasks_get_their_queue_time_limits_and_late_acks(settings):
    task = app.tasks["tests.workerapp.tasks.record_effect"]
    soft, hard = settings.CELERY_QUEUE_TIME_LIMITS["default"]
    assert (task.soft_time_limit, task.time_limit) == (soft, hard)
    assert task.acks_late and task.reject_on_worker_lost
    assert settings.CELERY_VISIBILITY_TIMEOUT > settings.LONGEST_HARD_TIME_LIMIT
