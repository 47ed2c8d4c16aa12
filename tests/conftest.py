"""Shared fixtures. The database is the real PostgreSQL with pgvector (the
embedded one unless DATABASE_URL is set); workers are real processes."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils import translation

from core.database import libpq_dsn
from tests.support import flush
from tests.support.redis import fold_skip, require_redis, stop_private_redis
from tests.support.worker import EMBEDDED, Worker, broker_connection

BROKERS = ["embedded", "redis"]


@pytest.fixture(scope="session", autouse=True)
def _flush_only_tables_with_rows():
    """Transactional tests end with a flush of only the tables they wrote (support/flush.py)."""
    with pytest.MonkeyPatch.context() as patch:
        flush.install(patch)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    fold_skip(report)
    return report


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language():
    """A request through the test client leaves the language LocaleMiddleware chose
    active in this thread (a server thread gets a new one per request): without this
    reset, a test that browses in French would make the next test's messages French."""
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _private_redis_stops_with_the_run():
    """A redis-server the run started for its Redis tests (support/redis.py) ends with it."""
    yield
    stop_private_redis()


@pytest.fixture(scope="session")
def s3_store():
    """A real S3-compatible server (SeaweedFS) for the run; tests make their own buckets."""
    from tests.support.s3 import start_s3

    store = start_s3()
    yield store
    store.stop()


@pytest.fixture(params=BROKERS)
def broker(request):
    """(broker URL, producer transport options) for each broker the run can reach.

    The embedded broker always runs; Redis runs on the one support/redis.py finds
    (REDIS_URL, 127.0.0.1:6379, or a private redis-server) and skips without one.
    """
    if request.param == "embedded":
        # The broker's table lives in this run's test database.
        return EMBEDDED, {"dsn": libpq_dsn(connection.settings_dict)}
    url = require_redis()
    # A fresh key prefix keeps this test's queues apart from any other user.
    return url, {"global_keyprefix": f"test-{uuid.uuid4().hex[:8]}:"}


@pytest.fixture
def start_worker(broker, tmp_path, transactional_db):
    """Start real worker processes on the broker under test; stops them after."""
    broker_url, options = broker
    started: list[Worker] = []

    def start(*, wait: bool = True, concurrency: int = 1, **env) -> Worker:
        """wait=False: launched, not yet ready (start several at once, then wait_ready).
        concurrency: the worker's pool processes."""
        extra = dict(env)
        if options.get("global_keyprefix"):
            extra["CELERY_BROKER_KEYPREFIX"] = options["global_keyprefix"]
        worker = Worker(broker_url, extra_env=extra, concurrency=concurrency)
        started.append(worker)
        return worker.start(tmp_path) if wait else worker.launch(tmp_path)

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def producer(broker):
    """A broker connection for sending tasks from the test process."""
    broker_url, options = broker
    with broker_connection(broker_url, options) as conn:
        yield conn


def _reset_producer_pools(app) -> None:
    # app.pool is kombu's global pool for the broker URL: close them all and let
    # the next send build fresh ones for the URL now configured.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def app_on_broker(broker):
    """Point the Celery app's own producer at the broker under test, so code that
    enqueues the ordinary way (delay, delay_on_commit) is tested end to end."""
    from config.celery import app

    broker_url, options = broker
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = {**saved[1], **options}
    _reset_producer_pools(app)
    yield app
    app.conf.broker_url, app.conf.broker_transport_options = saved
    _reset_producer_pools(app)
