"""A task's retry sent while the broker is unreachable: the message is given back.

Celery's own retry rejects the message for good when it cannot publish the retry, so a
task failing on a database outage, on the embedded broker that lives in that database,
would be lost. tests/fault/test_media_db_restart.py shows the whole outage with a real
worker; this pins the decision itself.
"""

import pytest
from celery.canvas import Signature
from celery.exceptions import Reject
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from ugc.tasks import process_asset


@pytest.fixture
def running_task():
    process_asset.push_request(
        id="probe", args=[1], kwargs={}, retries=0, delivery_info={}, called_directly=False
    )
    yield process_asset
    process_asset.pop_request()


def _broker_refuses(error: Exception):
    def apply_async(self, *args, **kwargs):
        raise error

    return apply_async


def test_a_retry_the_broker_cannot_take_requeues_the_message(running_task, monkeypatch):
    monkeypatch.setattr(Signature, "apply_async", _broker_refuses(BrokerOperationalError("down")))
    with pytest.raises(Reject) as rejected:
        running_task.retry(exc=OperationalError("the database went away"))
    assert rejected.value.requeue is True


def test_a_retry_that_fails_for_another_reason_is_still_dropped(running_task, monkeypatch):
    monkeypatch.setattr(Signature, "apply_async", _broker_refuses(ValueError("not sendable")))
    with pytest.raises(Reject) as rejected:
        running_task.retry(exc=OperationalError("the database went away"))
    assert rejected.value.requeue is False
