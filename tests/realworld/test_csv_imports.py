"""Shopify's own CSV files through the catalog and order imports, as a merchant runs them."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from commerce.models import Order, OrderLine, Product, Variant
from commerce.services.imports import import_catalog
from tests.commerce.factories import ShopFactory
from tests.realworld.corpus import require as corpus

pytestmark = pytest.mark.django_db


def read(name: str) -> list[dict[str, str]]:
    with (corpus("csv") / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_product_template_needs_a_currency_and_then_comes_in_whole():
    path = corpus("csv") / "shopify_product_template.csv"
    rows = read("shopify_product_template.csv")
    handles = list(dict.fromkeys(row["Handle"] for row in rows))

    refused = import_catalog(path)
    assert refused.format == "shopify-products" and not refused.counts
    first_rows = [f for f in refused.failures if "product not imported" in f.reason]
    assert [f.key for f in first_rows] == handles
    assert all("has no currency: pass --currency" in f.reason for f in first_rows)
    assert not Product.objects.exists()

    summary = import_catalog(path, currency="USD")
    assert summary.counts == {"created": len(handles)}, [str(f) for f in summary.failures]
    skus = defaultdict(set)
    for row in rows:
        if row["Variant SKU"]:
            skus[row["Handle"]].add(row["Variant SKU"])
    for handle, variant_skus in skus.items():
        product = Product.objects.get(handle=handle)
        assert product.currency == "USD" and product.title
        assert set(Variant.objects.filter(product=product).values_list("sku", flat=True)) >= (
            variant_skus - {product.sku}
        )


def test_a_dev_stores_orders_export_comes_in_with_its_lines_and_currency(capsys):
    shop = ShopFactory(domain="dev-store.myshopify.com")
    rows = read("shopify_orders_export_dev_store.csv")
    orders = {row["Name"] for row in rows}
    call_command(
        "import_orders",
        str(corpus("csv") / "shopify_orders_export_dev_store.csv"),
        "--shop",
        shop.domain,
    )
    out = capsys.readouterr().out
    assert f"{len(orders)} created" in out and "failed" not in out.replace("0 failed", "")
    assert Order.objects.filter(shop=shop).count() == len(orders)
    assert set(Order.objects.values_list("currency", flat=True)) == {"INR"}
    assert OrderLine.objects.count() == len(rows)
    first = rows[0]
    order = Order.objects.get(name=first["Name"])
    assert order.total == Decimal(first["Total"])
    # "2025-12-06 10:37:33 -0500" is 15:37:33 UTC.
    assert order.created_at_shop == datetime(2025, 12, 6, 15, 37, 33, tzinfo=UTC)
