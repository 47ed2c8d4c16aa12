"""Saving orders and refunds, from webhooks and imports alike.

An order is keyed by (shop, the shop's order id). An update older than the
stored state (by the shop's `updated_at`) is ignored, so webhooks that arrive
out of order keep the newest state; the same state twice changes nothing.
Refunds are rows of their own keyed by the shop's refund id, so a refund seen
in several webhooks counts once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from commerce.ingest import values
from commerce.ingest.records import OrderRecord, RefundRecord
from commerce.models import Order, OrderLine, Product, Refund, Shop, Variant
from commerce.services import customers as customer_service
from commerce.signals import orders_changed
from core.bulk import copy_insert, copy_rows
from core.effects import after_commit

CREATED, UPDATED, UNCHANGED, STALE = "created", "updated", "unchanged", "stale"

ORDER_FIELDS = [
    "name",
    "customer_id",
    "created_at_shop",
    "updated_at_shop",
    "currency",
    "subtotal",
    "discounts",
    "total",
    "refunded_amount",
    "status",
    "financial_status",
    "landing_page",
    "referrer",
    *values.UTM_FIELDS,
    "visitor_id",
    "source",
    "fingerprint",
]


def fingerprint(record: OrderRecord, customer_hash: str) -> str:
    state = {
        "order": [
            record.name,
            record.created_at.isoformat(),
            record.updated_at.isoformat() if record.updated_at else None,
            record.currency,
            str(record.subtotal),
            str(record.discounts),
            str(record.total),
            None if record.refunded_amount is None else str(record.refunded_amount),
            record.status,
            record.financial_status,
            record.landing_page,
            record.referrer,
            record.visitor_id,
            customer_hash,
        ],
        "lines": [
            [line.sku, line.title, line.quantity, str(line.unit_price), str(line.line_total)]
            for line in record.lines
        ],
        "refunds": sorted(
            [r.shop_refund_id, str(r.amount), r.currency, r.created_at.isoformat()]
            for r in record.refunds
        ),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def is_stale(stored: Order, record: OrderRecord) -> bool:
    """An update older than what is stored. A state without a time never replaces one with."""
    if stored.updated_at_shop is None:
        return False
    return record.updated_at is None or record.updated_at < stored.updated_at_shop


def catalog_for_skus(skus: set[str]) -> dict[str, tuple[int | None, int | None]]:
    """SKU -> (product id, variant id); a variant's SKU wins over a product's own SKU."""
    if not skus:
        return {}
    found: dict[str, tuple[int | None, int | None]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT sku, product_id, id FROM {Variant._meta.db_table} WHERE sku = ANY(%s)
            UNION ALL
            SELECT sku, id, NULL FROM {Product._meta.db_table} WHERE sku = ANY(%s)
            """,  # noqa: S608  (table names from the models)
            [list(skus), list(skus)],
        )
        for sku, product_id, variant_id in cursor.fetchall():
            if variant_id is not None or sku not in found:
                found[sku] = (product_id, variant_id)
    return found


def save_orders(
    *,
    shop: Shop,
    records: Sequence[OrderRecord],
    source: str,
    savepoint: bool = True,
    orders_out: dict[str, Order] | None = None,
) -> list[str]:
    """Create or update orders in one transaction; returns each record's outcome.

    Record ids must be distinct within one call. `orders_out`, when given, is
    filled with the stored order of each record by the shop's order id.
    `savepoint=False` saves two round trips when the caller's transaction
    already makes the whole thing atomic.
    """
    outcomes: list[str] = []
    changed_ids: list[int] = []
    with transaction.atomic(savepoint=savepoint):
        ids = [record.shop_order_id for record in records]
        existing = {
            order.shop_order_id: order
            # Locked in one order, so that two batches sharing orders cannot deadlock.
            for order in Order.objects.select_for_update()
            .filter(shop=shop, shop_order_id__in=ids)
            .order_by("shop_order_id")
        }
        hashes = {}
        record_hash: list[str] = []
        for record in records:
            found = (
                customer_service.customer_hash(record.customer, shop_domain=shop.domain)
                if (record.customer)
                else None
            )
            if found:
                hashes[found[0]] = found[1]
            record_hash.append(found[0] if found else "")
        customer_ids = customer_service.resolve_customers(hashes)
        catalog = catalog_for_skus({line.sku for r in records for line in r.lines if line.sku})

        to_create: list[Order] = []
        to_update: list[Order] = []
        written: list[tuple[Order, OrderRecord]] = []
        touched_customers: set[int] = set()
        for record, key_hash in zip(records, record_hash, strict=True):
            print_ = fingerprint(record, key_hash)
            order = existing.get(record.shop_order_id)
            if orders_out is not None and order is not None:
                orders_out[record.shop_order_id] = order
            if order is not None:
                if order.fingerprint == print_:
                    outcomes.append(UNCHANGED)
                    continue
                if is_stale(order, record):
                    outcomes.append(STALE)
                    continue
                if order.customer_id:
                    touched_customers.add(order.customer_id)
                to_update.append(order)
                outcomes.append(UPDATED)
            else:
                order = Order(shop=shop, shop_order_id=record.shop_order_id)
                if orders_out is not None:
                    orders_out[record.shop_order_id] = order
                to_create.append(order)
                outcomes.append(CREATED)
            _apply(order, record, customer_ids.get(key_hash), source, print_)
            if order.customer_id:
                touched_customers.add(order.customer_id)
            written.append((order, record))

        if to_create:
            _insert_orders(to_create)
        if to_update:
            Order.objects.bulk_update(to_update, [*ORDER_FIELDS, "updated_at"], batch_size=500)
            OrderLine.objects.filter(order__in=[o.id for o in to_update]).delete()
        lines = []
        for order, record in written:
            for position, line in enumerate(record.lines, start=1):
                product_id, variant_id = catalog.get(line.sku, (None, None))
                lines.append(
                    (
                        order.id,
                        position,
                        product_id,
                        variant_id,
                        line.sku,
                        line.title,
                        product_id is None,
                        line.quantity,
                        line.unit_price,
                        line.line_total,
                    )
                )
        _insert_lines(lines)

        refunds = [refund for _, record in written for refund in record.refunds]
        if refunds:
            _upsert_refunds(shop, refunds)
        if written:
            _link_refunds(shop, [order for order, _ in written], recount=bool(refunds))
        customer_service.link_visitors(
            (order.customer_id, order.visitor_id, order.created_at_shop)
            for order, _ in written
            if order.visitor_id
        )
        customer_service.refresh_customer_stats(touched_customers)
        changed_ids = [order.id for order, _ in written]
        if changed_ids:
            after_commit(orders_changed.send, sender=Order, order_ids=changed_ids)
    return outcomes


