"""Group commit of collect batches (services.collect.Combined): batches that arrive while
another is being written go together in the next statement, and each request still
gets its own exact answer only after the commit that holds its events."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from analytics.events import ClockWindow, parse_event
from analytics.models import Event, EventReceipt, Session, Visitor
from analytics.services import collect as service
from tests.analytics.conftest import event
from ugc.models import Site

WAIT = 30  # seconds: a bound on every wait, so a broken combiner fails, not hangs


@pytest.fixture
def combined(monkeypatch):
    """A fresh combiner, whose first statement waits until `hold` more batches queue
    behind it; every statement's batch count is recorded in `sizes`."""
    fresh = service.Combined(writers=1)  # one statement at a time: the order is known
    monkeypatch.setattr(service, "_combined", fresh)
    real = service._store_new
    fresh.sizes, fresh.hold = [], 0

    def store_new(batches, *, claim):
        if not fresh.sizes:
            deadline = time.monotonic() + WAIT
            while len(fresh._queue) < fresh.hold and time.monotonic() < deadline:
                time.sleep(0.005)
        fresh.sizes.append(len(batches))
        return real(batches, claim=claim)

    monkeypatch.setattr(service, "_store_new", store_new)
    return fresh


def _clock() -> ClockWindow:
    return ClockWindow(timezone.now(), timedelta(days=7), timedelta(hours=1))


def _send(answers: list, index: int, site_id: int, raw: list[dict], ip_hash: str = "") -> None:
    """One batch from this thread: its Stored, or the exception raised, in answers."""
    try:
        clock = _clock()
        events = [parse_event(e, clock) for e in raw]
        answers[index] = service.store_events(
            site_id=site_id, events=events, received_at=clock.received_at,
            ip_hash=ip_hash, device_class="mobile",
        )  # fmt: skip
    except Exception as exc:
        answers[index] = exc
    finally:
        connection.close()


def _send_all(batches: list[tuple[int, list[dict]]], *, ip_hash: str = "") -> list:
    """Each (site id, raw events) from its own thread, the first one first; the answers
    (a Stored, or the exception raised) in the same order."""
    answers: list = [None] * len(batches)
    threads = [
        threading.Thread(target=_send, args=(answers, i, *b, ip_hash))
        for i, b in enumerate(batches)
    ]
    threads[0].start()
    deadline = time.monotonic() + WAIT
    while not service._combined._writing and time.monotonic() < deadline:
        time.sleep(0.001)  # the first is writing: the others queue behind it
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not any(thread.is_alive() for thread in threads)
    return answers


def test_batches_that_wait_go_in_one_statement_with_exact_counts(transactional_db, combined):
    shop = Site.objects.create(name="Shop", domain="shop.example")
    other = Site.objects.create(name="Other", domain="other.example")
    combined.hold = 3
    # The same session in three batches (one row, counted once per event), and the
    # same visitor and session ids on another site (rows of their own).
    batches = [
        (shop.id, [event(visitor_id="v_a", session_id="s_a") for _ in range(5)]),
        (shop.id, [event("add_to_cart", visitor_id="v_a", session_id="s_a")] * 1),
        (shop.id, [event(visitor_id="v_a", session_id="s_a") for _ in range(2)]
                  + [event(visitor_id="v_b", session_id="s_b")]),
        (other.id, [event(visitor_id="v_a", session_id="s_a") for _ in range(4)]),
    ]  # fmt: skip
    answers = _send_all(batches, ip_hash="f" * 32)
    assert combined.sizes == [1, 3]  # the first alone, the three that waited together
    assert [(a.accepted, a.duplicates) for a in answers] == [(5, 0), (1, 0), (3, 0), (4, 0)]
    assert Event.objects.filter(site_id=shop.id).count() == 9
    assert Event.objects.filter(site_id=other.id).count() == 4
    ours = Event.objects.filter(site_id__in=[shop.id, other.id])
    assert set(ours.values_list("ip_hash", flat=True)) == {"f" * 32}
    s_a = Session.objects.get(site=shop, session_id="s_a")
    assert (s_a.event_count, s_a.page_views, s_a.add_to_carts) == (8, 7, 1)
    assert s_a.device_class == "mobile"
    assert Session.objects.get(site=other, session_id="s_a").event_count == 4
    assert Visitor.objects.filter(site=shop).count() == 2
    assert Visitor.objects.filter(site=other).count() == 1
    ids = list(ours.values_list("event_id", flat=True))
    assert EventReceipt.objects.filter(event_id__in=ids).count() == 13


