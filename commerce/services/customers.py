"""Pseudonymous customers: a keyed hash of the email or the shop's customer id, never the email."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import connection

from commerce.ingest.records import CustomerKey
from commerce.models import Customer, CustomerKeyKind, CustomerVisitor, Order


def customer_hash(key: CustomerKey, *, shop_domain: str) -> tuple[str, str] | None:
    """(hex HMAC-SHA256, kind) for a customer key, or None when it names nobody.

    The email is preferred: it is the same person across shops. A shop's
    customer id only means something within that shop, so the shop is in the hash.
    """
    if key.email:
        message, kind = f"email:{key.email.strip().lower()}", CustomerKeyKind.EMAIL
    elif key.shop_customer_id:
        message = f"shop-customer:{shop_domain}:{key.shop_customer_id}"
        kind = CustomerKeyKind.SHOP_CUSTOMER
    else:
        return None
    digest = hmac.new(
        settings.CUSTOMER_HASH_KEY.encode(), message.encode(), hashlib.sha256
    ).hexdigest()
    return digest, kind


def resolve_customers(hashes: dict[str, str]) -> dict[str, int]:
    """{key hash: kind} -> {key hash: customer id}, creating the customers not yet known."""
    if not hashes:
        return {}
    # An upsert that returns every id, new or not, in one round trip.
    keys = sorted(hashes.items())
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Customer._meta.db_table}
                   (key_hash, key_kind, order_count, created_at, updated_at)
            SELECT h, k, 0, now(), now() FROM unnest(%s::text[], %s::text[]) AS t(h, k)
            ON CONFLICT (key_hash) DO UPDATE SET key_kind = EXCLUDED.key_kind
            RETURNING key_hash, id
            """,  # noqa: S608  (table name from the model)
            [[h for h, _ in keys], [k for _, k in keys]],
        )
        return dict(cursor.fetchall())


def refresh_customer_stats(customer_ids: Iterable[int]) -> None:
    """Recount first/last order time and order count from the orders themselves (idempotent)."""
    ids = sorted({i for i in customer_ids if i})
    if not ids:
        return
    customers, orders = Customer._meta.db_table, Order._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {customers} AS c
               SET order_count = COALESCE(s.n, 0),
                   first_order_at = s.first_at,
                   last_order_at = s.last_at,
                   updated_at = now()
              FROM (SELECT ids.id AS customer_id, count(o.id) AS n,
                           min(o.created_at_shop) AS first_at, max(o.created_at_shop) AS last_at
                      FROM unnest(%s::bigint[]) AS ids(id)
                      LEFT JOIN {orders} o ON o.customer_id = ids.id
                     GROUP BY ids.id) AS s
             WHERE c.id = s.customer_id
            """,  # noqa: S608  (table names from the models)
            [ids],
        )


def link_visitors(links: Iterable[tuple[int, str, datetime]]) -> None:
    """Remember which storefront visitor ids a customer's orders carried."""
    rows = {}
    for customer_id, visitor_id, seen_at in links:
        if not (customer_id and visitor_id):
            continue
        first, last = rows.get((customer_id, visitor_id), (seen_at, seen_at))
        rows[(customer_id, visitor_id)] = (min(first, seen_at), max(last, seen_at))
    if not rows:
        return
    table = CustomerVisitor._meta.db_table
    keys = sorted(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (customer_id, visitor_id, first_seen_at, last_seen_at)
            SELECT * FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::timestamptz[])
            ON CONFLICT (customer_id, visitor_id) DO UPDATE
               SET first_seen_at = LEAST({table}.first_seen_at, EXCLUDED.first_seen_at),
                   last_seen_at = GREATEST({table}.last_seen_at, EXCLUDED.last_seen_at)
            """,  # noqa: S608
            [
                [c for c, _ in keys],
                [v for _, v in keys],
                [rows[key][0] for key in keys],
                [rows[key][1] for key in keys],
            ],
        )
