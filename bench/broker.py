"""The embedded broker against the bare SQL it cannot avoid.

Ceiling: for each message, one INSERT, one UPDATE ... RETURNING (the take)
and one DELETE (the ack) over a plain psycopg connection. Measured: the same
messages sent and received through kombu and the pgqueue transport. The ratio
is what kombu's machinery and our transport add on top of the database.
"""

from __future__ import annotations

import uuid

import psycopg
from django.conf import settings
from kombu import Connection

from bench.registry import Result, benchmark, best_of
from core.broker import TABLE, TAKE
from core.database import libpq_dsn

MESSAGES = 1000


def _dsn() -> str:
    return libpq_dsn(settings.DATABASES["default"])


def _raw_sql(queue: str) -> None:
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        for index in range(MESSAGES):
            conn.execute(
                f"INSERT INTO {TABLE} (queue, payload) VALUES (%s, %s)",  # noqa: S608
                (queue, f'{{"body": {index}}}'),
            )
        for _ in range(MESSAGES):
            message_id = conn.execute(TAKE, {"queue": queue, "timeout": 60}).fetchone()[0]
            conn.execute(f"DELETE FROM {TABLE} WHERE id = %s", (message_id,))  # noqa: S608


def _through_kombu(queue: str) -> None:
    options = {"dsn": _dsn(), "visibility_timeout": 60, "polling_interval": 0.01}
    with Connection("pgqueue://localhost", transport_options=options) as conn:
        simple = conn.SimpleQueue(queue)
        for index in range(MESSAGES):
            simple.put({"body": index})
        for _ in range(MESSAGES):
            simple.get(timeout=5).ack()
        simple.close()


@benchmark
def embedded_broker_round_trip() -> Result:
    import config.celery  # noqa: F401  (registers the pgqueue transport)

    _through_kombu(f"bench-warmup-{uuid.uuid4().hex}")  # creates the table
    ceiling = best_of(3, lambda: _raw_sql(f"bench-raw-{uuid.uuid4().hex}"))
    measured = best_of(3, lambda: _through_kombu(f"bench-kombu-{uuid.uuid4().hex}"))
    return Result(
        "embedded broker, send+take+ack",
        measured,
        ceiling,
        target_ratio=3.0,
        note=f"{MESSAGES} messages; {MESSAGES / measured:,.0f} msg/s",
    )
