"""A Celery broker kept in PostgreSQL, for the embedded default (`pgqueue://`).

Why not kombu's filesystem transport: it deletes a message file the moment a
worker reads it, so a worker killed with SIGKILL half-way through a task loses
that task for good. This transport gives SQS-like at-least-once delivery in
the database the project already runs: a read makes a message invisible for a
visibility timeout instead of removing it; the ack deletes it; a worker that
dies never acks, so the message becomes visible again and another worker
(or the same one, restarted) runs it. Rows are committed, so what was sent
survives a restart of everything.

Readers take rows with `FOR UPDATE SKIP LOCKED`, so any number of worker
processes share a queue without handing one message to two of them.

Transport options (CELERY_BROKER_TRANSPORT_OPTIONS):
    dsn                 libpq connection string (required)
    visibility_timeout  seconds a read message stays invisible (default 3600)
    polling_interval    seconds between polls of empty queues (default 0.25)
"""

from __future__ import annotations

import json
from queue import Empty
from time import monotonic

import psycopg
from kombu.transport import virtual

TABLE = "celery_broker_message"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id bigserial PRIMARY KEY,
    queue text NOT NULL,
    payload text NOT NULL,
    visible_at timestamptz NOT NULL DEFAULT now(),
    deliveries integer NOT NULL DEFAULT 0,
    sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS {TABLE}_ready ON {TABLE} (queue, visible_at, id);
"""

# One statement: pick the oldest visible message nobody else holds, hide it.
TAKE = f"""
UPDATE {TABLE} SET visible_at = now() + make_interval(secs => %(timeout)s),
                   deliveries = deliveries + 1
WHERE id = (
    SELECT id FROM {TABLE}
    WHERE queue = %(queue)s AND visible_at <= now()
    ORDER BY id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING id, payload, deliveries
"""  # noqa: S608 (TABLE is a constant)

MESSAGE_ID = "pgqueue_message_id"


class Channel(virtual.Channel):
    """One database connection per channel, in autocommit mode."""

    default_visibility_timeout = 3600

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._conn = None
        self._ensure_schema()

    # -- the connection ---------------------------------------------------

    @property
    def transport_options(self):
        return self.connection.client.transport_options

    @property
    def visibility_timeout(self) -> float:
        return float(
            self.transport_options.get("visibility_timeout", self.default_visibility_timeout)
        )

    def _db(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            dsn = self.transport_options.get("dsn")
            if not dsn:
                raise ValueError("pgqueue transport needs the 'dsn' transport option")
            self._conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
        return self._conn

    def _execute(self, sql: str, params=None) -> psycopg.Cursor:
        try:
            return self._db().execute(sql, params)
        except psycopg.OperationalError:
            # Drop a broken connection so that kombu's retry reconnects.
            self._drop()
            raise

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def _ensure_schema(self) -> None:
        # Serialise concurrent first starts: CREATE ... IF NOT EXISTS races.
        with self._db().transaction():
            self._db().execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (TABLE,))
            self._db().execute(SCHEMA)

    def close(self):
        super().close()
        self._drop()

    # -- the virtual channel's storage primitives -------------------------

    def _new_queue(self, queue, **kwargs):
        """Queues are rows' labels: nothing to create."""

    def _has_queue(self, queue, **kwargs):
        return True

    def _put(self, queue, message, **kwargs):
        message.get("properties", {}).get("delivery_info", {}).pop(MESSAGE_ID, None)
        self._execute(
            f"INSERT INTO {TABLE} (queue, payload) VALUES (%s, %s)",  # noqa: S608
            (queue, json.dumps(message)),
        )

    def _get(self, queue, timeout=None):
        row = self._execute(TAKE, {"queue": queue, "timeout": self.visibility_timeout}).fetchone()
        if row is None:
            raise Empty()
        message_id, payload, deliveries = row
        message = json.loads(payload)
        delivery_info = message.setdefault("properties", {}).setdefault("delivery_info", {})
        delivery_info[MESSAGE_ID] = message_id
        delivery_info["redelivered"] = deliveries > 1
        return message

    def _size(self, queue):
        return self._execute(
            f"SELECT count(*) FROM {TABLE} WHERE queue = %s",  # noqa: S608
            (queue,),
        ).fetchone()[0]

    def _purge(self, queue):
        return self._execute(f"DELETE FROM {TABLE} WHERE queue = %s", (queue,)).rowcount  # noqa: S608

    def _delete(self, queue, *args, **kwargs):
        self._purge(queue)

    # -- acknowledgements --------------------------------------------------

    def _message_id(self, delivery_tag):
        try:
            return self.qos.get(delivery_tag).delivery_info.get(MESSAGE_ID)
        except KeyError:
            return None

    def basic_ack(self, delivery_tag, multiple=False):
        message_id = self._message_id(delivery_tag)
        try:
            if message_id is not None:
                self._execute(f"DELETE FROM {TABLE} WHERE id = %s", (message_id,))  # noqa: S608
        finally:
            self._forget(delivery_tag)

    def basic_reject(self, delivery_tag, requeue=False):
        message_id = self._message_id(delivery_tag)
        if message_id is None:
            return super().basic_reject(delivery_tag, requeue=requeue)
        try:
            if requeue:
                self._make_visible(message_id)
            else:
                self._execute(f"DELETE FROM {TABLE} WHERE id = %s", (message_id,))  # noqa: S608
        finally:
            self._forget(delivery_tag)
        return None

    def _forget(self, delivery_tag) -> None:
        """Drop a delivery from this channel's prefetch window, even when the database
        refused the ack or reject: the row stays, hidden until its visibility timeout,
        and comes back then. Kept in the window, it would hold the worker's prefetch
        slot forever, and the worker would take no message again after a restart of
        the database."""
        super().basic_ack(delivery_tag)

    def _make_visible(self, message_id) -> None:
        self._execute(
            f"UPDATE {TABLE} SET visible_at = now() WHERE id = %s",  # noqa: S608
            (message_id,),
        )

    def _restore(self, message):
        """Give an unacked message back (clean shutdown): it is still a row."""
        message_id = message.delivery_info.get(MESSAGE_ID)
        if message_id is None:
            return super()._restore(message)
        self._make_visible(message_id)
        return None

    def _restore_at_beginning(self, message):
        return self._restore(message)


def _worker_stopping() -> bool:
    """Whether this process is a Celery worker told to stop (warm or cold)."""
    from celery.worker import state

    return state.should_stop not in (None, False) or state.should_terminate not in (None, False)


class Transport(virtual.Transport):
    Channel = Channel

    polling_interval = 0.25
    default_port = 5432
    driver_type = "postgresql"
    driver_name = "psycopg"

    connection_errors = (
        *virtual.Transport.connection_errors,
        psycopg.OperationalError,
        psycopg.InterfaceError,
    )
    channel_errors = (*virtual.Transport.channel_errors, psycopg.DatabaseError)

    # A worker's loop drains for 2 s at a time and, told to stop, drains once more
    # before it stops: up to 4 s of polling empty queues after a Ctrl-C. So a drain
    # looks every half second whether its worker is stopping, and hands back if so;
    # for everyone else it waits as long as it was asked to.
    stop_check_every = 0.5

    def drain_events(self, connection, timeout=None):
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            step = self.stop_check_every
            if deadline is not None:
                step = max(0.0, min(step, deadline - monotonic()))
            try:
                return super().drain_events(connection, timeout=step)
            except TimeoutError:  # socket.timeout
                if _worker_stopping() or (deadline is not None and monotonic() >= deadline):
                    raise

    def driver_version(self):
        return psycopg.__version__
