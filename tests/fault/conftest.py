"""Fixtures of the fault tests: private servers that a test may stop and start.

The embedded PostgreSQL and the machine's Redis serve every other test run at the same
time, so a test that breaks a server starts its own.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.fault.servers import PrivatePostgres


@pytest.fixture(scope="session")
def _private_postgres_server():
    from core.embedded_postgres import _quiet_runtime_dir

    _quiet_runtime_dir()
    import pgserver

    # Not pytest's tmp_path: run as root, pgserver starts PostgreSQL as its own user,
    # which must be able to reach the data directory through its parent.
    parent = Path(tempfile.mkdtemp(prefix="fault-pg-"))
    parent.chmod(0o755)
    server = PrivatePostgres(pgserver.get_server(parent / "pg", cleanup_mode="stop"))
    yield server
    if server.running():
        server.stop()
    # Stopped and removed here: pgserver's own exit hook has nothing left to do.
    atexit.unregister(server.server._cleanup)
    pgserver.PostgresServer._instances.pop(server.server.pgdata, None)
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def private_postgres(_private_postgres_server):
    """A PostgreSQL of the fault tests alone, running; a test may stop it (it is
    started again after)."""
    server = _private_postgres_server
    if not server.running():
        server.start()
    yield server
    if not server.running():
        server.start()
