"""Orders from a CSV: our documented format or Shopify's order export.

Both have one row per order line; an order's rows share its id. Shopify fills
the order's own columns (totals, currency, ...) on its first row only. A bad
row fails its whole order (a half order would misstate revenue), never a
neighbouring order; an exact duplicate row is reported and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from commerce.ingest import values
from commerce.ingest.records import CustomerKey, InvalidField, LineRecord, OrderRecord
from core.csvio import CsvTable, RowFailure

OURS = "orders"
SHOPIFY = "shopify-orders"

# Our format: column -> required?
OUR_COLUMNS = {
    "order_id": True,
    "created_at": True,
    "currency": True,
    "total": True,
    "sku": True,
    "quantity": True,
    "unit_price": True,
    "name": False,
    "updated_at": False,
    "subtotal": False,
    "discounts": False,
    "status": False,
    "financial_status": False,
    "refunded_amount": False,
    "email": False,
    "customer_id": False,
    "landing_page": False,
    "referrer": False,
    "visitor_id": False,
    "title": False,
    "line_total": False,
}
SHOPIFY_REQUIRED = (
    "Name",
    "Created at",
    "Currency",
    "Total",
    "Lineitem quantity",
    "Lineitem price",
    "Lineitem sku",
)


def detect(table: CsvTable) -> str:
    if table.column("lineitem quantity") and table.column("name"):
        return SHOPIFY
    return OURS


@dataclass
class ParsedOrder:
    record: OrderRecord
    rows: list[int]


@dataclass
class ParsedOrders:
    orders: list[ParsedOrder] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)
    rows_read: int = 0
    format: str = OURS


@dataclass
class _Group:
    key: str
    rows: list[int] = field(default_factory=list)
    cells: list[dict[str, str]] = field(default_factory=list)
    seen: dict[tuple, int] = field(default_factory=dict)


def parse(table: CsvTable) -> ParsedOrders:
    fmt = detect(table)
    if fmt == SHOPIFY:
        table.require(*SHOPIFY_REQUIRED)
        key_column = "name"
    else:
        table.require(*[name for name, required in OUR_COLUMNS.items() if required])
        key_column = "order_id"
    result = ParsedOrders(format=fmt)
    groups: dict[str, _Group] = {}
    for number, cells in table.rows():
        result.rows_read += 1
        if "__error__" in cells:
            result.failures.append(RowFailure(number, cells["__error__"]))
            continue
        key = (cells.get(key_column) or "").strip()
        if not key:
            result.failures.append(RowFailure(number, f"{key_column}: is required"))
            continue
        group = groups.setdefault(key, _Group(key))
        signature = tuple(cells.values())  # rows share the header's key order
        if signature in group.seen:
            result.failures.append(
                RowFailure(number, f"duplicate of row {group.seen[signature]}; skipped", key)
            )
            continue
        group.seen[signature] = number
        group.rows.append(number)
        group.cells.append(cells)
    build = _shopify_order if fmt == SHOPIFY else _our_order
    for group in groups.values():
        try:
            record = build(group)
        except _RowError as exc:
            result.failures.append(
                RowFailure(exc.row, f"{exc.error}; order not imported", group.key)
            )
            continue
        result.orders.append(ParsedOrder(record, group.rows))
    return result


class _RowError(Exception):
    def __init__(self, row: int, error: InvalidField):
        self.row, self.error = row, error


def _line(row: int, cells: dict, sku: str, title: str, qty: str, price: str, total: str | None):
    try:
        quantity = values.quantity(cells.get(qty), qty)
        unit_price = values.money(cells.get(price), price)
        line_total = (
            values.money(cells.get(total), total, required=False) if total is not None else None
        )
    except InvalidField as exc:
        raise _RowError(row, exc) from None
    return LineRecord(
        sku=values.text(cells.get(sku), limit=100),
        title=values.text(cells.get(title), limit=500),
        quantity=quantity,
        unit_price=unit_price,
        line_total=line_total
        if line_total is not None
        else _line_total(row, unit_price * quantity, price),
    )


def _line_total(row: int, amount, field: str):
    try:
        return values.line_total(amount, field)
    except InvalidField as exc:
        raise _RowError(row, exc) from None


def _consistent(group: _Group, column: str) -> str:
    """An order-level cell: the first non-blank one; a different one later is an error."""
    value, first_row = "", 0
    for row, cells in zip(group.rows, group.cells, strict=True):
        cell = (cells.get(column) or "").strip()
        if not cell:
            continue
        if not value:
            value, first_row = cell, row
        elif cell != value:
            raise _RowError(
                row,
                InvalidField(
                    column, f"{cell[:40]!r} differs from {value[:40]!r} on row {first_row}"
                ),
            )
    return value


def _order_fields(group: _Group, names: dict[str, str]) -> dict[str, str]:
    columns = list(names.values())
    first = [group.cells[0].get(column) or "" for column in columns]
    if all([cells.get(c) or "" for c in columns] == first for cells in group.cells[1:]):
        # The usual case: every row repeats the order's cells (or there is one row).
        return {name: value.strip() for name, value in zip(names, first, strict=True)}
    return {name: _consistent(group, column) for name, column in names.items()}


def _at(group: _Group, fn, *args, column: str, **kwargs):
    """Run a parser; an error is reported at the first row that carries the column."""
    try:
        return fn(*args, **kwargs)
    except InvalidField as exc:
        row = next(
            (
                r
                for r, c in zip(group.rows, group.cells, strict=True)
                if (c.get(column) or "").strip()
            ),
            group.rows[0],
        )
        raise _RowError(row, exc) from None


def _our_order(group: _Group) -> OrderRecord:
    f = _order_fields(
        group,
        {
            name: name
            for name in (
                "created_at",
                "updated_at",
                "currency",
                "subtotal",
                "discounts",
                "total",
                "status",
                "financial_status",
                "refunded_amount",
                "email",
                "customer_id",
                "landing_page",
                "referrer",
                "visitor_id",
                "name",
            )
        },
    )
    status = f["status"] or "open"
    if status not in ("open", "closed", "cancelled"):
        _at(
            group,
            _raise,
            InvalidField("status", "must be open, closed or cancelled"),
            column="status",
        )
    email = values.normalise_email(f["email"])
    if f["email"] and not email:
        _at(group, _raise, InvalidField("email", "is not an email address"), column="email")
    lines = [
        _line(row, cells, "sku", "title", "quantity", "unit_price", "line_total")
        for row, cells in zip(group.rows, group.cells, strict=True)
    ]
    customer = None
    if email or f["customer_id"]:
        customer = CustomerKey(email=email, shop_customer_id=f["customer_id"][:100])
    return OrderRecord(
        shop_order_id=group.key[:100],
        name=values.text(f["name"], limit=100),
        created_at=_at(group, values.timestamp, f["created_at"], "created_at", column="created_at"),
        updated_at=_at(
            group,
            values.timestamp,
            f["updated_at"],
            "updated_at",
            required=False,
            column="updated_at",
        ),
        currency=_at(group, values.currency, f["currency"], "currency", column="currency"),
        subtotal=_money(group, f, "subtotal"),
        discounts=_money(group, f, "discounts"),
        total=_at(group, values.money, f["total"], "total", column="total"),
        status=status,
        financial_status=values.text(f["financial_status"], limit=40),
        landing_page=values.text(f["landing_page"], limit=2000),
        referrer=values.text(f["referrer"], limit=2000),
        visitor_id=values.text(f["visitor_id"], limit=100),
        customer=customer,
        lines=lines,
        refunded_amount=_at(
            group,
            values.money,
            f["refunded_amount"],
            "refunded_amount",
            required=False,
            column="refunded_amount",
        ),
    )


def _raise(error: InvalidField):
    raise error


def _money(group: _Group, f: dict, name: str, column: str | None = None) -> Decimal:
    amount = _at(
        group, values.money, f[name], column or name, required=False, column=column or name
    )
    return amount if amount is not None else Decimal(0)


def _note_attributes(text: str) -> dict[str, str]:
    """Shopify's export writes note attributes as "name: value" lines."""
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out.setdefault(name.strip(), value.strip())
    return out


