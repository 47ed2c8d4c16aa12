"""The web process SIGKILLed while clients post batches: no acknowledged event is
lost, none is stored twice, and clients that resend everything add no duplicates."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from tests.analytics.web import batch, free_port, post_batch, start_collector, start_web
from tests.support.worker import database_env
from ugc.models import Site

pytestmark = pytest.mark.worker

CLIENTS = 6
BATCHES_PER_CLIENT = 25


def _send_all(port, key, batches, outcomes, stop):
    for index, events in batches:
        if stop.is_set():
            return
        try:
            status, body, _ = post_batch(port, key, events, timeout=20)
        except OSError:
            status, body = None, None
        outcomes[index] = (status, body)


def _stored_counts(site_id: int) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_id::text, count(*) FROM analytics_event WHERE site_id = %s "
            "GROUP BY event_id",
            [site_id],
        )
        return dict(cursor.fetchall())


# gthread workers (the web app, as production runs it) write the batches that wait for
# one another in one statement (analytics.services.collect.Combined); the collector
# (production's collect server) does it on an event loop (LoopCombined). A batch
# written alone (sync workers) is the path both take when clients resend, below.
SERVERS = {
    "gthread": lambda port, env, log: start_web(port, env, log, threads=8),
    "collector": lambda port, env, log: start_collector(port, env, log, workers=2),
}
# The server the clients resend everything to: one collector process is enough, and
# starts in half the time of two (each imports Django on its own).
RESEND_SERVERS = {**SERVERS, "collector": lambda port, env, log: start_collector(port, env, log)}


@pytest.mark.parametrize("server", list(SERVERS))
def test_a_killed_web_process_loses_no_acknowledged_event_and_duplicates_none(
    transactional_db, tmp_path, server
):
    site = Site.objects.create(name="Shop", domain="shop.example", allowed_origins=[])
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", **database_env()}
    port = free_port()
    web = SERVERS[server](port, env, tmp_path / "web.log")
    all_batches = [(i, batch(f"v{i % CLIENTS}_{i}")) for i in range(CLIENTS * BATCHES_PER_CLIENT)]
    outcomes: dict[int, tuple] = {}
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_send_all,
            args=(port, site.publishable_key, all_batches[c::CLIENTS], outcomes, stop),
        )
        for c in range(CLIENTS)
    ]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while sum(1 for s, _ in outcomes.values() if s == 202) < 20:
            assert time.monotonic() < deadline, web.log_tail()
            time.sleep(0.01)
        web.kill()  # SIGKILL to the whole group: master and workers, mid-request
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stop.set()
        if web.running():
            web.kill()

    acknowledged = [i for i, (s, _) in outcomes.items() if s == 202]
    unanswered = [i for i, (s, _) in outcomes.items() if s is None]
    assert acknowledged and unanswered, "the kill should land while batches were in flight"
    counts = _stored_counts(site.id)
    assert all(n == 1 for n in counts.values()), "an event stored twice"
    for index in acknowledged:
        events = all_batches[index][1]
        assert all(e["event_id"] in counts for e in events), f"batch {index} acknowledged, lost"

    # The clients retry everything on a new server: nothing already stored comes twice.
    web = RESEND_SERVERS[server](port, env, tmp_path / "web2.log")
    try:
        accepted = duplicates = 0
        for _, events in all_batches:
            status, body, _ = post_batch(port, site.publishable_key, events)
            assert status == 202, body
            accepted += body["accepted"]
            duplicates += body["duplicates"]
    finally:
        web.stop()
    total = CLIENTS * BATCHES_PER_CLIENT * 50
    assert duplicates == len(counts)
    assert accepted == total - len(counts)
    final = _stored_counts(site.id)
    assert len(final) == total and all(n == 1 for n in final.values())
