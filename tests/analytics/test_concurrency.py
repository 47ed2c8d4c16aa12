"""Concurrent batches for the same visitors and sessions: no deadlock, exact counts."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from analytics.events import ClockWindow, parse_event
from analytics.models import Event, Session, Visitor
from analytics.services.collect import store_events
from tests.analytics.conftest import event
from ugc.models import Site

THREADS = 4
BATCHES = 8


def _send(site_id: int, batches, errors):
    try:
        for raw in batches:
            clock = ClockWindow(timezone.now(), timedelta(days=7), timedelta(hours=1))
            events = [parse_event(e, clock) for e in raw]
            store_events(site_id=site_id, events=events, received_at=clock.received_at,
                         ip_hash="", device_class="desktop")  # fmt: skip
    except Exception as exc:
        errors.append(exc)
    finally:
        connection.close()


def test_concurrent_batches_of_the_same_sessions_count_exactly(transactional_db):
    site = Site.objects.create(name="Shop", domain="shop.example")

    # Every batch touches the same two visitors and sessions, in opposite orders.
    def one_batch(flip):
        pair = [("v_a", "s_a"), ("v_b", "s_b")][:: -1 if flip else 1]
        return [event(visitor_id=v, session_id=s) for v, s in pair for _ in range(10)]

    work = [[one_batch((t + b) % 2) for b in range(BATCHES)] for t in range(THREADS)]
    errors: list = []
    threads = [threading.Thread(target=_send, args=(site.id, w, errors)) for w in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    per_session = THREADS * BATCHES * 10
    assert Event.objects.filter(site_id=site.id).count() == 2 * per_session
    for session_id in ("s_a", "s_b"):
        assert Session.objects.get(site=site, session_id=session_id).event_count == per_session
    assert Visitor.objects.filter(site=site).count() == 2