# Past this many rows COPY beats INSERT; below it, one INSERT is one round trip.
COPY_THRESHOLD = 50
LINE_COLUMNS = (
    "order_id", "position", "product_id", "variant_id", "sku", "title", "unknown_product",
    "quantity", "unit_price", "line_total",
)  # fmt: skip


def _insert_orders(orders: list[Order]) -> None:
    """Insert new orders and set their ids; COPY for imports, one INSERT for a webhook."""
    if len(orders) < COPY_THRESHOLD:
        Order.objects.bulk_create(orders)
    else:
        copy_insert(orders, with_ids=True)


def _insert_lines(lines: list[tuple]) -> None:
    if len(lines) < COPY_THRESHOLD:
        OrderLine.objects.bulk_create(
            [OrderLine(**dict(zip(LINE_COLUMNS, line, strict=True))) for line in lines]
        )
    else:
        copy_rows(OrderLine, LINE_COLUMNS, lines)


def _apply(order: Order, record: OrderRecord, customer_id, source: str, print_: str) -> None:
    order.name = record.name
    order.customer_id = customer_id
    order.created_at_shop = record.created_at
    order.updated_at_shop = record.updated_at
    order.currency = record.currency
    order.subtotal = record.subtotal
    order.discounts = record.discounts
    order.total = record.total
    # Refund rows, when there are any, override this (see _link_refunds).
    order.refunded_amount = record.refunded_amount or Decimal(0)
    order.status = record.status
    order.financial_status = record.financial_status
    order.landing_page = record.landing_page
    order.referrer = record.referrer
    utm = values.utm(record.landing_page)
    for name in values.UTM_FIELDS:
        setattr(order, name, utm.get(name, ""))
    order.visitor_id = record.visitor_id
    order.source = source
    order.fingerprint = print_


def _upsert_refunds(shop: Shop, refunds: Sequence[RefundRecord]) -> None:
    by_id = {refund.shop_refund_id: refund for refund in refunds}
    Refund.objects.bulk_create(
        [
            Refund(
                shop=shop,
                shop_refund_id=r.shop_refund_id,
                shop_order_id=r.shop_order_id,
                amount=r.amount,
                currency=r.currency,
                created_at_shop=r.created_at,
            )
            for r in by_id.values()
        ],
        update_conflicts=True,
        unique_fields=["shop", "shop_refund_id"],
        update_fields=["amount", "currency", "created_at_shop"],
    )


def _link_refunds(shop: Shop, orders: Sequence[Order], *, recount: bool = True) -> None:
    """Attach refunds that arrived before their order; recount refunded amounts.

    Most orders have no refund: then this costs one indexed lookup.
    """
    order_ids = [order.id for order in orders]
    orphans = Refund.objects.filter(
        shop=shop, order__isnull=True, shop_order_id__in=[order.shop_order_id for order in orders]
    )
    if orphans.exists():
        order_of = Order.objects.filter(shop=shop, shop_order_id=OuterRef("shop_order_id"))
        orphans.update(order_id=Subquery(order_of.values("id")[:1]))
    elif not recount:
        return
    total = (
        Refund.objects.filter(order_id=OuterRef("pk"))
        .values("order_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    with_refunds = Refund.objects.filter(order_id__in=order_ids).values("order_id")
    Order.objects.filter(id__in=with_refunds).update(
        refunded_amount=Coalesce(Subquery(total), Decimal(0))
    )


def save_refund(*, shop: Shop, refund: RefundRecord) -> Order | None:
    """A refund from refunds/create: kept even if its order has not arrived yet."""
    with transaction.atomic():
        _upsert_refunds(shop, [refund])
        order = (
            Order.objects.select_for_update()
            .filter(shop=shop, shop_order_id=refund.shop_order_id)
            .first()
        )
        if order is None:
            return None
        _link_refunds(shop, [order])
        order.refresh_from_db()
        after_commit(orders_changed.send, sender=Order, order_ids=[order.id])
        return order
