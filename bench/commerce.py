"""Commerce: order webhook ingest and order CSV import against their ceilings.

Webhook ingest. A real gunicorn process (one sync worker, DEBUG off) on a free
loopback port; one client sends signed Shopify orders/create webhooks with
five lines each, one request per connection, then the same number of GETs of
/healthz, a trivial view of the same server, through the same middleware. The
ratio is what verifying, parsing and durably storing an order costs over the
server's own per-request cost.

Order import. 100,000 rows of the documented order CSV (20,000 orders of five
lines) through `import_orders` (parse, validate, customers, catalog lookup,
bulk upsert) against a bare COPY of the same file into a typed scratch table.

Both write to the development database under a shop made for the run, and
delete what they wrote afterwards.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management import call_command

from bench.registry import Result, benchmark, best_of
from core.database import libpq_dsn

WEBHOOK_PATH = "/api/v1/webhooks/shopify/orders"
WEBHOOK_REQUESTS = 300
WARMUP_REQUESTS = 20
IMPORT_ORDERS = 20_000
LINES_PER_ORDER = 5
ROOT = Path(__file__).resolve().parent.parent


def _ready_database() -> None:
    # Only commerce (and what it depends on): other apps' migrations may be mid-edit.
    call_command("migrate", "commerce", verbosity=0)


def _bench_shop(kind: str):
    from commerce.services.shops import create_or_update_shop

    return create_or_update_shop(
        domain=f"bench-{kind}-{uuid.uuid4().hex[:8]}.example", webhook_secret=uuid.uuid4().hex
    )


def _bench_catalog(tag: str) -> list[str]:
    from commerce.models import Product, Variant

    skus = []
    for index in range(LINES_PER_ORDER):
        product = Product.objects.create(
            sku=f"bench-{tag}-p{index}",
            title=f"Bench product {index}",
            price="19.99",
            currency="USD",
        )
        sku = f"bench-{tag}-v{index}"
        Variant.objects.create(product=product, sku=sku, price="19.99")
        skus.append(sku)
    skus[-1] = f"bench-{tag}-unknown"  # one line per order with a SKU the catalog lacks
    return skus


def _clean_up(shop, tag: str) -> None:
    from commerce.models import Customer, Order, Product, Refund

    customer_ids = set(
        Order.objects.filter(shop=shop).exclude(customer=None).values_list("customer_id", flat=True)
    )
    Refund.objects.filter(shop=shop).delete()
    Order.objects.filter(shop=shop).delete()
    Customer.objects.filter(id__in=customer_ids, orders=None).delete()
    shop.delete()
    Product.objects.filter(sku__startswith=f"bench-{tag}-").delete()


# -- webhook ingest ------------------------------------------------------------------------


def _shopify_order(number: int, tag: str, skus: list[str]) -> dict:
    """An orders/create body in the shape of Shopify's documented example."""
    return {
        "id": 9_000_000_000 + number,
        "name": f"#{number}",
        "order_number": number,
        "email": f"buyer-{tag}-{number}@example.com",
        "created_at": "2025-03-01T10:00:00-05:00",
        "updated_at": "2025-03-01T10:00:00-05:00",
        "closed_at": None,
        "cancelled_at": None,
        "currency": "USD",
        "presentment_currency": "USD",
        "subtotal_price": "99.95",
        "total_discounts": "0.00",
        "total_tax": "0.00",
        "total_price": "99.95",
        "financial_status": "paid",
        "fulfillment_status": None,
        "landing_site": "/products/x?utm_source=instagram&utm_medium=social&utm_campaign=spring",
        "referring_site": "https://www.instagram.com/",
        "source_name": "web",
        "note_attributes": [{"name": "_ugc_visitor_id", "value": f"v-{tag}-{number}"}],
        "customer": {
            "id": 7_000_000 + number,
            "email": f"buyer-{tag}-{number}@example.com",
            "first_name": "Bench",
            "last_name": "Buyer",
        },
        "line_items": [
            {
                "id": 8_000_000_000 + number * 10 + index,
                "variant_id": 100 + index,
                "product_id": 200 + index,
                "title": f"Bench product {index}",
                "name": f"Bench product {index}",
                "quantity": 1,
                "sku": sku,
                "price": "19.99",
                "total_discount": "0.00",
                "requires_shipping": True,
                "taxable": True,
                "properties": [],
                "discount_allocations": [],
            }
            for index, sku in enumerate(skus)
        ],
        "refunds": [],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port: int, method: str, path: str, body: bytes = b"", headers=None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start_gunicorn(port: int, log: Path, **extra_env: str) -> subprocess.Popen:
    """The web process as production runs it (one sync worker, DEBUG off), answering
    /healthz; extra_env adds to or overrides its environment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",  # DEBUG keeps every query in memory; production does not
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "sync",
        "--log-level", "warning", "--env", "DJANGO_SETTINGS_MODULE=config.settings.dev",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            if _request(port, "GET", "/healthz") == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


@benchmark
def commerce_webhook_ingest() -> Result:
    from commerce.services.webhooks import sign

    _ready_database()
    tag = uuid.uuid4().hex[:8]
    shop = _bench_shop("webhook")
    skus = _bench_catalog(tag)
    requests = []
    for number in range(WARMUP_REQUESTS + WEBHOOK_REQUESTS):
        body = json.dumps(_shopify_order(number, tag, skus)).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": shop.domain,
            "X-Shopify-Hmac-Sha256": sign(shop.webhook_secret, body),
            "X-Shopify-Webhook-Id": f"bench-{tag}-{number}",
        }
        requests.append((body, headers))
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_gunicorn(port, Path(tmp) / "gunicorn.log")
        try:
            for body, headers in requests[:WARMUP_REQUESTS]:
                assert (
                    _request(port, "POST", "/api/v1/webhooks/shopify/orders", body, headers) == 200
                )
            for _ in range(WARMUP_REQUESTS):
                _request(port, "GET", "/healthz")

            # Interleaved, one webhook then one trivial request, so that both sides
            # see the same load of this shared machine.
            measured = ceiling = 0.0
            for body, headers in requests[WARMUP_REQUESTS:]:
                started = time.perf_counter()
                status = _request(port, "POST", WEBHOOK_PATH, body, headers)
                measured += time.perf_counter() - started
                assert status == 200, status
                started = time.perf_counter()
                assert _request(port, "GET", "/healthz") == 200
                ceiling += time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    from commerce.models import Order, OrderLine

    stored = Order.objects.filter(shop=shop).count()
    lines = OrderLine.objects.filter(order__shop=shop).count()
    _clean_up(shop, tag)
    assert stored == WARMUP_REQUESTS + WEBHOOK_REQUESTS, stored
    assert lines == stored * LINES_PER_ORDER, lines
    return Result(
        "commerce webhook ingest (gunicorn)",
        measured,
        ceiling,
        target_ratio=12.0,
        note=(
            f"{WEBHOOK_REQUESTS} signed 5-line orders via a real gunicorn on loopback vs "
            f"GET /healthz; {WEBHOOK_REQUESTS / measured:,.0f} orders/s, "
            f"{WEBHOOK_REQUESTS / ceiling:,.0f} trivial req/s"
        ),
    )


# -- order import ----------------------------------------------------------------------------

ORDER_COLUMNS = [
    "order_id", "name", "created_at", "currency", "subtotal", "discounts", "total",
    "financial_status", "email", "landing_page", "visitor_id", "sku", "title", "quantity",
    "unit_price", "line_total",
]  # fmt: skip
SCRATCH_TABLE = """
CREATE TEMPORARY TABLE bench_order_rows (
    order_id text, name text, created_at timestamptz, currency char(3), subtotal numeric(14, 3),
    discounts numeric(14, 3), total numeric(14, 3), financial_status text, email text,
    landing_page text, visitor_id text, sku text, title text, quantity integer,
    unit_price numeric(14, 3), line_total numeric(14, 3)
)
"""


def _orders_csv(tag: str, skus: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ORDER_COLUMNS)
    for number in range(IMPORT_ORDERS):
        order = [
            f"{tag}-{number}", f"#{number}", f"2025-0{1 + number % 9}-1{number % 10}T10:00:00Z",
            "EUR", "99.95", "0.00", "99.95", "paid", f"buyer-{number % 5000}@example.com",
            f"https://shop.example/p?utm_source=s{number % 7}&utm_campaign=c{number % 3}",
            f"v-{number}",
        ]  # fmt: skip
        for index, sku in enumerate(skus):
            writer.writerow([*order, sku, f"Product {index}", "1", "19.99", "19.99"])
    return out.getvalue().encode()


def _copy(data: bytes) -> None:
    with psycopg.connect(libpq_dsn(settings.DATABASES["default"])) as conn:
        conn.execute(SCRATCH_TABLE)
        with conn.cursor().copy(
            "COPY bench_order_rows FROM STDIN (FORMAT csv, HEADER true)"
        ) as copy:
            copy.write(data)
        rows = conn.execute("SELECT count(*) FROM bench_order_rows").fetchone()[0]
        assert rows == IMPORT_ORDERS * LINES_PER_ORDER, rows
        conn.rollback()


@benchmark
def commerce_order_import() -> Result:
    from commerce.models import Order
    from commerce.services.imports import import_orders

    _ready_database()
    tag = uuid.uuid4().hex[:8]
    shop = _bench_shop("import")
    data = _orders_csv(tag, _bench_catalog(tag))
    try:
        ceiling = best_of(3, lambda: _copy(data))
        started = time.perf_counter()
        summary = import_orders(data, shop=shop)
        measured = time.perf_counter() - started
        assert summary.counts == {"created": IMPORT_ORDERS}, summary.lines()
        assert Order.objects.filter(shop=shop).count() == IMPORT_ORDERS
    finally:
        _clean_up(shop, tag)
    rows = IMPORT_ORDERS * LINES_PER_ORDER
    return Result(
        "commerce order import (100k rows)",
        measured,
        ceiling,
        target_ratio=40.0,
        note=f"{rows:,} CSV rows, {IMPORT_ORDERS:,} orders; {rows / measured:,.0f} rows/s vs COPY",
    )
