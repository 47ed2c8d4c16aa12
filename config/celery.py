"""The Celery app: named queues, routing, time limits and at-least-once delivery.

Tasks are routed to queues by name (see `route_task`), so a task never names
its own queue and operators can give each group of queues its own workers:
media work is heavy and slow, analytics is bursty, `default` is everything
small. Every task inherits `PlatformTask` (core/tasks.py): late acks (a task is acknowledged
only after it ran), retry with exponential backoff and jitter on transient
errors, and the soft/hard time limits of its queue.
"""

from __future__ import annotations

import os

import kombu.transport
from celery import Celery
from django.conf import settings

from config.queues import DEFAULT_QUEUE, QUEUES, queue_for
from core.tasks import PlatformTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# The embedded broker: our PostgreSQL transport (core/broker.py).
kombu.transport.TRANSPORT_ALIASES.setdefault("pgqueue", "core.broker:Transport")


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


app = Celery("ugc_platform", task_cls=PlatformTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
