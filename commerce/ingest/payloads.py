"""Order and refund JSON payloads: Shopify's webhooks and our generic order webhook."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from commerce.currencies import is_currency
from commerce.ingest import values
from commerce.ingest.records import (
    CustomerKey,
    InvalidField,
    LineRecord,
    OrderContact,
    OrderRecord,
    RefundRecord,
)

MAX_LINES = 1000


def _object(payload, field: str = "") -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidField(field, "must be a JSON object")
    return payload


def _id(value, field: str) -> str:
    if isinstance(value, bool) or value is None or value == "":
        raise InvalidField(field, "is required")
    if not isinstance(value, str | int):
        raise InvalidField(field, "must be a string or an integer")
    text = str(value).strip()
    if not text or len(text) > 100:
        raise InvalidField(field, "must be 1 to 100 characters")
    return text


def _list(payload: dict, key: str) -> list:
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidField(key, "must be a list")
    if len(value) > MAX_LINES:
        raise InvalidField(key, f"has more than {MAX_LINES} items")
    return value


def _attributes(payload: dict, *keys: str) -> dict[str, str]:
    """Shopify's note_attributes / attributes: [{"name": ..., "value": ...}]."""
    out: dict[str, str] = {}
    for key in keys:
        items = payload.get(key)
        if isinstance(items, dict):
            items = [{"name": k, "value": v} for k, v in items.items()]
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                out.setdefault(item["name"], str(item.get("value") or ""))
    return out


def _status(cancelled_at, closed_at) -> str:
    if cancelled_at:
        return "cancelled"
    if closed_at:
        return "closed"
    return "open"


# -- Shopify ----------------------------------------------------------------------------


def shopify_order(payload) -> OrderRecord:
    """An order from Shopify's orders/create or orders/updated webhook body."""
    payload = _object(payload)
    _refuse_rest_wrapper(payload, "order")
    currency = values.currency(payload.get("currency"), "currency")
    lines = []
    for index, item in enumerate(_list(payload, "line_items")):
        try:
            lines.append(_shopify_line(_object(item)))
        except InvalidField as exc:
            raise exc.within(f"line_items.{index}") from None
    customer = _object(payload.get("customer") or {}, "customer")
    email = values.normalise_email(payload.get("email") or customer.get("email"))
    customer_id = customer.get("id")
    key = None
    if email or customer_id:
        key = CustomerKey(email=email, shop_customer_id=str(customer_id or "")[:100])
    attributes = _attributes(payload, "note_attributes", "attributes")
    landing = values.text(payload.get("landing_site"), limit=2000)
    refunds = []
    for index, refund in enumerate(_list(payload, "refunds")):
        try:
            refunds.append(shopify_refund(refund, default_currency=currency))
        except InvalidField as exc:
            raise exc.within(f"refunds.{index}") from None
    return OrderRecord(
        shop_order_id=_id(payload.get("id"), "id"),
        name=values.text(payload.get("name"), limit=100),
        created_at=values.timestamp(payload.get("created_at"), "created_at"),
        updated_at=values.timestamp(payload.get("updated_at"), "updated_at", required=False),
        currency=currency,
        subtotal=values.money(payload.get("subtotal_price"), "subtotal_price", required=False)
        or Decimal(0),
        discounts=values.money(payload.get("total_discounts"), "total_discounts", required=False)
        or Decimal(0),
        total=values.money(payload.get("total_price"), "total_price"),
        status=_status(payload.get("cancelled_at"), payload.get("closed_at")),
        financial_status=values.text(payload.get("financial_status"), limit=40),
        landing_page=landing,
        referrer=values.text(payload.get("referring_site"), limit=2000),
        visitor_id=values.visitor_from_attributes(attributes),
        customer=key,
        lines=lines,
        refunds=refunds,
        contact=OrderContact(
            email=email,
            accepts_marketing=_shopify_consent(payload, customer),
            locale=values.text(payload.get("customer_locale"), limit=16),
            fulfilled=payload.get("fulfillment_status") == "fulfilled",
        ),
    )


def _shopify_consent(payload: dict, customer: dict) -> bool:
    """E-mail marketing consent: the customer's consent state where Shopify sends it,
    else the order's older `buyer_accepts_marketing` flag."""
    consent = customer.get("email_marketing_consent")
    if isinstance(consent, dict) and consent.get("state"):
        return consent.get("state") == "subscribed"
    return payload.get("buyer_accepts_marketing") is True


def _shopify_line(item: dict) -> LineRecord:
    qty = values.quantity(item.get("quantity"), "quantity")
    price = values.money(item.get("price"), "price")
    discount = values.money(item.get("total_discount"), "total_discount", required=False)
    total = values.line_total(price * qty - (discount or 0), "price")
    if total < 0:
        raise InvalidField("total_discount", "is larger than the line's price times quantity")
    return LineRecord(
        sku=values.text(item.get("sku"), limit=100),
        title=values.text(item.get("title") or item.get("name"), limit=500),
        quantity=qty,
        unit_price=price,
        line_total=total,
    )


