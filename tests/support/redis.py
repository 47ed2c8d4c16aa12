"""The Redis the tests use, so a fresh machine tests what CI tests.

In this order: the one REDIS_URL (or a redis:// CELERY_BROKER_URL) names; one
answering at 127.0.0.1:6379; else a private redis-server this run starts on a free
port when the binary is on PATH, stopped when the run ends. Only when none is there
do the Redis tests skip, all from require_redis(), so the summary says it on one
line. Tests keep their keys apart under prefixes of their own, so a shared Redis
is safe.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from functools import cache
from pathlib import Path

import pytest

from core.processes import Child

LOCAL = "redis://127.0.0.1:6379/0"
SKIP_REASON = (
    "no Redis: set REDIS_URL, run one on 127.0.0.1:6379, "
    "or install redis-server (Debian: apt-get install redis-server)"
)

_started: list[Child] = []


def redis_url() -> str | None:
    """The Redis to test against, or None when there is none to be had."""
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = os.environ.get(name, "")
        if url.startswith("redis://"):
            return url
    return _found()


def require_redis() -> str:
    """redis_url(), or skip the test saying how to get one."""
    url = redis_url()
    if url is None:
        pytest.skip(SKIP_REASON)
    return url


def fold_skip(report) -> None:
    """Report every "no Redis" skip at one place, so the summary folds them into one
    line (a skip raised in a fixture is otherwise reported at each test)."""
    if report.skipped and isinstance(report.longrepr, tuple) and SKIP_REASON in report.longrepr[2]:
        report.longrepr = (__file__, 1, report.longrepr[2])


def stop_private_redis() -> None:
    """Stop the redis-server this run started, if it started one."""
    while _started:
        server = _started.pop()
        server.stop(timeout=10)
        shutil.rmtree(server.log_path.parent, ignore_errors=True)


@cache
def _found() -> str | None:
    if _answers(LOCAL):
        return LOCAL
    if shutil.which("redis-server"):
        started = start_redis_server(Path(tempfile.mkdtemp(prefix="test-redis-")))
        if started:
            _started.append(started[1])
            return started[0]
    return None


def _answers(url: str, timeout: float = 0.5) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=timeout).ping())
    except (redis.RedisError, OSError):
        return False


def start_redis_server(directory: Path, attempts: int = 3) -> tuple[str, Child] | None:
    """A redis-server of our own on a free port (no persistence), once it answers:
    (its URL, the process). It dies with this process at the latest."""
    from tests.analytics.web import free_port

    for _ in range(attempts):  # another process may take the free port first
        port = free_port()
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(directory)]  # fmt: skip
        child = Child("redis", argv, directory / "redis.log").start(dict(os.environ), directory)
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while child.running() and time.monotonic() < deadline:
            if _answers(url):
                return url, child
            time.sleep(0.05)
        child.stop(timeout=5)
    return None
