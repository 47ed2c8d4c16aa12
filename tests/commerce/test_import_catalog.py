"""import_catalog: our CSV and Shopify's product export; idempotent; bad rows with reasons."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from commerce.models import OrderLine, Product, ProductLine, Variant
from commerce.services.imports import CsvError, import_catalog, import_orders
from commerce.signals import product_changed
from tests.commerce.csvs import (
    CATALOG_COLUMNS,
    ORDER_COLUMNS,
    SHOPIFY_PRODUCT_COLUMNS,
    order_row,
    shopify_product_rows,
    to_csv,
)


def product_row(sku="MUG-1", **overrides):
    row = {
        "sku": sku,
        "handle": sku.lower(),
        "title": "Stoneware mug",
        "description": "Glazed by hand.",
        "product_line": "Kitchen > Mugs",
        "url": "https://shop.example/products/mug",
        "image_url": "https://cdn.example/mug.jpg",
        "price": "24.00",
        "currency": "EUR",
        "availability": "in_stock",
    }
    row.update(overrides)
    return row


@pytest.fixture
def changes():
    seen = []

    def receiver(sender, product_ids, fields, **kwargs):
        seen.append((tuple(product_ids), frozenset(fields)))

    product_changed.connect(receiver)
    yield seen
    product_changed.disconnect(receiver)


def test_our_catalog_csv_with_lines_and_variants(db):
    rows = [
        product_row(
            "MUG-1", variant_sku="MUG-1-BLUE", variant_price="24.00", variant_options="colour=blue"
        ),
        product_row(
            "MUG-1", variant_sku="MUG-1-RED", variant_price="26.00", variant_options="colour=red"
        ),
        product_row(
            "BOWL-1", title="Bowl", product_line="Kitchen", handle="", price="", currency=""
        ),
    ]
    summary = import_catalog(to_csv(CATALOG_COLUMNS, rows))
    assert summary.counts == {"created": 2} and not summary.failures, summary.lines()
    mug = Product.objects.get(sku="MUG-1")
    assert mug.price == Decimal("24.00") and mug.product_line.name == "Mugs"
    assert mug.product_line.parent == ProductLine.objects.get(slug="kitchen")
    assert Product.objects.get(sku="BOWL-1").product_line.slug == "kitchen"
    assert dict(mug.variants.values_list("sku", "options")) == {
        "MUG-1-BLUE": {"colour": "blue"},
        "MUG-1-RED": {"colour": "red"},
    }


def test_the_same_catalog_twice_changes_nothing_and_tells_embeddings_only_of_changes(
    db, changes, django_capture_on_commit_callbacks
):
    data = to_csv(CATALOG_COLUMNS, [product_row("MUG-1"), product_row("MUG-2")])
    with django_capture_on_commit_callbacks(execute=True):
        assert import_catalog(data).counts == {"created": 2}
    assert len(changes) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert import_catalog(data).counts == {"unchanged": 2}
    assert len(changes) == 2
    changed = to_csv(
        CATALOG_COLUMNS,
        [product_row("MUG-1", price="25.00"), product_row("MUG-2", title="Tall mug")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert import_catalog(changed).counts == {"updated": 2}
    # A price change does not touch the embedding; a title change does.
    assert changes[-1] == ((Product.objects.get(sku="MUG-2").pk,), frozenset({"title"}))
    assert len(changes) == 3


def test_shopify_product_export_spans_rows(db):
    summary = import_catalog(
        to_csv(SHOPIFY_PRODUCT_COLUMNS, shopify_product_rows()),
        currency="CAD",
        storefront_url="https://shop.example",
    )
    assert summary.format == "shopify-products" and summary.counts == {"created": 2}, (
        summary.lines()
    )
    shirt = Product.objects.get(handle="linen-shirt")
    assert (
        shirt.title == "Linen shirt" and shirt.price == Decimal("59.00") and shirt.currency == "CAD"
    )
    assert shirt.description == "Breathable linen .\nMade in Portugal & dyed."
    assert shirt.image_url == "https://cdn.example/ls-1.jpg"
    assert shirt.url == "https://shop.example/products/linen-shirt"
    assert shirt.product_line.name == "Shirts" and shirt.product_line.parent.name == "Apparel"
    assert dict(shirt.variants.values_list("sku", "options")) == {
        "LS-S": {"Size": "S"},
        "LS-M": {"Size": "M"},
    }
    tote = Product.objects.get(handle="canvas-tote")
    assert tote.availability == "discontinued" and tote.variants.get().options == {}


def test_shopify_export_without_a_currency_fails_priced_products(db):
    summary = import_catalog(to_csv(SHOPIFY_PRODUCT_COLUMNS, shopify_product_rows()), currency="")
    assert summary.counts == {} and {f.key for f in summary.failures} == {
        "linen-shirt",
        "canvas-tote",
    }
    assert "pass --currency" in summary.failures[0].reason


def test_missing_columns_fail_the_file(db):
    with pytest.raises(CsvError, match="missing required column: title"):
        import_catalog(to_csv(["sku", "price"], [{"sku": "A", "price": "1"}]))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"price": "12.345"}, "price: has more than 2 decimal places"),
        ({"price": "abc"}, "price: 'abc' is not an amount"),
        ({"price": "-5"}, "price: must not be negative"),
        ({"currency": "XXX"}, "currency: unknown currency 'XXX'"),
        ({"currency": ""}, "currency: is required"),
        ({"availability": "maybe"}, "availability: must be one of"),
        ({"url": "javascript:alert(1)"}, "url: 'javascript:alert(1)' is not an http(s) URL"),
        ({"handle": "no spaces"}, "handle: may hold only letters"),
        ({"title": ""}, "title: is required"),
    ],
)
def test_a_bad_row_fails_with_a_reason_and_not_its_neighbours(db, change, reason):
    rows = [product_row("A-1"), product_row("A-2", **change), product_row("A-3")]
    summary = import_catalog(to_csv(CATALOG_COLUMNS, rows))
    assert summary.counts == {"created": 2}
    (failure,) = summary.failures
    assert failure.row == 3 and failure.key == "A-2" and reason in failure.reason, failure


def test_duplicates_in_the_file(db):
    rows = [
        product_row("A-1"),
        product_row("A-1"),  # the very same row
        product_row("A-1", title="Another title"),  # the same SKU again
        product_row("B-1", variant_sku="V-1"),
        product_row("C-1", variant_sku="V-1"),  # a variant SKU already used
    ]
    summary = import_catalog(to_csv(CATALOG_COLUMNS, rows))
    reasons = {f.row: f.reason for f in summary.failures}
    assert reasons[3] == "duplicate of row 2"
    assert "'A-1' is already defined on row 2" in reasons[4]
    assert "'V-1' is already used on row 5" in reasons[6]
    # A SKU defined twice differently is ambiguous: that product fails, the others do not.
    assert summary.counts == {"created": 1}
    assert not Product.objects.filter(sku="A-1").exists()
    assert Variant.objects.get(sku="V-1").product.sku == "B-1"


def test_formula_cells_are_stored_as_the_data_they_are(db):
    # A cell is data on import; exports neutralise formulas (core.csvio.safe_cell).
    import_catalog(
        to_csv(
            CATALOG_COLUMNS, [product_row("A-1", title="=cmd|' /C calc'!A0", description="+1+1")]
        )
    )
    product = Product.objects.get()
    assert product.title == "=cmd|' /C calc'!A0" and product.description == "+1+1"


def test_a_catalog_import_links_order_lines_whose_sku_was_unknown(shop):
    import_orders(to_csv(ORDER_COLUMNS, [order_row("1001", "LATE-SKU")]), shop=shop)
    assert OrderLine.objects.get().unknown_product
    summary = import_catalog(to_csv(CATALOG_COLUMNS, [product_row("LATE-SKU")]))
    line = OrderLine.objects.get()
    assert not line.unknown_product and line.product.sku == "LATE-SKU"
    assert "1 order lines" in summary.notes[-1]


def test_the_command(db, tmp_path, capsys):
    path = tmp_path / "catalog.csv"
    path.write_bytes(to_csv(CATALOG_COLUMNS, [product_row("A-1"), product_row("A-2", price="x")]))
    call_command("import_catalog", str(path))
    out = capsys.readouterr().out
    assert "1 created" in out and "row 3 (A-2): price: 'x' is not an amount" in out
    with pytest.raises(CommandError, match="--currency: unknown currency"):
        call_command("import_catalog", str(path), "--currency", "ZZZ")
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(CommandError, match="NUL bytes"):
        call_command("import_catalog", str(path))


def test_the_command_names_a_directory_instead_of_a_file(db, tmp_path):
    with pytest.raises(CommandError, match="is a directory"):
        call_command("import_catalog", str(tmp_path))


def test_shopify_handles_link_to_the_shops_domain_and_urls_are_backfilled(db, tmp_path):
    from commerce.services.shops import create_or_update_shop

    Product.objects.create(sku="OLD-1", handle="old-tent", title="Old tent")  # before the shop
    Product.objects.create(
        sku="OLD-2", handle="old-mug", title="Old mug", url="https://x.example/m"
    )
    create_or_update_shop(domain="brand.myshopify.com")
    create_or_update_shop(domain="other.myshopify.com")
    path = tmp_path / "products.csv"
    path.write_bytes(to_csv(SHOPIFY_PRODUCT_COLUMNS, shopify_product_rows()))
    call_command("import_catalog", str(path), "--currency", "CAD", "--shop", "brand.myshopify.com")
    shirt = Product.objects.get(handle="linen-shirt")
    assert shirt.url == "https://brand.myshopify.com/products/linen-shirt"
    # Known handles without a URL are filled; a URL already set stays.
    assert Product.objects.get(sku="OLD-1").url == "https://brand.myshopify.com/products/old-tent"
    assert Product.objects.get(sku="OLD-2").url == "https://x.example/m"
    with pytest.raises(CommandError, match="--shop: no shop"):
        call_command("import_catalog", str(path), "--shop", "nowhere.example")


def test_the_only_shop_names_product_urls_and_a_url_column_wins(db):
    from commerce.services.shops import create_or_update_shop

    create_or_update_shop(domain="brand.example")
    rows = shopify_product_rows()
    first = next(row for row in rows if row["Handle"] == "linen-shirt" and row["Title"])
    first["URL"] = "https://brand.example/shirts/linen"
    summary = import_catalog(to_csv([*SHOPIFY_PRODUCT_COLUMNS, "URL"], rows), currency="CAD")
    assert "the only shop, brand.example" in " ".join(summary.notes)
    assert Product.objects.get(handle="linen-shirt").url == "https://brand.example/shirts/linen"
    assert Product.objects.get(handle="canvas-tote").url == (
        "https://brand.example/products/canvas-tote"
    )
    ours = import_catalog(
        to_csv(CATALOG_COLUMNS, [product_row("B-1", url=""), product_row("B-2", handle="", url="")])
    )
    assert ours.counts == {"created": 2}
    assert Product.objects.get(sku="B-1").url == "https://brand.example/products/b-1"
    assert Product.objects.get(sku="B-2").url == ""


def test_a_url_set_by_hand_survives_an_import_without_urls(db):
    import_catalog(to_csv(CATALOG_COLUMNS, [product_row("C-1", url="", handle="")]))
    Product.objects.filter(sku="C-1").update(url="https://shop.example/products/c1")
    summary = import_catalog(
        to_csv(CATALOG_COLUMNS, [product_row("C-1", url="", handle="", title="Renamed")])
    )
    assert summary.counts == {"updated": 1}
    product = Product.objects.get(sku="C-1")
    assert product.title == "Renamed" and product.url == "https://shop.example/products/c1"
