"""Every non-trivial read of the commerce app."""

from __future__ import annotations

import unicodedata

from django.db.models import Case, F, Func, Prefetch, Q, QuerySet, Value, When

from commerce.models import Customer, CustomerVisitor, Order, OrderLine, Product, ProductLine, Shop


def shop_by_domain(domain: str | None) -> Shop | None:
    if not domain:
        return None
    return Shop.objects.filter(domain=domain.strip().lower()).first()


def order_currency(shop: Shop, shop_order_id) -> str:
    """The currency of the shop's order with that id, or "" when it is not stored yet."""
    if shop_order_id is None or isinstance(shop_order_id, bool | dict | list):
        return ""
    found = Order.objects.filter(shop=shop, shop_order_id=str(shop_order_id).strip()[:100])
    return found.values_list("currency", flat=True).first() or ""


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


# -- product search ---------------------------------------------------------------------

PRODUCT_SEARCH_LIMIT = 10


def _folding_table() -> tuple[str, str]:
    """Characters and what they fold to (lower case, no accent), one for one, for SQL's
    translate(): the embedded PostgreSQL has no unaccent extension, and lower() under
    the C collation leaves accented capitals alone."""
    source, target = [], []
    for code in [*range(ord("A"), ord("Z") + 1), *range(0xC0, 0x250)]:
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded.isascii() and folded != char:
            source.append(char)
            target.append(folded)
    return "".join(source), "".join(target)


def fold(text: str) -> str:
    """Lower case without accents: "Sac à dos Été" -> "sac a dos ete"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_FOLD_FROM, _FOLD_TO = _folding_table()


def _folded(column: str) -> Func:
    return Func(F(column), Value(_FOLD_FROM), Value(_FOLD_TO), function="translate")


def search_products(query: str, *, limit: int = PRODUCT_SEARCH_LIMIT) -> list[Product]:
    """Products whose title or SKU holds every word of the query, whatever the case or
    accents; the exact SKU first, then SKUs and titles that start with the query."""
    words = fold(query).split()[:8]
    if not words:
        return []
    found = Product.objects.annotate(folded_title=_folded("title"), folded_sku=_folded("sku"))
    for word in words:
        found = found.filter(Q(folded_title__contains=word) | Q(folded_sku__contains=word))
    whole = " ".join(words)
    rank = Case(
        When(folded_sku=whole, then=Value(0)),
        When(folded_title=whole, then=Value(1)),
        When(folded_sku__startswith=whole, then=Value(2)),
        When(folded_title__startswith=whole, then=Value(3)),
        default=Value(4),
    )
    return list(found.annotate(rank=rank).order_by("rank", "title", "sku")[:limit])


def product_by_sku_or_title(text: str) -> Product | None:
    """The product a person named: by its exact SKU, else by its title (case and accents
    aside) when exactly one product has it."""
    text = (text or "").strip()
    if not text:
        return None
    by_sku = Product.objects.filter(sku=text).first()
    if by_sku is not None:
        return by_sku
    named = list(
        Product.objects.annotate(folded_title=_folded("title")).filter(
            folded_title=" ".join(fold(text).split())
        )[:2]
    )
    return named[0] if len(named) == 1 else None
