"""Monthly partitions of the events table: made ahead, dropped whole past retention.

Partitions are named `analytics_event_yYYYYmMM` and cover one calendar month of
`received_at` in UTC. Making them ahead (beat, on migrate, and as a last resort
by the collect path when a row finds no partition) means an insert never waits
on DDL; dropping a whole month is instant where a DELETE would rewrite the table.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection as default_connection
from django.db import transaction
from django.utils import timezone

PARENT = "analytics_event"
NAME = re.compile(r"^analytics_event_y(\d{4})m(\d{2})$")
# Serialises partition DDL between processes (beat, migrate, a collect fallback).
DDL_LOCK = 7_310_001
RETENTION_BATCH = 10_000


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def partition_name(month: date) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def _bound(month: date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def ensure_event_partitions(
    *, now: datetime | None = None, months_ahead: int | None = None, connection=None
) -> list[str]:
    """Create the partitions from last month to `months_ahead` months on; return the new ones."""
    connection = connection or default_connection
    ahead = settings.ANALYTICS_PARTITIONS_AHEAD if months_ahead is None else months_ahead
    month = month_start((now or timezone.now()).astimezone(UTC).date() - timedelta(days=31))
    wanted = []
    for _ in range(ahead + 2):  # last month, this month, then the months ahead
        wanted.append(month)
        month = next_month(month)
    created = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DDL_LOCK])
        existing = set(_partitions(cursor))
        for month in wanted:
            name = partition_name(month)
            if name in existing:
                continue
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF {PARENT} "
                f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(next_month(month))}')"
            )
            created.append(name)
    return created


def _partitions(cursor) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
        [PARENT],
    )
    return [row[0] for row in cursor.fetchall()]


def event_partitions() -> list[str]:
    with default_connection.cursor() as cursor:
        return _partitions(cursor)


def retention_cutoff(now: datetime | None = None, days: int | None = None) -> datetime | None:
    days = settings.ANALYTICS_EVENT_RETENTION_DAYS if days is None else days
    if days <= 0:  # 0: keep everything
        return None
    return (now or timezone.now()) - timedelta(days=days)


def drop_expired_event_partitions(
    *, now: datetime | None = None, retention_days: int | None = None
) -> list[str]:
    """Drop every month wholly older than the retention period, with the receipts,
    sessions, visitors and bot counts of that age; return the dropped partitions."""
    cutoff = retention_cutoff(now, retention_days)
    if cutoff is None:
        return []
    dropped = []
    with transaction.atomic(), default_connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DDL_LOCK])
        for name in _partitions(cursor):
            match = NAME.match(name)
            if not match:
                continue
            end = next_month(date(int(match[1]), int(match[2]), 1))
            if datetime.combine(end, datetime.min.time(), UTC) <= cutoff:
                cursor.execute(f"DROP TABLE {name}")
                dropped.append(name)
    _delete_older_than(cutoff)
    return dropped


def _delete_older_than(cutoff: datetime) -> None:
    from analytics.models import BotCount, EventReceipt, Session, Visitor

    # In batches: one huge DELETE would hold its locks and bloat the WAL at once.
    while True:
        ids = list(
            EventReceipt.objects.filter(received_at__lt=cutoff).values_list("pk", flat=True)[
                :RETENTION_BATCH
            ]
        )
        if not ids:
            break
        EventReceipt.objects.filter(pk__in=ids).delete()
    Session.objects.filter(ended_at__lt=cutoff).delete()
    Visitor.objects.filter(last_seen__lt=cutoff, sessions=None).delete()
    BotCount.objects.filter(day__lt=cutoff.date()).delete()
