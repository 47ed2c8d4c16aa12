"""Saving products, variants and product lines; telling later code when a product changed."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.utils.text import slugify

from commerce.ingest.records import InvalidField, ProductRecord
from commerce.models import OrderLine, Product, ProductLine, Variant
from commerce.signals import EMBEDDED_PRODUCT_FIELDS, product_changed
from core.effects import after_commit

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
PRODUCT_MAX_PRICE = Decimal("9999999999.99")


def notify_product_changed(product_ids, fields) -> None:
    """Send `product_changed` once the current transaction commits (see commerce/signals.py).

    Call it from any code that changes a product's title, description or line;
    the admin and the API do it through `save_product`.
    """
    ids, changed = sorted(set(product_ids)), set(fields)
    if ids:
        after_commit(product_changed.send, sender=Product, product_ids=ids, fields=changed)


def product_line_for_path(path: Sequence[str], cache: dict | None = None) -> ProductLine | None:
    """The line for "Apparel > Tops", creating the missing lines; slugs join the path."""
    cache = {} if cache is None else cache
    parent = None
    for depth in range(1, len(path) + 1):
        key = tuple(path[:depth])
        if key not in cache:
            slug = "-".join(slugify(part) or "line" for part in key)[:100]
            line, _ = ProductLine.objects.get_or_create(
                slug=slug, defaults={"name": key[-1], "parent": parent}
            )
            cache[key] = line
        parent = cache[key]
    return parent


def _price(value: Decimal | None, field: str) -> Decimal | None:
    if value is None:
        return None
    if -value.as_tuple().exponent > 2:
        raise InvalidField(field, f"has more than 2 decimal places: {value}")
    if value > PRODUCT_MAX_PRICE:
        raise InvalidField(field, f"is too large: {value}")
    return value


def save_product(record: ProductRecord, *, line_cache: dict | None = None) -> str:
    """Create or update one product and its variants (all or nothing); returns the outcome."""
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(sku=record.sku).first()
        if record.handle:
            by_handle = Product.objects.filter(handle=record.handle).first()
            if by_handle is not None and product is not None and by_handle.pk != product.pk:
                raise InvalidField("handle", f"{record.handle!r} belongs to SKU {by_handle.sku!r}")
            product = product or by_handle
        line = (
            product_line_for_path(record.product_line, line_cache) if record.product_line else None
        )
        wanted = {
            "sku": record.sku,
            "handle": record.handle or (product.handle if product else None),
            "title": record.title,
            "description": record.description,
            "product_line_id": line.pk if line else None,
            # A file without URLs leaves the ones set by hand (workspace, admin) alone.
            "url": record.url or (product.url if product else ""),
            "image_url": record.image_url,
            "price": _price(record.price, "price"),
            "currency": record.currency,
            "availability": record.availability,
        }
        if product is None:
            product = Product(**wanted)
            outcome, changed = CREATED, set(EMBEDDED_PRODUCT_FIELDS)
        else:
            changed = {
                name.removesuffix("_id")
                for name, value in wanted.items()
                if getattr(product, name) != value
            }
            outcome = UPDATED if changed else UNCHANGED
            for name, value in wanted.items():
                setattr(product, name, value)
        if outcome != UNCHANGED:
            try:
                with transaction.atomic():
                    product.save()
            except IntegrityError as exc:
                raise InvalidField("sku", f"conflicts with another product: {exc}") from None
        variants_changed = _save_variants(product, record)
        if outcome == UNCHANGED and variants_changed:
            outcome = UPDATED
        if changed & EMBEDDED_PRODUCT_FIELDS:
            notify_product_changed([product.pk], changed & EMBEDDED_PRODUCT_FIELDS)
    return outcome


def _save_variants(product: Product, record: ProductRecord) -> bool:
    changed = False
    existing = {v.sku: v for v in Variant.objects.filter(sku__in=[v.sku for v in record.variants])}
    for index, item in enumerate(record.variants):
        price = _price(item.price, f"variants.{index}.price")
        variant = existing.get(item.sku)
        if variant is None:
            Variant.objects.create(product=product, sku=item.sku, price=price, options=item.options)
            changed = True
        elif variant.product_id != product.pk:
            raise InvalidField("variant_sku", f"{item.sku!r} belongs to another product")
        elif variant.price != price or variant.options != item.options:
            variant.price, variant.options = price, item.options
            variant.save(update_fields=["price", "options"])
            changed = True
    return changed


def relink_unknown_order_lines() -> int:
    """Order lines kept with an unknown SKU that the catalog now knows: link them."""
    variant = Variant.objects.filter(sku=OuterRef("sku"))
    product = Product.objects.filter(sku=OuterRef("sku"))
    linked = OrderLine.objects.filter(
        unknown_product=True, sku__in=Variant.objects.values("sku")
    ).update(
        variant_id=Subquery(variant.values("id")[:1]),
        product_id=Subquery(variant.values("product_id")[:1]),
        unknown_product=False,
    )
    linked += OrderLine.objects.filter(
        unknown_product=True, sku__in=Product.objects.values("sku")
    ).update(product_id=Subquery(product.values("id")[:1]), unknown_product=False)
    return linked


def backfill_product_urls(storefront_url: str) -> int:
    """Give every product with a handle and no URL its page on the storefront."""
    missing = Product.objects.filter(url="", handle__isnull=False).exclude(handle="")
    base = storefront_url.rstrip("/")
    return missing.update(url=Concat(Value(f"{base}/products/"), "handle"))


def write_product(*, product: Product | None = None, data: dict) -> Product:
    """Create or change a product from validated API or admin data; tells embeddings."""
    with transaction.atomic():
        if product is None:
            product = Product(**data)
            changed = set(EMBEDDED_PRODUCT_FIELDS)
        else:
            changed = {name for name, value in data.items() if getattr(product, name) != value}
            for name, value in data.items():
                setattr(product, name, value)
        product.save()
        if changed & EMBEDDED_PRODUCT_FIELDS:
            notify_product_changed([product.pk], changed & EMBEDDED_PRODUCT_FIELDS)
    return product
