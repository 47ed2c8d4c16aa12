"""Re-encrypt every encrypted value with the newest key in ENCRYPTION_KEYS."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core.crypto import EncryptedTextField, reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the first key of ENCRYPTION_KEYS; run it after "
        "putting a new key in front and before removing an old one."
    )

    def handle(self, *args, **options):
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if fields:
                with transaction.atomic():
                    count = rotate(model._meta.db_table, model._meta.pk.column, fields)
                self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")


def rotate(table: str, pk: str, fields) -> int:
    """Raw SQL: through the ORM the field would decrypt on the way out and encrypt anew
    on the way in, which is the same thing with more work."""
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    select = f"SELECT {quote(pk)}, {', '.join(columns)} FROM {quote(table)} FOR UPDATE"  # noqa: S608
    update = (
        f"UPDATE {quote(table)} SET {', '.join(f'{c} = %s' for c in columns)} "  # noqa: S608
        f"WHERE {quote(pk)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(select)
        rows = cursor.fetchall()
        for key, *values in rows:
            cursor.execute(update, [*(reencrypt(v) if v else v for v in values), key])
    return len(rows)