def _shopify_order(group: _Group) -> OrderRecord:
    columns = {
        "id": "id",
        "created_at": "created at",
        "currency": "currency",
        "subtotal": "subtotal",
        "discounts": "discount amount",
        "total": "total",
        "financial_status": "financial status",
        "refunded_amount": "refunded amount",
        "email": "email",
        "cancelled_at": "cancelled at",
        "note_attributes": "note attributes",
        "landing_page": "landing site",
        "referrer": "referring site",
    }
    f = _order_fields(group, columns)
    lines = [
        _line(
            row, cells, "lineitem sku", "lineitem name", "lineitem quantity", "lineitem price", None
        )
        for row, cells in zip(group.rows, group.cells, strict=True)
    ]
    for line, cells, row in zip(lines, group.cells, group.rows, strict=True):
        discount = _at(
            group,
            values.money,
            cells.get("lineitem discount"),
            "Lineitem discount",
            required=False,
            column="lineitem discount",
        )
        if discount:
            line.line_total -= discount
            if line.line_total < 0:
                raise _RowError(row, InvalidField("Lineitem discount", "exceeds the line's price"))
    email = values.normalise_email(f["email"])
    return OrderRecord(
        shop_order_id=(f["id"] or group.key)[:100],
        name=values.text(group.key, limit=100),
        created_at=_at(group, values.timestamp, f["created_at"], "Created at", column="created at"),
        currency=_at(group, values.currency, f["currency"], "Currency", column="currency"),
        subtotal=_money(group, f, "subtotal", "subtotal"),
        discounts=_money(group, f, "discounts", "discount amount"),
        total=_at(group, values.money, f["total"], "Total", column="total"),
        status="cancelled" if f["cancelled_at"] else "open",
        financial_status=values.text(f["financial_status"], limit=40),
        landing_page=values.text(f["landing_page"], limit=2000),
        referrer=values.text(f["referrer"], limit=2000),
        visitor_id=values.visitor_from_attributes(_note_attributes(f["note_attributes"])),
        customer=CustomerKey(email=email) if email else None,
        lines=lines,
        refunded_amount=_at(
            group,
            values.money,
            f["refunded_amount"],
            "Refunded Amount",
            required=False,
            column="refunded amount",
        ),
    )
