"""A faster flush after each transactional test: empty only the tables that hold rows.

Django's flush truncates every table of every app in one TRUNCATE; PostgreSQL gives
each of them and each of their indexes a new file, which on a machine busy with disk
writes took 1-2 s per transactional test (0.2-2 s, as noisy as the disk). Here the
tables that hold no row are left alone (they already are what TRUNCATE would make
them); the few that do are emptied with DELETE, under deferred constraints so the
order does not matter (Django makes every foreign key deferrable; one that is not
would make the flush fail, loudly), in the same one transaction. A table with many rows, or one
with a trigger of its own (a DELETE would fire it), is truncated instead, with CASCADE
for any table that references it. Sequences are not reset, as in Django's flush
without reset_sequences; a flush that resets them is left as Django does it.
"""

from __future__ import annotations

from django.db.backends.postgresql.operations import DatabaseOperations

_django_sql_flush = DatabaseOperations.sql_flush
DELETE_UP_TO_ROWS = 1000  # more rows than this: TRUNCATE is the cheaper way


def row_counts_up_to(connection, tables: list[str], limit: int) -> dict[str, int]:
    """Rows in each table that holds any, counted up to limit + 1, in one round trip."""
    if not tables:
        return {}
    quote = connection.ops.quote_name
    probes = " UNION ALL ".join(  # table names from Django's introspection, quoted
        f"SELECT {i}, (SELECT count(*) FROM (SELECT 1 FROM {quote(table)} "  # noqa: S608
        f"LIMIT {limit + 1}) AS t) AS n"
        for i, table in enumerate(tables)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({probes}) AS counts WHERE n > 0")  # noqa: S608
        return {tables[i]: n for i, n in cursor.fetchall()}


def tables_with_triggers(connection, tables: list[str]) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relname = ANY(%s)",
            [tables],
        )
        return {row[0] for row in cursor.fetchall()}


def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    if reset_sequences:
        return _django_sql_flush(
            self, style, tables, reset_sequences=True, allow_cascade=allow_cascade
        )
    tables = sorted(tables)
    counts = row_counts_up_to(self.connection, tables, DELETE_UP_TO_ROWS)
    triggered = tables_with_triggers(self.connection, list(counts))
    truncate = [t for t, n in counts.items() if n > DELETE_UP_TO_ROWS or t in triggered]
    delete = [t for t in counts if t not in truncate]
    statements = ["SET CONSTRAINTS ALL DEFERRED"]
    statements += _django_sql_flush(self, style, truncate, allow_cascade=True)
    statements += [f"DELETE FROM {self.quote_name(table)}" for table in delete]  # noqa: S608
    return statements


def install(monkeypatch) -> None:
    monkeypatch.setattr(DatabaseOperations, "sql_flush", sql_flush)
