"""Order webhooks: signatures, and recording each delivery once.

A delivery is written in the same transaction as the order it carries, so an
acknowledged order is on disk, and a delivery id seen before changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from commerce.ingest.records import OrderRecord, RefundRecord
from commerce.models import Order, Shop, WebhookDelivery, WebhookOutcome
from commerce.services import orders as order_service
from commerce.signals import order_contact
from core.effects import after_commit


def sign(secret: str, body: bytes) -> str:
    """The signature a shop sends: base64 of HMAC-SHA256(secret, raw body)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not (secret and header):
        return False
    expected = sign(secret, body).encode()
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))


def delivery_id_for(header: str | None, body: bytes) -> str:
    """The shop's delivery id; without one, the body's hash (the same body is the same event)."""
    if header and header.strip():
        return header.strip()[:200]
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass
class Receipt:
    outcome: str
    duplicate: bool
    order: Order | None = None


def receive(
    *, shop: Shop, webhook_id: str, topic: str, record: OrderRecord | RefundRecord | None
) -> Receipt:
    """Record a delivery and apply what it carries (None: a topic we do not handle).

    Two deliveries of one new order (orders/create and orders/updated at once)
    may both find no row and both insert it; the loser's transaction is rolled
    back whole and runs again, and then finds the order.
    """
    for attempt in range(3):
        try:
            return _receive(shop=shop, webhook_id=webhook_id, topic=topic, record=record)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _receive(
    *, shop: Shop, webhook_id: str, topic: str, record: OrderRecord | RefundRecord | None
) -> Receipt:
    with transaction.atomic():
        delivery = _claim(shop, webhook_id, topic)
        if delivery.outcome != WebhookOutcome.INVALID and not getattr(delivery, "claimed", False):
            return Receipt(delivery.outcome, True, delivery.order)
        order = None
        if isinstance(record, OrderRecord):
            stored: dict[str, Order] = {}
            (outcome,) = order_service.save_orders(
                shop=shop, records=[record], source="webhook", savepoint=False, orders_out=stored
            )
            order = stored[record.shop_order_id]
            result = (
                WebhookOutcome.STALE if outcome == order_service.STALE else WebhookOutcome.PROCESSED
            )
            if record.contact and result == WebhookOutcome.PROCESSED:
                after_commit(
                    order_contact.send, sender=Order, order_id=order.id, contact=record.contact
                )
        elif isinstance(record, RefundRecord):
            order = order_service.save_refund(shop=shop, refund=record)
            result = WebhookOutcome.PROCESSED
        else:
            result = WebhookOutcome.IGNORED
        delivery.topic, delivery.outcome, delivery.order, delivery.detail = (
            topic[:100],
            result,
            order,
            "",
        )
        delivery.save(update_fields=["topic", "outcome", "order", "detail"])
        return Receipt(result, False, order)


def _claim(shop: Shop, webhook_id: str, topic: str) -> WebhookDelivery:
    """Insert the delivery, or lock the one already there (a concurrent twin waits here)."""
    table = WebhookDelivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (shop_id, webhook_id, topic, received_at, outcome, detail)
            VALUES (%s, %s, %s, now(), %s, '')
            ON CONFLICT (shop_id, webhook_id) DO NOTHING
            RETURNING id
            """,  # noqa: S608  (table name from the model)
            [shop.pk, webhook_id, topic[:100], WebhookOutcome.PROCESSED],
        )
        row = cursor.fetchone()
    if row is None:
        return WebhookDelivery.objects.select_for_update().get(shop=shop, webhook_id=webhook_id)
    delivery = WebhookDelivery(
        id=row[0], shop=shop, webhook_id=webhook_id, topic=topic[:100],
        outcome=WebhookOutcome.PROCESSED,
    )  # fmt: skip
    delivery.claimed = True
    return delivery


def record_invalid(*, shop: Shop, webhook_id: str, topic: str, detail: str) -> None:
    """Keep a signed but invalid delivery for the operator; a retry with a fix is processed."""
    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.select_for_update().get_or_create(
            shop=shop,
            webhook_id=webhook_id,
            defaults={"topic": topic[:100], "outcome": WebhookOutcome.INVALID, "detail": detail},
        )
        if not created and delivery.outcome == WebhookOutcome.INVALID:
            delivery.detail = detail
            delivery.save(update_fields=["detail"])
