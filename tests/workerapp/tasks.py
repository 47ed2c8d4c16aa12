"""Idempotent test tasks: an attempt is logged, then the effect is upserted."""

import os
import time

from celery import shared_task

from tests.workerapp.models import TaskAttempt, TaskEffect


@shared_task
def record_effect(key: str, value: int, seconds: float = 0.0) -> None:
    TaskAttempt.objects.create(key=key, worker_pid=os.getpid())
    time.sleep(seconds)  # stands for real work; a kill lands here
    TaskEffect.objects.get_or_create(
        key=key, defaults={"value": value, "written_by_pid": os.getpid()}
    )


@shared_task
def flaky_effect(key: str, value: int) -> None:
    """Fails with a transient database error on its first run, then succeeds."""
    from django.db import OperationalError

    TaskAttempt.objects.create(key=key, worker_pid=os.getpid())
    if TaskAttempt.objects.filter(key=key).count() == 1:
        raise OperationalError("connection reset (simulated transient outage)")
    TaskEffect.objects.get_or_create(
        key=key, defaults={"value": value, "written_by_pid": os.getpid()}
    )
