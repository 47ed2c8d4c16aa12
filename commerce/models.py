"""The brand's catalog and orders. Money is Decimal with a currency, never float."""

from __future__ import annotations

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

currency_code = RegexValidator(r"^[A-Z]{3}$", "a three-letter ISO 4217 currency code")


class ProductLine(models.Model):
    """A product line; lines nest (a line may have sub-lines)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def ancestors(self) -> list[ProductLine]:
        """This line's parents, nearest first (the tree is shallow)."""
        chain, line = [], self.parent
        while line is not None and line not in chain:
            chain.append(line)
            line = line.parent
        return chain


class Availability(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")
    PREORDER = "preorder", _("Pre-order")
    DISCONTINUED = "discontinued", _("Discontinued")


class Product(models.Model):
    """A product of the catalog; identified by SKU, or by the shop's handle."""

    sku = models.CharField(max_length=100, unique=True)
    handle = models.SlugField(max_length=255, null=True, blank=True, unique=True)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    url = models.URLField(max_length=1000, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(max_length=3, blank=True, validators=[currency_code])
    availability = models.CharField(
        max_length=20, choices=Availability.choices, default=Availability.IN_STOCK
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["product_line", "title"])]

    def __str__(self):
        return f"{self.title} ({self.sku})"


class Variant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=100, unique=True)
    options = models.JSONField(default=dict, blank=True)  # {"size": "M", "colour": "red"}
    price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["sku"]

    def __str__(self):
        return self.sku


# -- customers -----------------------------------------------------------------------


class CustomerKeyKind(models.TextChoices):
    EMAIL = "email", _("Email address")
    SHOP_CUSTOMER = "shop_customer", _("Shop's customer id")


class Customer(models.Model):
    """A buyer, known only by a keyed hash (HMAC-SHA256 with CUSTOMER_HASH_KEY).

    The hash is of the normalised email when the shop sent one, else of the
    shop's domain and customer id. The raw email is never stored: without the
    key a hash cannot be tested against a list of addresses.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    key_kind = models.CharField(max_length=20, choices=CustomerKeyKind.choices)
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    order_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_order_at"]

    def __str__(self):
        return f"customer {self.key_hash[:12]}"


class CustomerVisitor(models.Model):
    """A storefront visitor id seen on one of the customer's orders."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="visitors")
    visitor_id = models.CharField(max_length=100)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "visitor_id"], name="commerce_customer_visitor_unique"
            )
        ]
        indexes = [models.Index(fields=["visitor_id"])]

    def __str__(self):
        return self.visitor_id


# -- shops and orders ------------------------------------------------------------------


class Shop(models.Model):
    """A storefront that sends orders. Its webhook secret is never shown by the API."""

    name = models.CharField(max_length=200)
    domain = models.CharField(
        max_length=255,
        unique=True,
        help_text="The shop's domain as its webhooks name it, e.g. brand.myshopify.com",
    )
    # Needed in the clear to compute HMACs; kept out of every serializer and
    # shown masked in the admin.
    webhook_secret = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return self.domain


class OrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


def money_field(**kwargs):
    # Three places: enough for the currencies with minor units of 1/1000 (KWD, BHD).
    return models.DecimalField(
        max_digits=14, decimal_places=3, validators=[MinValueValidator(0)], **kwargs
    )


class Order(models.Model):
    """An order as the shop last reported it. Amounts are in `currency`."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders")
    shop_order_id = models.CharField(max_length=100)
    name = models.CharField(max_length=100, blank=True)  # the shop's display name, "#1001"
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    created_at_shop = models.DateTimeField()
    # The shop's last-modified time of the state stored here; older updates are ignored.
    updated_at_shop = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, validators=[currency_code])
    subtotal = money_field(default=0)
    discounts = money_field(default=0)
    total = money_field()
    refunded_amount = money_field(default=0)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    financial_status = models.CharField(max_length=40, blank=True)
    landing_page = models.CharField(max_length=2000, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    visitor_id = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=20, blank=True)  # webhook, import
    # Hash of the state as received: the same state again is "unchanged", not rewritten.
    fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at_shop"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "shop_order_id"], name="commerce_order_shop_order_id_unique"
            )
        ]
        indexes = [
            models.Index(fields=["created_at_shop"]),
            models.Index(fields=["visitor_id"]),
            models.Index(fields=["utm_source", "utm_campaign"]),
        ]

    def __str__(self):
        return f"{self.shop_id}:{self.name or self.shop_order_id}"

    @property
    def net_total(self):
        return self.total - self.refunded_amount


class OrderLine(models.Model):
    """One line of an order. A SKU the catalog does not know is kept, flagged."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    variant = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    sku = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=500, blank=True)
    unknown_product = models.BooleanField(default=False)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = money_field()
    line_total = money_field()

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="commerce_orderline_quantity_positive"
            ),
            models.UniqueConstraint(
                fields=["order", "position"], name="commerce_orderline_position_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["sku"],
                condition=models.Q(unknown_product=True),
                name="commerce_line_unknown_sku",
            )
        ]

    def __str__(self):
        return f"{self.quantity} x {self.sku or self.title}"


class Refund(models.Model):
    """A refund the shop reported; an order's refunded_amount is the sum of its refunds.

    A refund may arrive before its order (webhooks are not ordered); it is kept
    with the shop's order id and linked when the order arrives.
    """

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="refunds")
    shop_refund_id = models.CharField(max_length=100)
    shop_order_id = models.CharField(max_length=100)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="refunds"
    )
    amount = money_field()
    currency = models.CharField(max_length=3, validators=[currency_code])
    created_at_shop = models.DateTimeField()

    class Meta:
        ordering = ["created_at_shop"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "shop_refund_id"], name="commerce_refund_shop_refund_id_unique"
            )
        ]
        indexes = [models.Index(fields=["shop", "shop_order_id"])]

    def __str__(self):
        return f"refund {self.shop_refund_id} of {self.amount} {self.currency}"


class WebhookOutcome(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    STALE = "stale", _("Older than the stored state; ignored")
    INVALID = "invalid", _("Invalid payload")
    IGNORED = "ignored", _("Topic not handled")


class WebhookDelivery(models.Model):
    """One webhook delivery, by the shop's delivery id: the same id twice changes nothing."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_deliveries")
    webhook_id = models.CharField(max_length=200)
    topic = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=WebhookOutcome.choices)
    detail = models.TextField(blank=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "webhook_id"], name="commerce_webhook_delivery_unique"
            )
        ]

    def __str__(self):
        return f"{self.topic} {self.webhook_id} ({self.outcome})"