def test_the_same_id_in_two_waiting_batches_is_stored_once(transactional_db, combined):
    site = Site.objects.create(name="Shop", domain="shop.example")
    combined.hold = 2
    twice = event()
    answers = _send_all(
        [(site.id, [event()]), (site.id, [twice, event()]), (site.id, [dict(twice)])]
    )
    # The combined statement fails on the repeated id; each batch then goes alone.
    assert combined.sizes[:2] == [1, 2]
    assert sorted((a.accepted, a.duplicates) for a in answers) == [(0, 1), (1, 0), (2, 0)]
    assert Event.objects.filter(site_id=site.id).count() == 3
    assert Event.objects.filter(event_id=twice["event_id"]).count() == 1
    assert Session.objects.get(site=site, session_id="s_alice_1").event_count == 3


def test_an_id_stored_before_sends_only_its_batch_back_alone(transactional_db, combined):
    site = Site.objects.create(name="Shop", domain="shop.example")
    seen = event()
    (first,) = _send_all([(site.id, [seen])])
    assert first.accepted == 1
    combined.sizes.clear()
    combined.hold = 2
    answers = _send_all([(site.id, [event()]), (site.id, [event()]), (site.id, [seen, event()])])
    assert [(a.accepted, a.duplicates) for a in answers] == [(1, 0), (1, 0), (1, 1)]
    assert Event.objects.filter(site_id=site.id).count() == 4
    assert Session.objects.get(site=site, session_id="s_alice_1").event_count == 4


def test_a_lost_database_fails_every_batch_of_its_statement(
    transactional_db, combined, monkeypatch
):
    site = Site.objects.create(name="Shop", domain="shop.example")
    combined.hold = 2
    held = service._store_new  # the fixture's: the first statement waits for two more

    def lost(batches, *, claim):
        if len(batches) > 1:
            raise OperationalError("the database went away")
        return held(batches, claim=claim)

    monkeypatch.setattr(service, "_store_new", lost)
    answers = _send_all([(site.id, [event()]), (site.id, [event()]), (site.id, [event()])])
    assert answers[0].accepted == 1
    assert all(isinstance(answer, OperationalError) for answer in answers[1:])
    assert Event.objects.filter(site_id=site.id).count() == 1
    # The next batch is written: the combiner was handed on, not left stuck.
    assert _send_all([(site.id, [event()])])[0].accepted == 1


def test_a_second_statement_goes_while_the_first_waits_for_its_commit(
    transactional_db, monkeypatch
):
    site = Site.objects.create(name="Shop", domain="shop.example")
    combined = service.Combined(writers=2)
    monkeypatch.setattr(service, "_combined", combined)
    real, others_done, calls = service._store_new, threading.Event(), []

    def store_new(batches, *, claim):
        calls.append(len(batches))
        if len(calls) == 1:  # the first statement is held until the others have finished
            assert others_done.wait(WAIT), "the waiting batches waited behind the first"
        return real(batches, claim=claim)

    monkeypatch.setattr(service, "_store_new", store_new)
    answers: list = [None, None, None]
    first, second, third = (
        threading.Thread(target=_send, args=(answers, i, site.id, [event()])) for i in range(3)
    )
    first.start()
    deadline = time.monotonic() + WAIT
    while not calls and time.monotonic() < deadline:
        time.sleep(0.001)
    # A second writer starts only with a batch already waiting: the second batch
    # queues, the third takes it along in a statement of its own, beside the first.
    second.start()
    while not combined._queue and time.monotonic() < deadline:
        time.sleep(0.001)
    third.start()
    for thread in (second, third):
        thread.join(timeout=WAIT)
    others_done.set()
    first.join(timeout=WAIT)
    assert calls == [1, 2]
    assert [a.accepted for a in answers] == [1, 1, 1]
    assert Event.objects.filter(site_id=site.id).count() == 3


def test_the_batch_statement_is_short_enough_for_psycopg_to_convert_it_once():
    # psycopg caches the conversion of its %(name)s placeholders only for statements of
    # up to this many bytes; past it, every batch pays a regex pass over the text.
    from psycopg import _queries

    assert len(service.STORE_NEW.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
