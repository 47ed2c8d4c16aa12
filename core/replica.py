"""Reads that may lag a little go to a read replica (DATABASE_REPLICA_URL), by choice.

Nothing reads from the replica unless the code says so with `replica_reads()` (or
the `reads_from_replica` decorator on a view): the analyst's dashboard and the KPI
API. Every write, and every read that must see a write just made (a request that
changes something, a task, the public galleries, whose takedowns must apply at
once), stays on the primary. Without a replica configured, the block reads the
primary.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar

REPLICA = "replica"
_reading_replica: ContextVar[bool] = ContextVar("reading_replica", default=False)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Within this block, reads go to the replica (when there is one)."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reads_from_replica(view):
    """A view (function, or a class-based view's method) whose reads may lag."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


def read_connection():
    """The connection raw SQL reads with: the replica inside replica_reads() (when there
    is one), else the primary. The router sees ORM queries only; a cursor must ask."""
    from django.conf import settings
    from django.db import connections

    if _reading_replica.get() and REPLICA in settings.DATABASES:
        return connections[REPLICA]
    return connections["default"]


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: the replica for reads inside replica_reads(), else
    the primary; the replica is never written to nor migrated (it follows the primary)."""

    def db_for_read(self, model, **hints):
        from django.conf import settings

        if _reading_replica.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
