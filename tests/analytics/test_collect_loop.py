"""Group commit on an event loop (services.collect.LoopCombined, the collector's writer):
batches that wait go together in one statement, each caller is answered with its own
exact counts after the commit, and every statement that fails goes the sync way."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection, connections
from django.utils import timezone

from analytics.events import ClockWindow, parse_event
from analytics.models import Event, Session
from analytics.services import collect as service
from analytics.services.partitions import partition_name
from tests.analytics.conftest import event
from ugc.models import Site

WAIT = 30  # seconds: a bound on every wait, so a stuck writer fails, not hangs


@pytest.fixture
def site(transactional_db):
    return Site.objects.create(name="Shop", domain="shop.example")


def run(scenario):
    """Run `scenario(writer)` on a new loop, with one worker thread whose database
    connection is closed at the end (the test database is dropped after the run)."""

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(1))
        writer = service.LoopCombined()
        try:
            return await asyncio.wait_for(scenario(writer), WAIT)
        finally:
            await writer.close()
            await loop.run_in_executor(None, connections.close_all)

    return asyncio.run(main())


def store(writer, site, raw, received_at=None):
    received_at = received_at or timezone.now()
    clock = ClockWindow(received_at, timedelta(days=7), timedelta(hours=1))
    return writer.store_events(
        site_id=site.id, events=[parse_event(e, clock) for e in raw],
        received_at=received_at, ip_hash="h", device_class="mobile",
    )  # fmt: skip


def counted(statements: list):
    """A STORE_NEW whose calls record their batch counts in `statements`."""
    real = service.statement_params

    def params(batches, *, claim):
        statements.append(len(batches))
        return real(batches, claim=claim)

    return params


def test_batches_that_wait_go_in_one_statement_with_exact_counts(site, monkeypatch):
    statements: list[int] = []
    monkeypatch.setattr(service, "statement_params", counted(statements))
    seen = event()

    async def scenario(writer):
        first = await store(writer, site, [seen])
        # Sent together: the first goes at once, the others wait and go in one statement.
        rest = await asyncio.gather(
            store(writer, site, [event()]),
            store(writer, site, [event(), event("add_to_cart")]),
            store(writer, site, [event(), event(), dict(seen)]),  # dict(seen): a duplicate
            store(writer, site, [event("lead", visitor_id="v_bob", session_id="s_bob")]),
        )
        return first, rest

    first, rest = run(scenario)
    assert (first.accepted, first.duplicates) == (1, 0)
    assert [(s.accepted, s.duplicates) for s in rest] == [(1, 0), (2, 0), (2, 1), (1, 0)]
    assert Event.objects.filter(site_id=site.id).count() == 7
    assert Session.objects.get(site=site, session_id="s_alice_1").event_count == 6
    assert Session.objects.get(site=site, session_id="s_bob").leads == 1
    # 1, then one statement of the four (it failed on the seen id: each went alone).
    assert statements[:2] == [1, 4] and len(statements) > 2


def test_events_without_a_session_get_one(site):
    run(lambda writer: store(writer, site, [event(session_id=None), event(session_id="")]))
    sessions = {e.session_id for e in Event.objects.filter(site_id=site.id)}
    assert len(sessions) == 1 and sessions.pop().startswith(service.AUTO_SESSION)


def test_a_month_without_its_partition_gets_it(site):
    later = datetime(2035, 6, 15, 12, tzinfo=UTC)
    try:
        stored = run(lambda writer: store(writer, site, [event(), event()], received_at=later))
        assert stored.accepted == 2
        assert Event.objects.filter(site_id=site.id, received_at=later).count() == 2
    finally:
        with connection.cursor() as cursor:
            for month in range(5, 10):  # what ensure_event_partitions made around June
                name = partition_name(datetime(2035, month, 1).date())
                cursor.execute(f"DROP TABLE IF EXISTS {name}")


def test_a_lost_connection_fails_its_batches_then_the_writer_connects_again(site):
    async def scenario(writer):
        before = await store(writer, site, [event()])
        pid = writer._conn.info.backend_pid
        await asyncio.to_thread(_terminate, pid)
        with pytest.raises(OperationalError):
            await store(writer, site, [event()])  # what the endpoint answers with a 503
        after = await store(writer, site, [event(), event()])
        return before, after, writer._conn.info.backend_pid != pid

    before, after, reconnected = run(scenario)
    assert (before.accepted, after.accepted, reconnected) == (1, 2, True)
    assert Event.objects.filter(site_id=site.id).count() == 3


def _terminate(pid: int) -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    connections.close_all()
