"""A worker killed with SIGKILL mid-task: the task runs again, once, to completion."""

import pytest

from config.queues import QUEUES
from tests.support.worker import wait_until
from tests.workerapp.models import TaskAttempt, TaskEffect
from tests.workerapp.tasks import record_effect

pytestmark = pytest.mark.worker

# Short limits so the broker gives the message back within seconds; the
# visibility timeout still exceeds the hard limit, as settings require.
FAST_REDELIVERY = {
    "CELERY_TIME_LIMITS": ",".join(f"{queue}=6:8" for queue in QUEUES),
    "CELERY_VISIBILITY_TIMEOUT": "10",
}


def test_task_of_a_killed_worker_runs_again_on_the_next_worker(start_worker, producer):
    first = start_worker(**FAST_REDELIVERY)
    record_effect.apply_async(("killed", 42, 4.0), connection=producer)

    wait_until(
        lambda: TaskAttempt.objects.filter(key="killed").exists(),
        timeout=60,
        what="the first attempt to start",
    )
    first.kill()
    assert not TaskEffect.objects.filter(key="killed").exists(), "killed before its effect"

    start_worker(**FAST_REDELIVERY)
    effect = wait_until(
        lambda: TaskEffect.objects.filter(key="killed").first(),
        timeout=90,
        what="the redelivered task's effect",
    )
    assert effect.value == 42
    attempts = TaskAttempt.objects.filter(key="killed")
    assert attempts.count() == 2
    assert effect.written_by_pid == attempts.order_by("-started_at").first().worker_pid
    assert TaskEffect.objects.filter(key="killed").count() == 1
