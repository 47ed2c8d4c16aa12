"""A database restart: the collect endpoint answers 503 with Retry-After while the
database is down, and stores again once it is back, without a web restart.

The shared embedded PostgreSQL serves other test runs, so this test starts a
private one (pgserver, in a temporary directory), migrates it, points a real
gunicorn at it through DATABASE_URL, and stops and starts that server.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from config.database import database_url
from config.embedded_postgres import _quiet_runtime_dir
from tests.analytics.web import batch, free_port, post_batch, start_web
from tests.support.procs import run_manage, run_python

pytestmark = pytest.mark.worker

NAME = "collect_restart"
MAKE_SITE = """
import django; django.setup()
from ugc.models import Site
print(Site.objects.create(name="Shop", domain="shop.example").publishable_key)
"""


@pytest.fixture
def private_postgres():
    _quiet_runtime_dir()
    import pgserver

    # Not pytest's tmp_path: run as root, pgserver starts PostgreSQL as its own user,
    # which must be able to reach the data directory through its parent.
    parent = Path(tempfile.mkdtemp(prefix="collect-restart-"))
    parent.chmod(0o755)
    server = pgserver.get_server(parent / "pg", cleanup_mode="stop")
    yield server
    if server.get_postmaster_info().is_running():
        _stop(server)
    # Stopped and removed here: pgserver's own exit hook has nothing left to do.
    atexit.unregister(server._cleanup)
    pgserver.PostgresServer._instances.pop(server.pgdata, None)
    shutil.rmtree(parent, ignore_errors=True)


def _stop(server) -> None:
    import pgserver

    pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def _start(server) -> None:
    import pgserver

    with pgserver.PostgresServer._lock:
        server.ensure_postgres_running()


def _database_url(server) -> str:
    info = server.get_postmaster_info()
    db = {"USER": "postgres", "HOST": str(info.socket_dir), "PORT": info.port or 5432}
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user="postgres", dbname="postgres",
                         autocommit=True) as conn:  # fmt: skip
        conn.execute(f"CREATE DATABASE {NAME}")
    return database_url(db, name=NAME)


def test_collect_answers_503_during_a_database_restart_then_recovers(private_postgres, tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": _database_url(private_postgres),
        "DATABASE_RETRY_AFTER_SECONDS": "3",
    }
    migrated = run_manage("migrate", "--no-input", env=env, timeout=600)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    made = run_python(MAKE_SITE, env=env)
    assert made.returncode == 0, made.stderr[-3000:]
    key = made.stdout.strip().splitlines()[-1]

    port = free_port()
    web = start_web(port, env, tmp_path / "web.log", workers=1)
    try:
        status, body, _ = post_batch(port, key, batch("v_before"))
        assert status == 202 and body["accepted"] == 50, body

        _stop(private_postgres)
        status, body, headers = post_batch(port, key, batch("v_during"))
        assert status == 503, (status, body, web.log_tail())
        assert headers["Retry-After"] == "3"
        assert headers["Content-Type"].startswith("application/problem+json")
        assert "database" in body["detail"]

        _start(private_postgres)
        after = batch("v_after")
        deadline = time.monotonic() + 60
        while True:
            status, body, _ = post_batch(port, key, after)
            if status == 202:
                break
            assert status == 503, (status, body)  # never a 500 on the way back
            assert time.monotonic() < deadline, web.log_tail()
            time.sleep(0.5)
        assert body["accepted"] == 50
        assert web.running(), "the web process recovered by itself"
    finally:
        web.stop()
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        visitors = dict(conn.execute(
            "SELECT visitor_id, count(*) FROM analytics_event GROUP BY visitor_id"
        ).fetchall())  # fmt: skip
    assert visitors == {"v_before": 50, "v_after": 50}
