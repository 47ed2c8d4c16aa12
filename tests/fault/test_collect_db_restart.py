"""A database restart: the collect endpoint answers 503 with Retry-After while the
database is down, and stores again once it is back, without a web restart.

The shared embedded PostgreSQL serves other test runs, so this test starts a
private one (pgserver, in a temporary directory), migrates it, points a real
gunicorn at it through DATABASE_URL, and stops and starts that server.
"""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.analytics.web import batch, free_port, post_batch, start_collector, start_web
from tests.support.procs import run_python

pytestmark = pytest.mark.worker

NAME = "collect_restart"
MAKE_SITE = """
import django; django.setup()
from ugc.models import Site
print(Site.objects.create(name="Shop", domain="shop.example").publishable_key)
"""


# gthread, as the web process runs in production: a batch goes through the worker's
# combiner; the collector, production's collect server: through its event loop's.
SERVERS = {
    "gunicorn": lambda port, env, log: start_web(port, env, log, workers=1, threads=4),
    "collector": lambda port, env, log: start_collector(port, env, log, workers=1),
}


@pytest.mark.parametrize("server", list(SERVERS))
def test_collect_answers_503_during_a_database_restart_then_recovers(
    private_postgres, tmp_path, server
):
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": private_postgres.create_database(NAME),
        "DATABASE_RETRY_AFTER_SECONDS": "3",
    }
    made = run_python(MAKE_SITE, env=env)
    assert made.returncode == 0, made.stderr[-3000:]
    key = made.stdout.strip().splitlines()[-1]

    port = free_port()
    web = SERVERS[server](port, env, tmp_path / "web.log")
    try:
        status, body, _ = post_batch(port, key, batch("v_before"))
        assert status == 202 and body["accepted"] == 50, body

        private_postgres.stop()
        status, body, headers = post_batch(port, key, batch("v_during"))
        assert status == 503, (status, body, web.log_tail())
        assert headers["Retry-After"] == "3"
        assert headers["Content-Type"].startswith("application/problem+json")
        assert "database" in body["detail"]

        private_postgres.start()
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
