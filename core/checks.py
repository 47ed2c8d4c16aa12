"""Start-up checks that must stop a process with one clear message."""

from __future__ import annotations

import logging
import sys
import warnings

from django.db import OperationalError, connection

from core.database import describe, vector_problem

logger = logging.getLogger(__name__)


def require_vector_extension() -> None:
    """Exit with a plain message (no traceback) if the server lacks pgvector.

    An unreachable database is not fatal here: web processes must still start
    and answer /readyz with 503, and workers retry their connections.
    """
    try:
        with warnings.catch_warnings():
            # Django discourages queries in ready(); this one is the point:
            # fail at start-up, not on the first request that needs a vector.
            warnings.simplefilter("ignore", RuntimeWarning)
            problem = vector_problem(connection)
    except OperationalError as exc:
        logger.warning(
            "database %s unreachable at start-up: %s",
            describe(connection.settings_dict),
            str(exc).strip(),
        )
        return
    finally:
        # Never hand an open connection to processes forked after start-up.
        connection.close()
    if problem:
        sys.stderr.write(problem)
        sys.stderr.flush()
        raise SystemExit(2)
