"""The hot path: a gallery served before is answered without DRF, from this process's
memory.

With a Redis cache the process holds a lease and is told of every change
(ugc/delivery/leases.py): an answer whose versions were confirmed since the last
change is served with no round trip at all, and the throttle counts it here (the
lease's renewals add those counts to the shared counters). Otherwise it costs one
round trip: the version tokens (a takedown moves them, so nothing stale is served)
and the two throttle counters, in one script. Anything else (a first request, a
changed version, a refused origin, a throttled client, an error) goes through the
full view (ugc.api.public.PublicGalleryView), which answers it and remembers the result.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis import exceptions as redis_errors

from ugc.delivery import cache as gallery_cache
from ugc.delivery import leases, variants
from ugc.delivery.keys import origin_allowed
from ugc.delivery.render import gallery_response
from ugc.delivery.throttles import PublicAddressThrottle, count_request, throttle_window


@dataclass(frozen=True)
class Hot:
    body: bytes
    etag: str
    site_id: int
    gallery_id: int
    site: dict
    versions: tuple[str, str]  # (gallery version, global version) it was rendered under
    key_ident: str | None  # the publishable key's throttle ident


_HOT: dict[tuple, Hot] = {}
HOT_ENTRIES = 256  # per process: at ~30 KB a body, under 10 MB
# With GALLERY_HOT_SECONDS: when each entry's versions were last confirmed, and the
# requests each throttle window saw here since (added to the shared counter at the
# next check) with the shared count that check returned.
_CONFIRMED: dict[tuple, float] = {}
_UNCOUNTED: dict[str, int] = {}
_SHARED_COUNT: dict[str, int] = {}
_WINDOW_TTL: dict[str, int] = {}
_COUNTS = threading.Lock()  # the counts above are added to from every thread
# With a lease: the invalidation generation at which each entry's versions were last
# confirmed (read before that round trip, so a change during it is not missed).
_FRESH: dict[tuple, int] = {}


def _hot_params(request, slug: str) -> tuple:
    """What a remembered answer is found by: the slug, the raw query string and the key
    header. No parsing (a third of the hot path's own time): the same raw query always
    parses to the same request, and another spelling of it is remembered on its own."""
    meta = request.META
    return (slug, meta.get("QUERY_STRING", ""), meta.get("HTTP_X_SITE_KEY", ""))


def remember(request, slug: str, entry: Hot) -> None:
    """Keep the full view's answer, to answer the same request here next time."""
    if len(_HOT) >= HOT_ENTRIES:
        _HOT.clear()  # simpler than LRU, and refilled by the next request of each
        _CONFIRMED.clear()
        _FRESH.clear()
    _HOT[_hot_params(request, slug)] = entry


def _confirmed_lately(params: tuple) -> bool:
    seconds = settings.GALLERY_HOT_SECONDS
    return seconds > 0 and time.monotonic() - _CONFIRMED.get(params, -seconds) < seconds


def _within_rate_here(windows) -> bool:
    """Between checks: the window's last shared count, plus what this process let by
    since, plus this request, within the rate? Counts the request here when it is.
    A refusal is never decided here: the caller then asks the shared counter."""
    with _COUNTS:
        for key, _ttl, limit in windows:
            if _SHARED_COUNT.get(key, 0) + _UNCOUNTED.get(key, 0) + 1 > limit:
                return False
        for key, ttl, _limit in windows:
            _UNCOUNTED[key] = _UNCOUNTED.get(key, 0) + 1
            _WINDOW_TTL[key] = ttl
    return True


def _take_uncounted(windows=None) -> dict[str, int]:
    """The requests let by here and not yet added to the shared counters (of the given
    windows, or all), moved into this process's view of the shared count."""
    with _COUNTS:
        if windows is None:
            taken = dict(_UNCOUNTED)
            _UNCOUNTED.clear()
        else:
            taken = {key: n for key, *_ in windows if (n := _UNCOUNTED.pop(key, 0))}
        for key, n in taken.items():
            _SHARED_COUNT[key] = _SHARED_COUNT.get(key, 0) + n
        if len(_SHARED_COUNT) > 10 * HOT_ENTRIES:  # windows of addresses long gone
            _SHARED_COUNT.clear()
            _WINDOW_TTL.clear()
    return taken


def _flush_counts() -> None:
    """Add what this process let by to the shared counters (each lease renewal, on the
    lease's thread), and learn the shared counts, which other processes add to."""
    backend = _redis()
    taken = _take_uncounted() if backend is not None else {}
    if not taken:
        return
    windows = [(key, _WINDOW_TTL.get(key, 61), n) for key, n in taken.items()]
    counts = _add_counts(backend, [], windows)[1]
    with _COUNTS:
        _SHARED_COUNT.update(zip(taken, counts, strict=True))


leases.RENEWAL_HOOKS.append(_flush_counts)


def _lease_generation() -> int | None:
    """This process's count of gallery changes while it holds a lease (the watcher is
    started on first use); None with no lease, or a cache other than Redis."""
    backend = _redis()
    return None if backend is None else leases.watcher(backend).current()


_redis = leases.redis_backend  # the default cache when it is Redis, else None


# The hot path's one round trip as one command: the first ARGV[1] keys' values (the
# version tokens), and each further key's throttle counter plus the requests let by
# (a window's first count sets its lifetime). One Lua script, so one reply to parse
# instead of five.
_CHECK_SCRIPT = """
local n = tonumber(ARGV[1])
local out = {}
if n > 0 then out = redis.call('MGET', unpack(KEYS, 1, n)) end
for i = n + 1, #KEYS do
  local j = (i - n) * 2
  local requests = tonumber(ARGV[j])
  local count = redis.call('INCRBY', KEYS[i], requests)
  if count == requests then redis.call('EXPIRE', KEYS[i], ARGV[j + 1]) end
  out[i] = count
end
return out
"""
_CHECK_SHA = hashlib.sha1(_CHECK_SCRIPT.encode()).hexdigest()  # noqa: S324 (Redis's script id)
_connections = threading.local()


def _connection(backend):
    """This thread's own connection to the cache's Redis. Django's client costs ~120 us
    of Python per command on this machine (pool checkout with a poll, command
    dispatch, pure-Python reply parsing); a packed command sent on a held connection
    costs ~30 us, and the hot path is that round trip."""
    held = getattr(_connections, "held", None)
    if held is not None and held[0] == os.getpid() and held[1] is backend:
        return held[2]
    pool = backend._cache.get_client(None, write=True).connection_pool
    connection = pool.connection_class(**pool.connection_kwargs)
    _connections.held = (os.getpid(), backend, connection)
    return connection


def _round_trip(backend, keys: list[str], args: list[int]):
    connection = _connection(backend)
    try:
        try:
            return _command(connection, "EVALSHA", _CHECK_SHA, keys, args)
        except redis_errors.NoScriptError:  # a Redis restarted or flushed: load it again
            return _command(connection, "EVAL", _CHECK_SCRIPT, keys, args)
    except (redis_errors.ConnectionError, redis_errors.TimeoutError):
        connection.disconnect()  # the next request connects afresh
        raise


def _command(connection, name: str, script: str, keys: list[str], args: list[int]):
    packed = connection.pack_command(name, script, len(keys), *keys, *args)
    connection.send_packed_command(packed, check_health=False)
    return connection.read_response()


def _versions_and_counts(version_keys: list[str], windows: list[tuple[str, int, int]]):
    """The version tokens now, and each throttle window's count once `requests` (this
    one and any let by here since the last check) are added; in one round trip to
    Redis, with its key names and serializer so both paths read the same entries."""
    backend = _redis()
    if backend is None:
        values = cache.get_many(version_keys)
        return [values.get(k) for k in version_keys], [count_request(*w) for w in windows]
    return _add_counts(backend, version_keys, windows)


def _add_counts(backend, version_keys: list[str], windows):
    """_versions_and_counts() on Redis: one script, on this thread's own connection."""
    keys = [backend.make_key(k) for k in version_keys]
    keys += [backend.make_key(counter_key) for counter_key, _ttl, _n in windows]
    args = [len(version_keys)]
    args += [value for _key, ttl, requests in windows for value in (requests, ttl)]
    reply = _round_trip(backend, keys, args)
    loads = backend._cache._serializer.loads
    versions = [None if v is None else loads(v) for v in reply[: len(version_keys)]]
    return versions, [int(n) for n in reply[len(version_keys) :]]


def _confirm(params: tuple, entry: Hot, windows, generation: int | None) -> bool:
    """One round trip: are the entry's versions current, and is the client within rate?
    `generation`: the lease's, read before the round trip (None without a lease)."""
    version_keys = [gallery_cache.version_key(entry.gallery_id), gallery_cache.GLOBAL_VERSION_KEY]
    taken = _take_uncounted(windows)
    counters = [(key, ttl, 1 + taken.get(key, 0)) for key, ttl, _limit in windows]
    versions, counts = _versions_and_counts(version_keys, counters)
    if tuple(versions) != entry.versions:
        _CONFIRMED.pop(params, None)
        _FRESH.pop(params, None)
        return False
    _CONFIRMED[params] = time.monotonic()
    if generation is not None:
        _FRESH[params] = generation
    with _COUNTS:
        _SHARED_COUNT.update((key, n) for (key, _ttl, _), n in zip(counters, counts, strict=True))
    # Over the rate: the full view answers 429 with its problem body.
    return all(n <= limit for n, (_, _, limit) in zip(counts, windows, strict=True))


def respond(request, slug: str):
    params = _hot_params(request, slug)
    entry = _HOT.get(params)
    origin = request.META.get("HTTP_ORIGIN")  # not request.headers: it copies all of META
    if entry is None or (origin is not None and not origin_allowed(entry.site, origin)):
        return None
    if variants.experiment_running(entry.site_id, slug):
        return None  # each visitor may see another variant: the full view decides
    now = time.time()  # the throttles' timer
    clients = (("public_ip", _ADDRESS.get_ident(request)), ("public_key", entry.key_ident))
    windows = [
        window
        for scope, ident in clients
        if ident is not None and (window := throttle_window(scope, ident, now)) is not None
    ]
    generation = _lease_generation()
    current = generation is not None and _FRESH.get(params) == generation
    answered_here = (current or _confirmed_lately(params)) and _within_rate_here(windows)
    if not answered_here and not _confirm(params, entry, windows, generation):
        return None
    response = gallery_response(request, entry.body, entry.etag, entry.site_id, entry.gallery_id)
    if origin is not None:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
    response["Allow"] = _ALLOW  # as DRF sets it
    response["Vary"] = _VARY  # what patch_vary_headers() gives a fresh response
    return response


_ALLOW = "GET, HEAD, OPTIONS"  # DRF's Allow for the full view (as_view adds HEAD); tested
_VARY = "Origin, X-Site-Key"
_ADDRESS = PublicAddressThrottle()  # for its get_ident(): X-Forwarded-For and NUM_PROXIES
