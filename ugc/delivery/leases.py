"""Gallery invalidations pushed to every web process, with leases, so that a hot gallery
is answered from a process's own memory with no round trip to the cache, and a
takedown still reaches the very next response.

How (a lease protocol in the manner of Chubby's cache leases, on Redis):

- Each web process runs one watcher thread. It subscribes to the invalidation
  channel and, every quarter lease, (1) registers itself in a sorted set of holders
  with an expiry of Redis's clock plus the lease, then (2) sends a PING down its
  subscription. When the PONG comes back, every invalidation published before the
  PING reached Redis has been read (Redis keeps a connection's replies in order), and
  the process holds a lease until the time it sent (1) plus the lease: while the
  lease holds and no invalidation came, its remembered answers are current.
- A change (ugc.delivery.cache's bumps) moves the version token, then runs one script
  that publishes the invalidation and returns, atomically, the holders whose
  registered expiry is still ahead. It then waits until each of them acknowledged,
  or its registered expiry passed. The change's caller goes on only after that.
- A holder that read the invalidation counts it (its generation), which makes each
  remembered answer ask the cache once more before it is served; then it
  acknowledges. A holder that did not acknowledge in time has no lease left: its
  lease began before its last registration, which ended before the publication
  (a registration after the publication would have been followed by a PING, and
  that PONG only after the invalidation). So after the wait, no process answers
  from memory what the change made stale.

What it assumes: the processes' clocks run at the same rate (not that they agree).
A process that loses its subscription drops its lease at once; a process killed
outright keeps a change waiting at most one lease (GALLERY_LEASE_SECONDS).
Only with a Redis cache; with another cache every hot answer asks the cache.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import threading
import time
import uuid

from django.conf import settings
from redis import exceptions as redis_errors

logger = logging.getLogger(__name__)

CHANNEL = "ugc:gallery:invalidations"
HOLDERS = "ugc:gallery:holders"
ACKS = "ugc:gallery:acks:"
# Called on the watcher's thread at each renewal (the hot path's throttle counts).
RENEWAL_HOOKS: list = []

# The holders still ahead of Redis's clock, then the publication, in one script: a
# holder that registers after it must read the invalidation before its next lease.
_PUBLISH_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local holders = redis.call('ZRANGEBYSCORE', KEYS[2], now, '+inf', 'WITHSCORES')
redis.call('PUBLISH', KEYS[1], ARGV[1])
return {tostring(now), holders}
"""
_REGISTER_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[2]) * 4000) + 1000)
return 1
"""


def lease_seconds() -> float:
    return float(settings.GALLERY_LEASE_SECONDS)


def redis_backend():
    """The default cache when it is Redis, else None (this thread's backend object)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def _client(backend):
    return backend._cache.get_client(None, write=True)


class Watcher:
    """This process's subscription and lease for one cache (one Redis, one key prefix)."""

    def __init__(self, backend):
        self.channel = backend.make_key(CHANNEL)
        self.holders = backend.make_key(HOLDERS)
        self.acks = backend.make_key(ACKS)
        self.ident = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.pool = _client(backend).connection_pool
        self.generation = 0  # invalidations read so far
        self.lease_until = 0.0  # time.monotonic() before which the lease holds
        self.pubsub = None  # the current subscription
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gallery-leases", daemon=True)
        self._thread.start()

    def current(self) -> int | None:
        """The generation, while the lease holds; None without a lease."""
        generation = self.generation
        return generation if time.monotonic() < self.lease_until else None

    def stop(self) -> None:
        self.lease_until = 0.0
        self._stop.set()

    # --- the thread ---------------------------------------------------------------

    def _run(self) -> None:
        import redis

        client = redis.Redis(connection_pool=self.pool)
        while not self._stop.is_set():
            try:
                self._subscribed(client)
            except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as exc:
                self.lease_until = 0.0  # answers ask the cache until subscribed again
                logger.warning("gallery invalidations: subscription lost (%s)", exc)
                self._stop.wait(0.5)
            except Exception:  # never leave the process with a lease it cannot keep
                self.lease_until = 0.0
                logger.exception("gallery invalidations: watcher failed; restarting it")
                self._stop.wait(0.5)
        self.lease_until = 0.0
        with contextlib.suppress(redis_errors.RedisError):  # else it expires on its own
            client.zrem(self.holders, self.ident)

    def _subscribed(self, client) -> None:
        pubsub = self.pubsub = client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            pings = 0
            while not self._stop.is_set():
                lease = lease_seconds()
                sent = time.monotonic()
                _register(client, self.holders, self.ident, lease)
                pings += 1
                token = f"lease-{pings}"
                pubsub.ping(token)
                self._read_until_pong(pubsub, client, token, sent + lease)
                self.lease_until = sent + lease
                for hook in RENEWAL_HOOKS:
                    hook()
                self._read_until(pubsub, client, sent + lease / 4)
        finally:
            self.lease_until = 0.0
            pubsub.close()

    def _read_until_pong(self, pubsub, client, token: str, deadline: float) -> None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise redis_errors.TimeoutError("no PONG within the lease")
            message = pubsub.get_message(timeout=left)
            if message is None:
                continue
            if message["type"] == "pong":
                if _text(message["data"]) == token:
                    return
            else:
                self._handle(message, client)

    def _read_until(self, pubsub, client, until: float) -> None:
        while not self._stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return
            message = pubsub.get_message(timeout=left)
            if message is not None:
                self._handle(message, client)

    def _handle(self, message: dict, client) -> None:
        if message["type"] != "message":
            return  # the subscription's confirmation
        self.generation += 1  # first: no remembered answer is served unchecked from here
        ack_key = self.acks + _text(message["data"])
        pipe = client.pipeline(transaction=False)
        pipe.rpush(ack_key, self.ident)
        pipe.expire(ack_key, 60)
        pipe.execute()


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _register(client, holders: str, ident: str, lease: float) -> None:
    client.eval(_REGISTER_SCRIPT, 1, holders, ident, repr(lease))


# --- this process's watcher -------------------------------------------------------------

_LOCK = threading.Lock()
_WATCHERS: dict[tuple, Watcher] = {}


def watcher(backend) -> Watcher:
    """The process's watcher for this cache, started on first use (after a fork, too).
    Another cache (a test's own prefix) stops the previous one."""
    held = getattr(backend, "_ugc_gallery_watcher", None)
    if held is not None and held[0] == os.getpid():
        return held[1]
    config = (os.getpid(), tuple(backend._servers), backend.key_prefix, backend.version)
    with _LOCK:
        found = _WATCHERS.get(config)
        if found is None:
            for other in _WATCHERS.values():
                other.stop()
            _WATCHERS.clear()
            found = _WATCHERS[config] = Watcher(backend)
    backend._ugc_gallery_watcher = (os.getpid(), found)
    return found


@atexit.register
def _stop_all() -> None:
    """At exit (a worker's graceful stop or restart): leave the holders at once, so no
    change waits for a lease nobody will renew."""
    import redis

    for found in list(_WATCHERS.values()):
        found.stop()
        with contextlib.suppress(redis_errors.RedisError):
            redis.Redis(connection_pool=found.pool).zrem(found.holders, found.ident)


# --- a change ----------------------------------------------------------------------------


def announce(backend=None) -> None:
    """Tell every web process that galleries changed, and return once each has read it
    or holds no lease any more (at most one lease). No-op without a Redis cache."""
    backend = backend or redis_backend()
    if backend is None:
        return
    client = _client(backend)
    token = uuid.uuid4().hex
    channel, holders = backend.make_key(CHANNEL), backend.make_key(HOLDERS)
    now, flat = _publish(client, channel, holders, token)
    started = time.monotonic()
    now = float(now)
    waiting = {
        _text(flat[i]): started + max(0.0, float(flat[i + 1]) - now) for i in range(0, len(flat), 2)
    }
    _await_acks(client, backend.make_key(ACKS + token), waiting)


def _publish(client, channel: str, holders: str, token: str):
    """(Redis's time, [holder, expiry, ...]) once the invalidation is published. A live
    holder keeps renewing its lease without it and would answer from memory what the
    change made stale, so a failure is retried, and in the end raised: the change's
    caller must know that it is not yet shown everywhere."""
    for delay in (0.1, 0.4):
        try:
            return client.eval(_PUBLISH_SCRIPT, 2, channel, holders, token)
        except redis_errors.RedisError as exc:
            logger.warning("gallery invalidations: could not publish (%s); again", exc)
            time.sleep(delay)
    return client.eval(_PUBLISH_SCRIPT, 2, channel, holders, token)  # its error is raised


def _await_acks(client, ack_key: str, waiting: dict[str, float]) -> None:
    try:
        while waiting:
            moment = time.monotonic()
            waiting = {ident: end for ident, end in waiting.items() if end > moment}
            if not waiting:
                break
            # Whole 10 ms steps: BLPOP takes seconds with decimals (Redis 6+).
            timeout = max(0.01, round(min(max(waiting.values()) - moment, 1.0), 2))
            reply = client.blpop([ack_key], timeout=timeout)
            if reply is not None:
                waiting.pop(_text(reply[1]), None)
    except redis_errors.RedisError:
        # Redis gone mid-wait: a holder cannot renew without it, so wait its lease out.
        logger.warning("gallery invalidations: waiting out the leases without Redis")
        end = max(waiting.values(), default=0.0)
        time.sleep(max(0.0, end - time.monotonic()))
    finally:
        with contextlib.suppress(redis_errors.RedisError):
            client.delete(ack_key)
