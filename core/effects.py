"""After-commit effects: the one way code says "once this transaction commits,
do X" — queue a task, send a signal, drop a cache entry, delete a file.

An effect runs only if the transaction commits, and never raises into the code
that committed: by then the data is saved and the caller (often a request) has
succeeded, so an error here must not become a 500 for work that is on disk. A
task whose message could not be sent is logged; the row it was for still says
what is left to do (an asset still `received`, a run still `queued`), and that
owner's beat sweep sends it again (`ugc.tasks.requeue_stalled_assets`,
`analytics.tasks.requeue_stale_runs`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)


def after_commit(effect: Callable, *args, **kwargs) -> None:
    """Call effect(*args, **kwargs) once the current transaction commits (at once
    outside one); an error it raises is logged, not raised."""

    def run() -> None:
        try:
            effect(*args, **kwargs)
        except Exception:
            name = getattr(effect, "__qualname__", repr(effect))
            logger.exception("after-commit effect %s failed; its owner's sweep retries", name)

    transaction.on_commit(run)


def enqueue_after_commit(task, *args, **kwargs) -> None:
    """Send a Celery task once the current transaction commits, so it never runs
    before the rows it needs are visible; a broker that is down is logged, not raised."""
    after_commit(task.apply_async, args, kwargs)
