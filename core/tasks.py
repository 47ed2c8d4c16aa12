"""What every task shares: the base class (late acks, retries of transient
errors with backoff and jitter) and the errors worth a retry."""

from __future__ import annotations

from celery.contrib.django.task import DjangoTask
from celery.exceptions import Reject


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

    Tasks must be idempotent (docs/architecture.md, rule 4): with late acks a task that died
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
