"""Products from a CSV: our documented format or Shopify's product export.

In both a product may span several rows: more rows add variants (and, in
Shopify's export, images). A bad row fails its whole product, never another.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from commerce.ingest import values
from commerce.ingest.records import InvalidField, ProductRecord, VariantRecord
from core.csvio import CsvTable, RowFailure

OURS = "catalog"
SHOPIFY = "shopify-products"
OUR_REQUIRED = ("sku", "title")
SHOPIFY_REQUIRED = ("Handle", "Title", "Variant SKU", "Variant Price")
AVAILABILITY = ("in_stock", "out_of_stock", "preorder", "discontinued")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"[ \t]+")
_HANDLE = re.compile(r"^[-a-zA-Z0-9_]+$")


def detect(table: CsvTable) -> str:
    return SHOPIFY if table.column("handle") and table.column("variant sku") else OURS


@dataclass
class ParsedCatalog:
    products: list[ProductRecord] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)
    rows_read: int = 0
    format: str = OURS


def html_to_text(body: str | None) -> str:
    """Shopify's Body (HTML) as plain text: product text is data, never markup."""
    text = _TAG.sub(" ", re.sub(r"(?i)<\s*(br|/p|/li|/h\d)\s*/?>", "\n", body or ""))
    lines = [_SPACE.sub(" ", line).strip() for line in html.unescape(text).splitlines()]
    return "\n".join(line for line in lines if line)


def line_path(value: str) -> list[str]:
    """A product line path, "Apparel > Tops" (outermost first)."""
    return [part.strip()[:200] for part in (value or "").split(">") if part.strip()][:5]


def product_url(storefront_url: str, handle: str | None) -> str:
    """A product's page on the shop, where Shopify serves it: /products/<handle>."""
    if not (storefront_url and handle):
        return ""
    return f"{storefront_url.rstrip('/')}/products/{handle}"


def parse(table: CsvTable, *, currency: str = "", storefront_url: str = "") -> ParsedCatalog:
    fmt = detect(table)
    table.require(*(SHOPIFY_REQUIRED if fmt == SHOPIFY else OUR_REQUIRED))
    result = ParsedCatalog(format=fmt)
    products: dict[str, ProductRecord] = {}
    failed: dict[str, int] = {}
    seen_rows: dict[tuple, int] = {}
    variant_rows: dict[str, int] = {}
    for number, cells in table.rows():
        result.rows_read += 1
        if "__error__" in cells:
            result.failures.append(RowFailure(number, cells["__error__"]))
            continue
        signature = tuple(sorted(cells.items()))
        if signature in seen_rows:
            result.failures.append(RowFailure(number, f"duplicate of row {seen_rows[signature]}"))
            continue
        seen_rows[signature] = number
        key_column = "handle" if fmt == SHOPIFY else "sku"
        key = (cells.get(key_column) or "").strip()
        if not key:
            result.failures.append(RowFailure(number, f"{key_column}: is required"))
            continue
        if key in failed:
            result.failures.append(
                RowFailure(number, f"skipped: the product failed on row {failed[key]}", key)
            )
            continue
        before = len(products[key].variants) if key in products else 0
        try:
            if fmt == SHOPIFY:
                _shopify_row(number, cells, key, products, currency, storefront_url)
            else:
                _our_row(number, cells, key, products, storefront_url)
            for variant in products[key].variants[before:]:
                if variant.sku in variant_rows:
                    first = variant_rows[variant.sku]
                    message = f"{variant.sku!r} is already used on row {first}"
                    raise InvalidField("variant_sku", message)
                variant_rows[variant.sku] = number
        except InvalidField as exc:
            failed[key] = number
            products.pop(key, None)
            result.failures.append(RowFailure(number, f"{exc}; product not imported", key))
    result.products.extend(products.values())
    return result


