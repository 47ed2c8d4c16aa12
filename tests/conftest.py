"""Shared fixtures. The database is the real PostgreSQL with pgvector (the
embedded one unless DATABASE_URL is set); workers are real processes."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from config.database import libpq_dsn
from tests.support import flush
from tests.support.worker import EMBEDDED, Worker, broker_connection, redis_url

BROKERS = ["embedded", "redis"]


@pytest.fixture(scope="session", autouse=True)
def _flush_only_tables_with_rows():
    """Transactional tests end with a flush of only the tables they wrote (support/flush.py)."""
    with pytest.MonkeyPatch.context() as patch:
        flush.install(patch)
        yield


@pytest.fixture(params=BROKERS)
def broker(request):
    """(broker URL, producer transport options) for each broker the run can reach.

    The embedded broker always runs. Redis runs when CELERY_BROKER_URL or
    REDIS_URL names one (CI sets it); without it that case is skipped and says so.
    """
    if request.param == "embedded":
        # The broker's table lives in this run's test database.
        return EMBEDDED, {"dsn": libpq_dsn(connection.settings_dict)}
    url = redis_url()
    if url is None:
        pytest.skip("Redis path needs CELERY_BROKER_URL or REDIS_URL=redis://127.0.0.1:6379/0")
    # A fresh key prefix keeps this test's queues apart from any other user.
    return url, {"global_keyprefix": f"test-{uuid.uuid4().hex[:8]}:"}


@pytest.fixture
def start_worker(broker, tmp_path, transactional_db):
    """Start real worker processes on the broker under test; stops them after."""
    broker_url, options = broker
    started: list[Worker] = []

    def start(**env) -> Worker:
        extra = dict(env)
        if options.get("global_keyprefix"):
            extra["CELERY_BROKER_KEYPREFIX"] = options["global_keyprefix"]
        worker = Worker(broker_url, extra_env=extra)
        started.append(worker)
        return worker.start(tmp_path)

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
