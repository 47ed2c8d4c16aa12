"""The flush that ends each transactional test (tests/support/flush.py) leaves the
database exactly as Django's own full flush does."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations

from tests.support import flush
from tests.ugc.factories import CoordinatorFactory, GalleryPinFactory, PublishableAssetFactory


def row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def write_rows() -> None:
    """Rows in tables that reference one another: a pin, its gallery and asset, a user."""
    for position in range(3):
        GalleryPinFactory(asset=PublishableAssetFactory(), position=position)
    CoordinatorFactory()


def flush_with(sql_flush) -> dict[str, int]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        call_command("flush", interactive=False, verbosity=0, reset_sequences=False)
    return row_counts()


@pytest.mark.parametrize("delete_up_to_rows", [flush.DELETE_UP_TO_ROWS, 1])
def test_only_tables_with_rows_are_emptied_and_the_result_is_django_s(
    transactional_db, monkeypatch, delete_up_to_rows
):
    monkeypatch.setattr(flush, "DELETE_UP_TO_ROWS", delete_up_to_rows)
    write_rows()
    counts = row_counts()
    written = {table for table, count in counts.items() if count}
    assert {"ugc_gallerypin", "ugc_asset", "auth_user_groups"} <= written
    statements = "\n".join(flush.sql_flush(connection.ops, no_style(), list(counts)))
    assert all(f'"{table}"' in statements for table in written)
    assert '"ugc_rightsrequest"' not in statements  # empty already: left alone
    if delete_up_to_rows == 1:  # more rows than that: truncated, with what references them
        assert 'TRUNCATE "' in statements and statements.count(" CASCADE;") == 1
        assert 'DELETE FROM "auth_user"' in statements  # one row
    else:
        assert "TRUNCATE" not in statements

    fast = flush_with(flush.sql_flush)
    write_rows()
    assert fast == flush_with(flush._django_sql_flush)
    # Nothing the test wrote is left, only what post_migrate puts back.
    assert fast["ugc_gallerypin"] == fast["ugc_asset"] == fast["auth_user"] == 0
    assert fast["django_content_type"] > 0


def test_a_flush_that_resets_sequences_is_django_s(db):
    tables = ["ugc_asset", "ugc_gallerypin"]
    assert flush.sql_flush(
        connection.ops, no_style(), tables, reset_sequences=True
    ) == flush._django_sql_flush(connection.ops, no_style(), tables, reset_sequences=True)
