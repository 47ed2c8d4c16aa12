"""Every non-trivial read of the commerce app."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from commerce.models import Customer, CustomerVisitor, Order, OrderLine, Product, ProductLine, Shop


def shop_by_domain(domain: str | None) -> Shop | None:
    if not domain:
        return None
    return Shop.objects.filter(domain=domain.strip().lower()).first()


def product_lines() -> QuerySet[ProductLine]:
    return ProductLine.objects.select_related("parent")


def line_with_descendants(line_ids: list[int]) -> set[int]:
    """The given product lines and every line under them (the tree is shallow)."""
    found, frontier = set(line_ids), set(line_ids)
    while frontier:
        frontier = (
            set(ProductLine.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
            - found
        )
        found |= frontier
    return found


def products() -> QuerySet[Product]:
    return Product.objects.select_related("product_line").prefetch_related("variants")


def orders() -> QuerySet[Order]:
    return Order.objects.select_related("shop", "customer").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("position"))
    )


def customers() -> QuerySet[Customer]:
    return Customer.objects.prefetch_related(
        Prefetch("visitors", queryset=CustomerVisitor.objects.order_by("-last_seen_at"))
    )


def unknown_product_lines() -> QuerySet[OrderLine]:
    """Order lines whose SKU the catalog did not know when they arrived."""
    return OrderLine.objects.filter(unknown_product=True).select_related("order")
