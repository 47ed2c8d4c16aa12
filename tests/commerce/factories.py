"""Catalog rows and shop payloads in the shape of Shopify's documented examples."""

from __future__ import annotations

import factory

from commerce.models import Product, ProductLine, Shop, Variant

SHOP_SECRET = "hush-shopify-app-client-secret"


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        django_get_or_create = ("domain",)

    name = factory.Sequence(lambda n: f"Brand {n}")
    domain = factory.Sequence(lambda n: f"brand-{n}.myshopify.com")
    webhook_secret = SHOP_SECRET


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"line-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    parent = None


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    title = factory.LazyAttribute(lambda o: f"Product {o.sku}")
    price = "49.00"
    currency = "EUR"
    product_line = factory.SubFactory(ProductLineFactory)


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"VAR-{n:05d}")
    price = "49.00"
    options = factory.LazyFunction(lambda: {"Size": "M"})


class LineItemPayload(factory.DictFactory):
    """One of an order's line_items, as in Shopify's orders/create example."""

    id = factory.Sequence(lambda n: 866550311766439000 + n)
    variant_id = factory.Sequence(lambda n: 808950810 + n)
    product_id = 632910392
    title = "IPod Nano - 8GB"
    name = "IPod Nano - 8GB"
    quantity = 1
    sku = factory.Sequence(lambda n: f"IPOD2008-{n}")
    price = "199.00"
    total_discount = "0.00"
    requires_shipping = True
    taxable = True
    gift_card = False
    properties = factory.LazyFunction(list)
    discount_allocations = factory.LazyFunction(list)


class CustomerPayload(factory.DictFactory):
    id = factory.Sequence(lambda n: 115310627314723954 + n)
    email = factory.Sequence(lambda n: f"John.Smith{n}@Example.com")
    first_name = "John"
    last_name = "Smith"
    accepts_marketing = False


class OrderPayload(factory.DictFactory):
    """An orders/create (or orders/updated) body, after Shopify's documented example."""

    id = factory.Sequence(lambda n: 820982911946154508 + n)
    name = factory.Sequence(lambda n: f"#{1001 + n}")
    order_number = factory.Sequence(lambda n: 1001 + n)
    email = factory.LazyAttribute(lambda o: o.customer["email"])
    created_at = "2025-03-01T10:00:00-05:00"
    updated_at = "2025-03-01T10:00:00-05:00"
    closed_at = None
    cancelled_at = None
    currency = "USD"
    presentment_currency = "USD"
    subtotal_price = "398.00"
    total_discounts = "0.00"
    total_tax = "0.00"
    total_price = "398.00"
    financial_status = "paid"
    fulfillment_status = None
    landing_site = "/products/ipod?utm_source=instagram&utm_medium=social&utm_campaign=spring"
    referring_site = "https://www.instagram.com/"
    source_name = "web"
    tags = ""
    note = None
    note_attributes = factory.LazyFunction(lambda: [{"name": "_ugc_visitor_id", "value": "v-123"}])
    line_items = factory.List([factory.SubFactory(LineItemPayload) for _ in range(2)])
    refunds = factory.LazyFunction(list)
    customer = factory.SubFactory(CustomerPayload)


class RefundTransactionPayload(factory.DictFactory):
    id = factory.Sequence(lambda n: 1068278509 + n)
    kind = "refund"
    gateway = "bogus"
    status = "success"
    amount = "41.94"
    currency = "USD"


class RefundPayload(factory.DictFactory):
    """A refunds/create body, after Shopify's documented example."""

    id = factory.Sequence(lambda n: 929361462 + n)
    order_id = 820982911946154508
    created_at = "2025-03-02T10:00:00-05:00"
    note = "wrong size"
    restock = False
    refund_line_items = factory.LazyFunction(list)
    transactions = factory.List([factory.SubFactory(RefundTransactionPayload)])
    order_adjustments = factory.LazyFunction(list)


def generic_order_payload(**overrides) -> dict:
    payload = {
        "order_id": "A-1001",
        "name": "A-1001",
        "created_at": "2025-03-01T10:00:00Z",
        "updated_at": "2025-03-01T10:00:00Z",
        "currency": "EUR",
        "subtotal": "60.00",
        "discounts": "0.00",
        "total": "60.00",
        "financial_status": "paid",
        "landing_page": "https://shop.example/?utm_source=tiktok&utm_campaign=launch",
        "referrer": "https://www.tiktok.com/",
        "visitor_id": "v-generic-1",
        "customer": {"email": "ana@example.org"},
        "lines": [
            {"sku": "SKU-A", "title": "Mug", "quantity": 2, "unit_price": "10.00"},
            {"sku": "SKU-B", "title": "Plate", "quantity": 1, "unit_price": "40.00"},
        ],
    }
    payload.update(overrides)
    return payload
