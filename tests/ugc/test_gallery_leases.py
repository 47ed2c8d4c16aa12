"""Gallery invalidations pushed to each web process under a lease (ugc/delivery/leases.py):
with a Redis cache a hot gallery is answered from memory with no round trip, and a
takedown still reaches the next answer: in this process, in other processes, and when a
process cannot read the invalidation (the change then waits its lease out)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from redis import exceptions as redis_errors
from rest_framework.test import APIClient

from tests.analytics.web import free_port, start_web
from tests.support.redis import require_redis
from tests.support.worker import database_env
from tests.ugc.gallery_support import (  # noqa: F401
    ORIGIN,
    clear_cache,
    fetch,
    make_gallery,
    redis_cache,
    round_trips,
)
from ugc.delivery import cache as gallery_cache
from ugc.delivery import hot
from ugc.delivery import leases as gallery_leases
from ugc.delivery.keys import key_ident
from ugc.delivery.throttles import throttle_window
from ugc.services import rights


def shown_ids(gallery) -> list[int]:
    response = fetch(APIClient(), gallery, {"Origin": ORIGIN})
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def until(check, seconds: float = 5.0, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.01)
    raise AssertionError(f"{what}: not within {seconds} s")


def hot_and_leased(gallery) -> list[int]:
    """Serve the gallery until this process holds a lease and the answer is confirmed
    under it (the next answers come from memory); the ids it shows."""
    ids = shown_ids(gallery)
    until(lambda: hot._lease_generation() is not None, what="a lease")
    assert shown_ids(gallery) == ids  # confirmed once under the lease
    return ids


@pytest.fixture
def leased_gallery(db):
    with redis_cache():
        yield make_gallery()


def test_under_a_lease_a_hot_answer_asks_the_cache_nothing(leased_gallery, monkeypatch):
    ids = hot_and_leased(leased_gallery)
    calls = round_trips(monkeypatch)
    for _ in range(5):
        assert shown_ids(leased_gallery) == ids
    assert calls == []


def test_without_a_redis_every_hot_answer_still_asks_the_cache(db, monkeypatch):
    gallery = make_gallery()  # local memory: no lease
    calls = round_trips(monkeypatch)
    for _ in range(4):
        shown_ids(gallery)
    assert len(calls) == 3  # the first went through the full view
    assert hot._lease_generation() is None


def test_under_a_lease_a_takedown_reaches_the_next_answer(
    leased_gallery, django_capture_on_commit_callbacks
):
    ids = hot_and_leased(leased_gallery)
    taken_down = leased_gallery.pins.get(position=1).asset
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        rights.revoke(taken_down)
    waited = time.monotonic() - started
    assert shown_ids(leased_gallery) == [i for i in ids if i != taken_down.pk]
    # This process read the invalidation and acknowledged it: no lease waited out.
    assert waited < gallery_leases.lease_seconds() / 2


def test_a_change_waits_out_the_lease_of_a_process_that_cannot_read_it(
    leased_gallery, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.GALLERY_LEASE_SECONDS = 1.0
    ids = hot_and_leased(leased_gallery)
    watcher = gallery_leases.watcher(hot._redis())
    until(lambda: watcher.current() is not None, what="a one-second lease")
    # The process's watcher is stuck (as under a long pause): it neither counts nor
    # acknowledges the invalidation, and cannot renew its lease.
    release = threading.Event()
    monkeypatch.setattr(gallery_leases.Watcher, "_handle", lambda *args: release.wait(30))
    try:
        taken_down = leased_gallery.pins.get(position=0).asset
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            rights.revoke(taken_down)
        waited = time.monotonic() - started
        assert watcher.current() is None  # the change outlasted the lease
        assert shown_ids(leased_gallery) == [i for i in ids if i != taken_down.pk]
        assert 0.5 <= waited <= 2.0
    finally:
        release.set()


def test_a_publication_that_fails_once_is_sent_again(
    leased_gallery, monkeypatch, django_capture_on_commit_callbacks
):
    ids = hot_and_leased(leased_gallery)
    failures = [redis_errors.ConnectionError("connection reset")]
    original = gallery_leases._PUBLISH_SCRIPT

    def flaky_eval(script, *args):
        if script == original and failures:
            raise failures.pop()
        return real_eval(script, *args)

    client = gallery_cache.cache._cache.get_client(write=True)
    real_eval = client.eval
    monkeypatch.setattr(type(client), "eval", lambda self, script, *args: flaky_eval(script, *args))
    taken_down = leased_gallery.pins.get(position=0).asset
    with django_capture_on_commit_callbacks(execute=True):
        rights.revoke(taken_down)
    assert failures == []  # it failed once, and was sent again
    assert shown_ids(leased_gallery) == [i for i in ids if i != taken_down.pk]


def test_a_publication_that_keeps_failing_is_raised(leased_gallery, monkeypatch):
    monkeypatch.setattr(gallery_leases, "_PUBLISH_SCRIPT", "return redis.call('NOSUCHCMD')")
    monkeypatch.setattr(gallery_leases.time, "sleep", lambda seconds: None)
    with pytest.raises(redis_errors.ResponseError):
        gallery_leases.announce()


def test_throttle_counts_let_by_here_reach_the_shared_counter(leased_gallery, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public_key": "1000/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    hot_and_leased(leased_gallery)  # two requests, each counted
    for _ in range(8):
        shown_ids(leased_gallery)
    ident = key_ident(leased_gallery.site.publishable_key)
    counter, _ttl, _limit = throttle_window("public_key", ident, time.time())
    until(lambda: cache.get(counter) == 10, what="the ten requests in the shared counter")


def test_a_lease_is_dropped_when_its_subscription_is_lost(leased_gallery):
    hot_and_leased(leased_gallery)
    watcher = gallery_leases.watcher(hot._redis())
    host, port = watcher.pubsub.connection._sock.getsockname()[:2]
    client = gallery_cache.cache._cache.get_client(write=True)
    assert client.client_kill(f"{host}:{port}")  # as a Redis restart or a proxy would
    # Dropped at once (not at the lease's end), then taken again on a new subscription.
    until(lambda: watcher.current() is None, seconds=1.0, what="the lease dropped")
    until(lambda: watcher.current() is not None, what="the lease taken again")


# --- across processes --------------------------------------------------------------------


def _get(port: int, gallery) -> list[int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "GET",
            f"/api/v1/public/galleries/{gallery.slug}?key={gallery.site.publishable_key}",
            headers={"Origin": ORIGIN},
        )
        response = conn.getresponse()
        assert response.status == 200
        return [item["id"] for item in json.loads(response.read())["items"]]
    finally:
        conn.close()


@contextmanager
def leased_web(tmp_path, workers: int, lease: float):
    """A gallery, and a real gunicorn with `workers` processes serving it on the test
    Redis (one key prefix shared with this process), each holding a lease: yields
    port, gallery, ids (shown), client (Redis), holders (their key), web."""
    url = require_redis()
    prefix = f"test-leases-{uuid.uuid4().hex[:8]}"
    with redis_cache(prefix), override_settings(GALLERY_LEASE_SECONDS=lease):
        gallery = make_gallery()
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            **database_env(),
            "CACHE_URL": url,
            "CACHE_KEY_PREFIX": prefix,
            "GALLERY_LEASE_SECONDS": str(lease),
        }
        port = free_port()
        web = start_web(port, env, tmp_path / "web.log", workers=workers)
        try:
            ids = _get(port, gallery)
            client = cache._cache.get_client(write=True)
            holders = cache.make_key(gallery_leases.HOLDERS)

            def all_leased():
                _get(port, gallery)  # each worker serves some, and starts its watcher
                return client.zcard(holders) == workers

            until(all_leased, seconds=15, what="every web worker holding a lease")
            for _ in range(10 * workers):  # every worker's answer is hot and confirmed
                assert _get(port, gallery) == ids
            yield SimpleNamespace(
                port=port, gallery=gallery, ids=ids, client=client, holders=holders, web=web
            )
        finally:
            web.stop()
            connection.close()


def test_a_takedown_reaches_every_web_process_at_once(transactional_db, tmp_path):
    with leased_web(tmp_path, workers=2, lease=2.0) as served:
        taken_down = served.gallery.pins.get(position=2).asset
        started = time.monotonic()
        rights.revoke(taken_down)  # autocommit: the bump runs before this returns
        waited = time.monotonic() - started
        expected = [i for i in served.ids if i != taken_down.pk]
        assert [_get(served.port, served.gallery) for _ in range(20)] == [expected] * 20
        assert waited < 1.0  # both read it and acknowledged; no lease waited out
        served.web.stop()  # a graceful stop leaves the holders: no change waits for it
        assert served.client.zcard(served.holders) == 0


def test_a_stopped_web_process_never_answers_stale_when_it_resumes(transactional_db, tmp_path):
    with leased_web(tmp_path, workers=1, lease=1.0) as served:
        holder = served.client.zrange(served.holders, 0, 0)[0].decode()
        worker_pid = int(holder.split(":")[1])
        os.kill(worker_pid, signal.SIGSTOP)
        try:
            taken_down = served.gallery.pins.get(position=0).asset
            started = time.monotonic()
            rights.revoke(taken_down)
            waited = time.monotonic() - started
        finally:
            os.kill(worker_pid, signal.SIGCONT)
        assert 0.5 <= waited <= 2.5  # it waited the stopped worker's lease out
        assert _get(served.port, served.gallery) == [i for i in served.ids if i != taken_down.pk]
