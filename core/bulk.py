"""Bulk inserts through PostgreSQL's COPY, for imports and other large writes.

bulk_create spends most of a large import compiling and splitting one huge
INSERT; COPY streams the rows with no per-row SQL to build or parse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from django.db import DatabaseError, IntegrityError, connection, models
from django.utils import timezone
from psycopg.types.json import Jsonb


def _copy_value(field, obj, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        setattr(obj, field.attname, now)
        return now
    value = getattr(obj, field.attname)
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return Jsonb(value)
    if isinstance(field, models.FileField):
        return value.name or ""
    return value


def copy_insert(objs: Sequence[models.Model], *, with_ids: bool = False) -> None:
    """INSERT model instances with one COPY: no per-row SQL to build or parse.

    bulk_create spends most of a large import compiling and splitting one huge
    INSERT; COPY streams the rows. With `with_ids`, primary keys are drawn from
    the table's sequence first and set on the instances, as bulk_create would.
    A unique violation raises IntegrityError like an INSERT.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    fields = [
        f
        for f in meta.concrete_fields
        if not (f.primary_key and not with_ids) and not getattr(f, "generated", False)
    ]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    now = timezone.now()
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        try:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for obj in objs:
                    copy.write_row([_copy_value(f, obj, now) for f in fields])
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except psycopg.Error as exc:
            raise DatabaseError(str(exc)) from exc
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def copy_rows(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY plain tuples of values for the columns `names` (attnames, e.g. "asset_id").

    Cheaper than instances for rows nobody reads back (tags, audit entries,
    import items). Every other column gets its model default, computed once.
    """
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    given = [by_attname[name] for name in names]
    now = timezone.now()
    rest = [
        f
        for f in meta.concrete_fields
        if f.attname not in names and not f.primary_key and not getattr(f, "generated", False)
    ]
    defaults = []
    for f in rest:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults.append(now)
        else:
            value = f.get_default()
            defaults.append(Jsonb(value) if isinstance(f, models.JSONField) else value)
    json_at = [i for i, f in enumerate(given) if isinstance(f, models.JSONField)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [*given, *rest])
    with connection.cursor() as cursor:
        try:
            with cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    if json_at:
                        row = list(row)
                        for i in json_at:
                            row[i] = None if row[i] is None else Jsonb(row[i])
                    copy.write_row([*row, *defaults])
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except psycopg.Error as exc:
            raise DatabaseError(str(exc)) from exc
