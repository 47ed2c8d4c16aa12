"""CSV files as the tests write them: our documented columns and Shopify's exports."""

from __future__ import annotations

import csv
import io

ORDER_COLUMNS = [
    "order_id", "name", "created_at", "updated_at", "currency", "subtotal", "discounts", "total",
    "status", "financial_status", "refunded_amount", "email", "customer_id", "landing_page",
    "referrer", "visitor_id", "sku", "title", "quantity", "unit_price", "line_total",
]  # fmt: skip

SHOPIFY_ORDER_COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Currency", "Subtotal",
    "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Created at",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price",
    "Lineitem sku", "Lineitem discount", "Notes", "Note Attributes", "Cancelled at",
    "Refunded Amount", "Id", "Tags", "Source",
]  # fmt: skip

SHOPIFY_PRODUCT_COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Variant SKU",
    "Variant Grams", "Variant Inventory Qty", "Variant Price", "Variant Compare At Price",
    "Image Src", "Image Position", "Status",
]  # fmt: skip

CATALOG_COLUMNS = [
    "sku", "handle", "title", "description", "product_line", "url", "image_url", "price",
    "currency", "availability", "variant_sku", "variant_price", "variant_options",
]  # fmt: skip


def to_csv(columns: list[str], rows: list[dict], *, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in columns})
    return out.getvalue().encode(encoding)


def order_row(order_id="1001", sku="SKU-1", **overrides) -> dict:
    row = {
        "order_id": order_id,
        "name": f"#{order_id}",
        "created_at": "2025-02-01T09:30:00Z",
        "currency": "EUR",
        "subtotal": "30.00",
        "discounts": "0.00",
        "total": "30.00",
        "financial_status": "paid",
        "email": "Buyer@Example.com",
        "landing_page": "https://shop.example/p?utm_source=pinterest&utm_campaign=spring",
        "referrer": "https://pinterest.com/",
        "visitor_id": "v-9",
        "sku": sku,
        "title": "Mug",
        "quantity": "3",
        "unit_price": "10.00",
    }
    row.update(overrides)
    return row


def shopify_order_rows() -> list[dict]:
    """Two orders; as in Shopify's export, order columns are on each order's first row only."""
    return [
        {
            "Name": "#1001", "Email": "jane@example.com", "Financial Status": "paid",
            "Currency": "CAD", "Subtotal": "59.00", "Shipping": "5.00", "Taxes": "0.00",
            "Total": "64.00", "Discount Amount": "0.00", "Created at": "2025-01-15 10:20:30 -0500",
            "Lineitem quantity": "1", "Lineitem name": "Tee - M", "Lineitem price": "25.00",
            "Lineitem sku": "TEE-M", "Lineitem discount": "0.00",
            "Note Attributes": "_ugc_visitor_id: v-shop-1\ngift: no", "Refunded Amount": "5.00",
            "Id": "5550001",
        },
        {
            "Name": "#1001", "Email": "jane@example.com", "Lineitem quantity": "2",
            "Lineitem name": "Socks", "Lineitem price": "17.00", "Lineitem sku": "SOCKS",
        },
        {
            "Name": "#1002", "Email": "", "Financial Status": "pending", "Currency": "CAD",
            "Subtotal": "10.00", "Total": "10.00", "Created at": "2025-01-16 08:00:00 -0500",
            "Lineitem quantity": "1", "Lineitem name": "Cap", "Lineitem price": "10.00",
            "Lineitem sku": "CAP", "Cancelled at": "2025-01-17 08:00:00 -0500", "Id": "5550002",
        },
    ]  # fmt: skip


def shopify_product_rows() -> list[dict]:
    """A product with two variants and an extra image row, and a single-variant product."""
    return [
        {
            "Handle": "linen-shirt", "Title": "Linen shirt", "Vendor": "Brand",
            "Body (HTML)": "<p>Breathable <strong>linen</strong>.</p>"
            "<p>Made in Portugal &amp; dyed.</p>",
            "Type": "Apparel > Shirts", "Tags": "summer", "Published": "true",
            "Option1 Name": "Size", "Option1 Value": "S", "Variant SKU": "LS-S",
            "Variant Price": "59.00", "Image Src": "https://cdn.example/ls-1.jpg",
            "Image Position": "1", "Status": "active",
        },
        {
            "Handle": "linen-shirt", "Option1 Value": "M", "Variant SKU": "LS-M",
            "Variant Price": "59.00",
        },
        {
            "Handle": "linen-shirt", "Image Src": "https://cdn.example/ls-2.jpg",
            "Image Position": "2",
        },
        {
            "Handle": "canvas-tote", "Title": "Canvas tote", "Type": "Bags",
            "Option1 Name": "Title", "Option1 Value": "Default Title", "Variant SKU": "TOTE",
            "Variant Price": "19.50", "Status": "archived",
        },
    ]  # fmt: skip
