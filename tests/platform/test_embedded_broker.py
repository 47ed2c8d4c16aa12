"""The embedded broker's delivery guarantees, through kombu itself."""

import time
import uuid

import pytest
from django.db import connection
from kombu import Connection

import config.celery  # noqa: F401  (registers the pgqueue transport)
from core.broker import TABLE
from core.database import libpq_dsn


@pytest.fixture
def open_queue(transactional_db):
    opened = []

    def open_(visibility_timeout: float = 60):
        options = {
            "dsn": libpq_dsn(connection.settings_dict),
            "visibility_timeout": visibility_timeout,
            "polling_interval": 0.05,
        }
        conn = Connection("pgqueue://localhost", transport_options=options)
        opened.append(conn)
        return conn

    yield open_
    for conn in opened:
        conn.release()


def rows(queue: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE queue = %s", [queue])  # noqa: S608
        return cursor.fetchone()[0]


def test_ack_deletes_and_nothing_is_delivered_twice(open_queue):
    name = f"q-{uuid.uuid4().hex}"
    queue = open_queue().SimpleQueue(name)
    for index in range(5):
        queue.put({"n": index})
    received = [queue.get(timeout=2) for _ in range(5)]
    assert [m.payload["n"] for m in received] == [0, 1, 2, 3, 4]
    with pytest.raises(queue.Empty):
        queue.get(timeout=0.3)  # taken but not acked: hidden from everyone
    for message in received:
        message.ack()
    assert rows(name) == 0


def test_an_unacked_message_comes_back_after_the_visibility_timeout(open_queue):
    name = f"q-{uuid.uuid4().hex}"
    crashed = open_queue(visibility_timeout=1).SimpleQueue(name)
    crashed.put({"job": "resize"})
    first = crashed.get(timeout=2)  # then this consumer "dies" without an ack
    assert first.payload == {"job": "resize"}
    assert first.delivery_info["redelivered"] is False

    survivor = open_queue(visibility_timeout=1).SimpleQueue(name)
    with pytest.raises(survivor.Empty):
        survivor.get(timeout=0.3)
    time.sleep(1.0)
    again = survivor.get(timeout=3)
    assert again.payload == {"job": "resize"}
    assert again.delivery_info["redelivered"] is True
    again.ack()
    assert rows(name) == 0


def test_reject_with_requeue_makes_it_visible_at_once(open_queue):
    name = f"q-{uuid.uuid4().hex}"
    queue = open_queue().SimpleQueue(name)
    queue.put({"job": 1})
    queue.get(timeout=2).requeue()
    message = queue.get(timeout=2)
    assert message.payload == {"job": 1}
    message.reject()
    assert rows(name) == 0


def test_two_consumers_share_a_queue_without_duplicates(open_queue):
    name = f"q-{uuid.uuid4().hex}"
    first, second = open_queue().SimpleQueue(name), open_queue().SimpleQueue(name)
    for index in range(20):
        first.put({"n": index})
    seen = []
    for _ in range(10):
        for consumer in (first, second):
            message = consumer.get(timeout=2)
            seen.append(message.payload["n"])
            message.ack()
    assert sorted(seen) == list(range(20))
