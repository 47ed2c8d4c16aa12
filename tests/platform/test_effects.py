"""After-commit effects never raise into the code that committed, and work whose
message was lost is found again by its owner's sweep."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from analytics.models import AttributionRun
from analytics.services import attribution_runs
from core.effects import after_commit, enqueue_after_commit
from tests.conftest import _reset_producer_pools

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker_down():
    """The Celery app's producer pointed at a port nothing listens on: a real
    connection that fails, at once and without publish retries."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_publish_retry, app.conf.broker_transport_options)
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.task_publish_retry = False
    app.conf.broker_transport_options = {}
    _reset_producer_pools(app)
    yield app
    app.conf.broker_url, app.conf.task_publish_retry, app.conf.broker_transport_options = saved
    _reset_producer_pools(app)


def test_an_effect_runs_only_after_the_commit_and_its_error_is_logged_not_raised(caplog):
    calls = []

    def fails(value):
        calls.append(value)
        raise RuntimeError("cache unreachable")

    with caplog.at_level(logging.ERROR, logger="core.effects"):
        with transaction.atomic():
            after_commit(fails, 1)
            assert calls == []
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            after_commit(fails, 2)
            1 / 0  # noqa: B018  (rolled back: the effect never runs)
    assert calls == [1]
    assert "fails failed" in caplog.text and "cache unreachable" in caplog.text


def test_runs_queued_while_the_broker_is_down_are_stored_and_sent_again_by_the_sweep(
    broker_down, caplog
):
    today = timezone.localdate()
    with caplog.at_level(logging.ERROR, logger="core.effects"):
        runs = attribution_runs.queue_runs(
            models=["linear"], level="channel", date_from=today - timedelta(days=3), date_to=today
        )
    assert AttributionRun.objects.filter(pk=runs[0].pk, status="queued").exists()
    assert "apply_async" in caplog.text  # logged, not raised into the caller

    assert attribution_runs.requeue_stale() == []  # too young: its message may be on its way
    later = timezone.now() + attribution_runs.STALE_QUEUED_AFTER + timedelta(seconds=1)
    with pytest.raises(BrokerError):
        attribution_runs.requeue_stale(now=later)  # the sweep itself says the broker is down


def test_the_sweep_sends_stale_runs_to_the_broker(app_on_broker, producer):
    from kombu import Queue

    today = timezone.localdate()
    stale = AttributionRun.objects.create(
        model="linear", level="channel", date_from=today - timedelta(days=2), date_to=today
    )
    AttributionRun.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    fresh = AttributionRun.objects.create(
        model="linear", level="channel", date_from=today - timedelta(days=2), date_to=today
    )
    assert attribution_runs.requeue_stale() == [stale.pk]
    with producer.SimpleQueue(Queue("analytics", routing_key="analytics")) as queue:
        message = queue.get(timeout=10)
        assert message.headers["task"] == "analytics.tasks.run_attributions"
        assert message.headers["argsrepr"] == repr(([stale.pk],))
        message.ack()
    assert fresh.status == "queued"  # queued too, but just made: left to its own message


def test_enqueue_after_commit_sends_the_task_once_committed(app_on_broker, producer):
    from kombu import Queue

    from analytics.tasks import run_attributions

    with transaction.atomic():
        enqueue_after_commit(run_attributions, [424242])
    with producer.SimpleQueue(Queue("analytics", routing_key="analytics")) as queue:
        message = queue.get(timeout=10)
        assert message.headers["argsrepr"] == repr(([424242],))
        message.ack()