def _our_row(
    row: int, cells: dict, sku: str, products: dict[str, ProductRecord], storefront_url: str
) -> None:
    if len(sku) > 100:
        raise InvalidField("sku", "is longer than 100 characters")
    product = products.get(sku)
    variant_sku = values.text(cells.get("variant_sku"), limit=101)
    if product is not None and not variant_sku:
        raise InvalidField("sku", f"{sku!r} is already defined on row {product.row}")
    if product is None:
        handle = values.text(cells.get("handle"), limit=256) or None
        if handle and not _HANDLE.match(handle):
            raise InvalidField("handle", "may hold only letters, digits, '-' and '_'")
        availability = values.text(cells.get("availability"), limit=20) or "in_stock"
        if availability not in AVAILABILITY:
            raise InvalidField("availability", f"must be one of {', '.join(AVAILABILITY)}")
        price = values.money(cells.get("price"), "price", required=False)
        currency = ""
        if price is not None or (cells.get("currency") or "").strip():
            currency = values.currency(cells.get("currency"), "currency")
        title = values.text(cells.get("title"), limit=500)
        if not title:
            raise InvalidField("title", "is required")
        product = ProductRecord(
            sku=sku,
            title=title,
            handle=handle,
            description=values.text(cells.get("description"), limit=20_000),
            product_line=line_path(values.text(cells.get("product_line"), limit=1000)),
            url=values.url(cells.get("url"), "url") or product_url(storefront_url, handle),
            image_url=values.url(cells.get("image_url"), "image_url"),
            price=price,
            currency=currency,
            availability=availability,
            row=row,
        )
        products[sku] = product
    if variant_sku:
        if len(variant_sku) > 100:
            raise InvalidField("variant_sku", "is longer than 100 characters")
        options = {}
        for pair in (cells.get("variant_options") or "").split(";"):
            name, sep, value = pair.partition("=")
            if sep and name.strip():
                options[name.strip()[:50]] = values.text(value, limit=100)
        product.variants.append(
            VariantRecord(
                sku=variant_sku,
                price=values.money(cells.get("variant_price"), "variant_price", required=False),
                options=options,
            )
        )


def _shopify_row(
    row: int,
    cells: dict,
    handle: str,
    products: dict[str, ProductRecord],
    currency: str,
    storefront_url: str,
) -> None:
    if not _HANDLE.match(handle) or len(handle) > 255:
        raise InvalidField("Handle", "must be letters, digits, '-' and '_' (255 at most)")
    product = products.get(handle)
    title = values.text(cells.get("title"), limit=500)
    if product is not None and title:
        raise InvalidField("Handle", f"{handle!r} already started a product on row {product.row}")
    if product is None:
        if not title:
            raise InvalidField("Title", "is required on the first row of a product")
        kind = values.text(cells.get("type"), limit=200)
        category = values.text(cells.get("product category"), limit=1000)
        status = (cells.get("status") or "").strip().lower()
        product = ProductRecord(
            sku=handle[:100],
            handle=handle,
            title=title,
            description=values.text(html_to_text(cells.get("body (html)")), limit=20000),
            product_line=line_path(kind) if kind else line_path(category),
            url=values.url(cells.get("url"), "URL") or product_url(storefront_url, handle),
            availability="discontinued" if status == "archived" else "in_stock",
            row=row,
        )
        product.option_names = [
            (cells.get(f"option{n} name") or "").strip()[:50] for n in (1, 2, 3)
        ]
        products[handle] = product
    image = values.url(cells.get("image src"), "Image Src")
    if image and not product.image_url:
        product.image_url = image
    variant_sku = values.text(cells.get("variant sku"), limit=101)
    price = values.money(cells.get("variant price"), "Variant Price", required=False)
    if price is not None:
        if not currency:
            raise InvalidField("Variant Price", "has no currency: pass --currency")
        if product.price is None:
            product.price, product.currency = price, currency
    if variant_sku:
        if len(variant_sku) > 100:
            raise InvalidField("Variant SKU", "is longer than 100 characters")
        names = product.option_names
        options = {}
        for n, name in enumerate(names, start=1):
            value = values.text(cells.get(f"option{n} value"), limit=100)
            if name and value and value != "Default Title":
                options[name] = value
        product.variants.append(VariantRecord(sku=variant_sku, price=price, options=options))