def shopify_refund(payload, *, default_currency: str = "") -> RefundRecord:
    """A refund from Shopify's refunds/create body (or an order's refunds list).

    The amount is the sum of its successful refund transactions. Their currency
    is often null (Shopify's own "Send test notification" sample): then the
    refund's presentment currency (its money sets) is used, else
    `default_currency` (the order's).
    """
    payload = _object(payload)
    _refuse_rest_wrapper(payload, "refund")
    amount = Decimal(0)
    currency = ""
    for index, transaction in enumerate(_list(payload, "transactions")):
        transaction = _object(transaction, f"transactions.{index}")
        if transaction.get("kind") != "refund" or transaction.get("status") not in (
            "success",
            None,
        ):
            continue
        amount += values.money(transaction.get("amount"), f"transactions.{index}.amount")
        if transaction.get("currency"):
            currency = values.currency(
                transaction.get("currency"), f"transactions.{index}.currency"
            )
    currency = currency or _presentment_currency(payload) or default_currency
    if not currency:
        raise InvalidField(
            "transactions",
            "no refund transaction names a currency, the refund carries no presentment "
            "money, and its order is not known yet; send the order first",
        )
    return RefundRecord(
        shop_refund_id=_id(payload.get("id"), "id"),
        shop_order_id=_id(payload.get("order_id"), "order_id"),
        amount=amount,
        currency=currency,
        created_at=values.timestamp(payload.get("created_at"), "created_at"),
    )


# Where a refund states money as {"shop_money": ..., "presentment_money": {"currency_code"}}.
REFUND_MONEY_SETS = (
    ("refund_line_items", "subtotal_set"),
    ("refund_shipping_lines", "subtotal_amount_set"),
    ("order_adjustments", "amount_set"),
    ("transactions", "amount_set"),
    ("", "total_duties_set"),
)


def _presentment_currency(refund: dict) -> str:
    """The first valid presentment currency among the refund's money sets, or ""."""
    for list_key, set_key in REFUND_MONEY_SETS:
        holders = refund.get(list_key) if list_key else [refund]
        for holder in holders if isinstance(holders, list) else []:
            money = holder.get(set_key) if isinstance(holder, dict) else None
            money = money.get("presentment_money") if isinstance(money, dict) else None
            code = money.get("currency_code") if isinstance(money, dict) else None
            # "XXX" is ISO 4217's "no currency", which Shopify puts on empty amounts.
            if isinstance(code, str) and code.upper() != "XXX" and is_currency(code.upper()):
                return code.upper()
    return ""


def _refuse_rest_wrapper(payload: dict, name: str) -> None:
    """A REST API answer ({"order": {...}}) sent as a webhook body: say so."""
    if "id" not in payload and isinstance(payload.get(name), dict):
        raise InvalidField(
            name,
            f'the body is a REST API response wrapped in {{"{name}": ...}}; a webhook body '
            f'is the {name} object itself: send the value of "{name}"',
        )


# -- our generic order webhook ---------------------------------------------------------------


def generic_order(payload) -> OrderRecord:
    """An order in the documented generic format (README, "Order webhooks")."""
    payload = _object(payload)
    currency = values.currency(payload.get("currency"), "currency")
    lines = []
    for index, item in enumerate(_list(payload, "lines")):
        try:
            item = _object(item)
            qty = values.quantity(item.get("quantity"), "quantity")
            price = values.money(item.get("unit_price"), "unit_price")
            total = values.money(item.get("line_total"), "line_total", required=False)
            lines.append(
                LineRecord(
                    sku=values.text(item.get("sku"), limit=100),
                    title=values.text(item.get("title"), limit=500),
                    quantity=qty,
                    unit_price=price,
                    line_total=values.line_total(price * qty, "unit_price")
                    if total is None
                    else total,
                )
            )
        except InvalidField as exc:
            raise exc.within(f"lines.{index}") from None
    if not lines:
        raise InvalidField("lines", "must list at least one line")
    customer = _object(payload.get("customer") or {}, "customer")
    email = values.normalise_email(customer.get("email"))
    if customer.get("email") and not email:
        raise InvalidField("customer.email", "is not an email address")
    customer_id = customer.get("id")
    key = None
    if email or customer_id:
        key = CustomerKey(email=email, shop_customer_id=str(customer_id or "")[:100])
    status = payload.get("status") or "open"
    if status not in ("open", "closed", "cancelled"):
        raise InvalidField("status", "must be one of open, closed, cancelled")
    refunded = values.money(payload.get("refunded_amount"), "refunded_amount", required=False)
    return OrderRecord(
        shop_order_id=_id(payload.get("order_id"), "order_id"),
        name=values.text(payload.get("name"), limit=100),
        created_at=values.timestamp(payload.get("created_at"), "created_at"),
        updated_at=values.timestamp(payload.get("updated_at"), "updated_at", required=False),
        currency=currency,
        subtotal=values.money(payload.get("subtotal"), "subtotal", required=False) or Decimal(0),
        discounts=values.money(payload.get("discounts"), "discounts", required=False) or Decimal(0),
        total=values.money(payload.get("total"), "total"),
        status=status,
        financial_status=values.text(payload.get("financial_status"), limit=40),
        landing_page=values.text(payload.get("landing_page"), limit=2000),
        referrer=values.text(payload.get("referrer"), limit=2000),
        visitor_id=values.text(payload.get("visitor_id"), limit=100),
        customer=key,
        lines=lines,
        refunded_amount=refunded,
        contact=OrderContact(
            email=email,
            accepts_marketing=customer.get("accepts_marketing") is True,
            locale=values.text(payload.get("locale"), limit=16),
            fulfilled=payload.get("fulfilled") is True,
        ),
    )
