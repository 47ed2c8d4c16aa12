"""What an order, a refund or a product looks like once read, whatever its source."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class InvalidField(ValueError):
    """A value that cannot be accepted; `field` is a dotted path ("lines.2.quantity")."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def within(self, prefix: str) -> InvalidField:
        if not prefix:
            return self
        return InvalidField(f"{prefix}.{self.field}" if self.field else prefix, self.message)


@dataclass
class LineRecord:
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass
class RefundRecord:
    shop_refund_id: str
    shop_order_id: str
    amount: Decimal
    currency: str
    created_at: datetime


@dataclass
class CustomerKey:
    email: str = ""  # normalised; hashed before it reaches the database
    shop_customer_id: str = ""


@dataclass
class OrderContact:
    """What a shop says about reaching the buyer. The address travels in memory only:
    commerce never stores it (the `order_contact` signal hands it to its receivers)."""

    email: str = ""  # normalised
    accepts_marketing: bool = False
    locale: str = ""  # the buyer's, e.g. "fr-FR"; empty when the shop did not say
    fulfilled: bool = False


@dataclass
class OrderRecord:
    shop_order_id: str
    created_at: datetime
    currency: str
    total: Decimal
    name: str = ""
    updated_at: datetime | None = None
    subtotal: Decimal = Decimal(0)
    discounts: Decimal = Decimal(0)
    status: str = "open"
    financial_status: str = ""
    landing_page: str = ""
    referrer: str = ""
    visitor_id: str = ""
    customer: CustomerKey | None = None
    lines: list[LineRecord] = field(default_factory=list)
    refunds: list[RefundRecord] = field(default_factory=list)
    # Set when the source states a refunded total but not the refunds (CSV exports).
    refunded_amount: Decimal | None = None
    contact: OrderContact | None = None  # webhooks only


@dataclass
class VariantRecord:
    sku: str
    price: Decimal | None = None
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class ProductRecord:
    sku: str
    title: str
    handle: str | None = None
    description: str = ""
    product_line: list[str] = field(default_factory=list)  # names, outermost first
    url: str = ""
    image_url: str = ""
    price: Decimal | None = None
    currency: str = ""
    availability: str = "in_stock"
    variants: list[VariantRecord] = field(default_factory=list)
    row: int = 0  # where the product starts in its file
    option_names: list[str] = field(default_factory=list)  # Shopify: Option1..3 Name
