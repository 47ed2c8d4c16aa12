"""import_orders: our CSV and Shopify's export; idempotent; every bad row a reason."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from commerce.models import Customer, Order, OrderLine
from commerce.services.imports import CsvError, import_orders
from tests.commerce.csvs import (
    ORDER_COLUMNS,
    SHOPIFY_ORDER_COLUMNS,
    order_row,
    shopify_order_rows,
    to_csv,
)
from tests.commerce.factories import ProductFactory, VariantFactory

LINE_COLUMNS = {"quantity", "unit_price"}


def run(shop, rows, columns=ORDER_COLUMNS, **kwargs):
    return import_orders(to_csv(columns, rows, **kwargs), shop=shop)


def failure_reasons(summary):
    return [(f.row, f.reason) for f in summary.failures]


def test_our_csv_with_several_lines_per_order(shop):
    variant = VariantFactory(sku="SKU-1")
    rows = [
        order_row("1001", "SKU-1"),
        order_row("1001", "SKU-UNKNOWN", quantity="1"),
        order_row("1002", "SKU-1", total="10.00", email="", customer_id="c-77"),
    ]
    summary = run(shop, rows)
    assert summary.counts == {"created": 2} and not summary.failures
    order = Order.objects.get(shop_order_id="1001")
    assert order.total == Decimal("30.00") and order.utm_source == "pinterest"
    assert [(line.sku, line.unknown_product, line.line_total) for line in order.lines.all()] == [
        ("SKU-1", False, Decimal("30.00")),
        ("SKU-UNKNOWN", True, Decimal("10.00")),
    ]
    assert order.lines.first().variant == variant
    assert Customer.objects.count() == 2
    assert not Customer.objects.filter(key_hash__icontains="example").exists()
    assert "buyer@example.com" not in repr(list(Order.objects.values_list()))


def test_the_same_csv_twice_changes_nothing(shop):
    data = to_csv(ORDER_COLUMNS, [order_row("1001"), order_row("1002")])
    assert import_orders(data, shop=shop).counts == {"created": 2}
    lines = set(OrderLine.objects.values_list("id", flat=True))
    again = import_orders(data, shop=shop)
    assert again.counts == {"unchanged": 2} and not again.failures
    assert set(OrderLine.objects.values_list("id", flat=True)) == lines
    assert Customer.objects.get().order_count == 2


def test_a_changed_row_updates_and_an_older_one_is_stale(shop):
    run(shop, [order_row("1001", updated_at="2025-02-02T00:00:00Z")])
    summary = run(
        shop,
        [
            order_row(
                "1001",
                updated_at="2025-02-03T00:00:00Z",
                financial_status="refunded",
                refunded_amount="30.00",
            )
        ],
    )
    assert summary.counts == {"updated": 1}
    summary = run(
        shop, [order_row("1001", updated_at="2025-02-02T12:00:00Z", financial_status="paid")]
    )
    assert summary.counts == {"stale": 1}
    order = Order.objects.get()
    assert order.financial_status == "refunded" and order.refunded_amount == Decimal("30.00")


def test_shopify_order_export(shop):
    ProductFactory(sku="CAP")
    summary = run(shop, shopify_order_rows(), SHOPIFY_ORDER_COLUMNS)
    assert summary.format == "shopify-orders" and summary.counts == {"created": 2}, summary.lines()
    first = Order.objects.get(shop_order_id="5550001")
    assert first.name == "#1001" and first.currency == "CAD" and first.total == Decimal("64.00")
    assert first.refunded_amount == Decimal("5.00") and first.visitor_id == "v-shop-1"
    assert first.created_at_shop.isoformat() == "2025-01-15T15:20:30+00:00"
    assert [(line.sku, line.quantity, line.line_total) for line in first.lines.all()] == [
        ("TEE-M", 1, Decimal("25.00")),
        ("SOCKS", 2, Decimal("34.00")),
    ]
    second = Order.objects.get(shop_order_id="5550002")
    assert second.status == "cancelled" and second.customer is None
    assert not second.lines.get().unknown_product


def test_missing_columns_fail_the_whole_file(shop):
    data = to_csv(
        ["order_id", "created_at", "sku"], [{"order_id": "1", "created_at": "x", "sku": "A"}]
    )
    with pytest.raises(
        CsvError, match="missing required columns: currency, total, quantity, unit_price"
    ):
        import_orders(data, shop=shop)
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"quantity": "-2"}, "quantity: must be greater than 0, got -2"),
        ({"quantity": "0"}, "quantity: must be greater than 0"),
        ({"quantity": "1.5"}, "quantity: '1.5' is not a whole number"),
        ({"unit_price": "ten"}, "unit_price: 'ten' is not an amount"),
        ({"unit_price": "-1.00"}, "unit_price: must not be negative"),
        ({"total": "1e9"}, "total: '1e9' is not an amount"),
        ({"total": "1.2345"}, "total: has more than 3 decimal places"),
        ({"currency": "EUROS"}, "currency: unknown currency 'EUROS'"),
        ({"currency": "ABC"}, "currency: unknown currency 'ABC'"),
        ({"created_at": "32/13/2025"}, "created_at: '32/13/2025' is not a date"),
        ({"email": "not-an-email"}, "email: is not an email address"),
        ({"status": "lost"}, "status: must be open, closed or cancelled"),
    ],
)
def test_a_bad_row_fails_its_order_with_a_reason_and_not_its_neighbours(shop, change, reason):
    rows = [
        order_row("1001"),
        order_row("1002", "SKU-2", **{k: v for k, v in change.items() if k not in LINE_COLUMNS}),
        order_row("1002", "SKU-3", **change),
        order_row("1003"),
    ]
    summary = run(shop, rows)
    assert summary.counts == {"created": 2}
    assert len(summary.failures) == 1
    failure = summary.failures[0]
    assert failure.key == "1002" and failure.row in (3, 4) and reason in failure.reason, failure
    assert sorted(Order.objects.values_list("shop_order_id", flat=True)) == ["1001", "1003"]


def test_inconsistent_order_columns_fail_the_order(shop):
    summary = run(shop, [order_row("1001"), order_row("1001", "SKU-2", currency="USD")])
    assert failure_reasons(summary) == [
        (3, "currency: 'USD' differs from 'EUR' on row 2; order not imported")
    ]


def test_duplicate_rows_are_reported_and_skipped(shop):
    summary = run(shop, [order_row("1001"), order_row("1001"), order_row("1002")])
    assert summary.counts == {"created": 2}
    assert failure_reasons(summary) == [(3, "duplicate of row 2; skipped")]
    assert Order.objects.get(shop_order_id="1001").lines.count() == 1


def test_rows_without_an_order_id_or_with_extra_cells(shop):
    data = (
        to_csv(ORDER_COLUMNS, [order_row("1001"), order_row("")])
        + b"1003,x,y,z"
        + b",a" * 30
        + b"\n"
    )
    summary = import_orders(data, shop=shop)
    assert summary.counts == {"created": 1}
    reasons = dict(failure_reasons(summary))
    assert reasons[3] == "order_id: is required" and "cells, the header has" in reasons[4]


def test_encodings_utf8_bom_and_cp1252(shop):
    rows = [order_row("1001", title="Crème brûlée mug")]
    with_bom = b"\xef\xbb\xbf" + to_csv(ORDER_COLUMNS, rows)
    assert import_orders(with_bom, shop=shop).encoding == "utf-8-sig"
    assert Order.objects.get().lines.get().title == "Crème brûlée mug"
    summary = import_orders(
        to_csv(ORDER_COLUMNS, [order_row("1002", title="Café mug")], encoding="cp1252"), shop=shop
    )
    assert summary.encoding == "cp1252" and "not UTF-8" in summary.notes[0]
    assert Order.objects.get(shop_order_id="1002").lines.get().title == "Café mug"


def test_undecodable_and_binary_files_are_refused_with_a_message(shop):
    with pytest.raises(CsvError, match="neither UTF-8 nor Windows-1252"):
        import_orders(b"order_id,total\n1,\x81\x8d\x8f\x90\x9d\n", shop=shop)
    with pytest.raises(CsvError, match="NUL bytes"):
        import_orders("order_id,total\n".encode("utf-16-le"), shop=shop)
    with pytest.raises(CsvError, match="empty"):
        import_orders(b"  \n", shop=shop)


def test_utf16_with_a_bom_is_read(shop):
    data = to_csv(ORDER_COLUMNS, [order_row("1001")]).decode().encode("utf-16")
    assert import_orders(data, shop=shop).counts == {"created": 1}


def test_formula_looking_cells_are_kept_as_data(shop):
    # A cell is data on import; exports neutralise formulas (core.csvio.safe_cell).
    summary = run(
        shop, [order_row("1001", title='=HYPERLINK("http://evil.example","click")', sku="@SUM(A1)")]
    )
    assert summary.counts == {"created": 1}
    line = Order.objects.get().lines.get()
    assert line.title.startswith("=HYPERLINK") and line.sku == "@SUM(A1)"


def test_the_command_prints_a_summary_and_writes_failed_rows_safely(shop, tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_bytes(to_csv(ORDER_COLUMNS, [order_row("1001"), order_row("=1+1", quantity="-1")]))
    errors = tmp_path / "errors.csv"
    call_command("import_orders", str(path), "--errors", str(errors))
    out = capsys.readouterr()
    assert "1 created" in out.out and "1 failed rows" in out.out
    assert "row 3 (=1+1): quantity: must be greater than 0" in out.out
    assert "order rows: 100%" in out.err  # progress lines when not on a terminal
    assert "'=1+1" in errors.read_text()
    with pytest.raises(CommandError, match="1 rows failed"):
        call_command("import_orders", str(path), "--strict", "--quiet")


def test_the_command_names_a_missing_file_missing_columns_and_the_shop(shop, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_orders", str(tmp_path / "nope.csv"))
    path = tmp_path / "bad.csv"
    path.write_text("sku,quantity\nA,1\n")
    with pytest.raises(CommandError, match="missing required columns"):
        call_command("import_orders", str(path))
    with pytest.raises(CommandError, match="--shop: no shop"):
        call_command("import_orders", str(path), "--shop", "unknown.example")


def test_a_large_import_goes_through_copy_and_stays_idempotent(shop):
    VariantFactory(sku="SKU-1")
    rows = [
        order_row(str(2000 + n), sku, quantity="2", email=f"b{n % 7}@ex.com", visitor_id=f"v{n}")
        for n in range(120)
        for sku in ("SKU-1", "SKU-X")
    ]
    data = to_csv(ORDER_COLUMNS, rows)
    assert import_orders(data, shop=shop, batch_size=100).counts == {"created": 120}
    assert OrderLine.objects.count() == 240
    assert OrderLine.objects.filter(unknown_product=True).count() == 120
    assert OrderLine.objects.filter(variant__sku="SKU-1").count() == 120
    assert sum(Customer.objects.values_list("order_count", flat=True)) == 120
    assert import_orders(data, shop=shop, batch_size=100).counts == {"unchanged": 120}
    order = Order.objects.get(shop_order_id="2005")
    assert order.created_at and order.utm_campaign == "spring" and order.lines.count() == 2
