"""The Celery app: named queues, routing, time limits and at-least-once delivery.

Tasks are routed to queues by name (see `route_task`), so a task never names
its own queue and operators can give each group of queues its own workers:
media work is heavy and slow, analytics is bursty, `default` is everything
small. Every task inherits `PlatformTask`: late acks (a task is acknowledged
only after it ran), retry with exponential backoff and jitter on transient
errors, and the soft/hard time limits of its queue.
"""

from __future__ import annotations

import os

import kombu.transport
from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.exceptions import Reject
from django.conf import settings

from config.queues import DEFAULT_QUEUE, QUEUES, queue_for

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# The embedded broker: our PostgreSQL transport (config/broker.py).
kombu.transport.TRANSPORT_ALIASES.setdefault("pgqueue", "config.broker:Transport")


def route_task(name, args, kwargs, options, task=None, **kw):
    return {"queue": queue_for(name)}


def time_limits(queue: str) -> tuple[int, int]:
    limits = getattr(settings, "CELERY_QUEUE_TIME_LIMITS", QUEUES)
    return limits.get(queue, limits[DEFAULT_QUEUE])


class QueueTimeLimits:
    """Task annotation: each task gets its queue's soft and hard time limits."""

    def annotate(self, task):
        soft, hard = time_limits(queue_for(task.name))
        return {"soft_time_limit": soft, "time_limit": hard}


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors worth a retry: the database or broker was briefly unreachable."""
    import psycopg
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerOperationalError

    return (
        OperationalError,
        InterfaceError,
        psycopg.OperationalError,
        BrokerOperationalError,
        ConnectionError,
        TimeoutError,
    )


class PlatformTask(DjangoTask):
    """Base of every task: retries transient failures with backoff and jitter.

    A DjangoTask, so request code can enqueue with `delay_on_commit()`.

    Tasks must be idempotent (DESIGN.md §4.4): with late acks a task that died
    half-way runs again, and a retry runs the whole task again.
    """

    acks_late = True
    reject_on_worker_lost = True
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8

    @property
    def autoretry_for(self):  # resolved lazily: Django must be set up first
        return transient_errors()

    def retry(self, *args, **kwargs):
        try:
            return super().retry(*args, **kwargs)
        except Reject as reject:
            # Celery rejects the message for good when it cannot send the retry: with the
            # broker (or, embedded, the database) down, the task would be lost. Give the
            # message back instead; it runs again once the broker is reachable.
            if reject.requeue or not isinstance(reject.reason, transient_errors()):
                raise
            raise Reject(reject.reason, requeue=True) from reject


app = Celery("ugc_platform", task_cls=PlatformTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
