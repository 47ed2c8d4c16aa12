"""Shopify's own webhook samples through the real endpoint, signed as Shopify signs them.

Each file is held to what Shopify means by it: the documentation samples (what
"Send test notification" sends) are stored with the right amounts and
currency; REST API answers, still wrapped in {"order": ...}, get a 400 that
says so, and go through once unwrapped.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from commerce.models import Order, Refund, WebhookDelivery
from tests.commerce.conftest import SHOPIFY_URL, assert_problem, shopify_headers
from tests.commerce.factories import ShopFactory
from tests.realworld.corpus import require as corpus

pytestmark = pytest.mark.django_db

DOMAIN = "realworld.myshopify.com"


@pytest.fixture
def shop():
    return ShopFactory(domain=DOMAIN)


def sample(name: str) -> dict:
    return json.loads((corpus("shopify") / name).read_text(encoding="utf-8"))


def deliver(client, payload, *, topic: str, webhook_id: str):
    body = json.dumps(payload).encode()
    headers = shopify_headers(body, topic=topic, webhook_id=webhook_id, domain=DOMAIN)
    return client.generic(
        "POST", SHOPIFY_URL, body, content_type="application/json", headers=headers
    )


def test_the_documentation_samples_store_the_order_and_its_refund(client, shop):
    order_body = sample("webhook_orders_create_sample.json")
    response = deliver(client, order_body, topic="orders/create", webhook_id="doc-order")
    assert response.status_code == 200, response.content
    order = Order.objects.get(pk=response.json()["order_id"])
    # The id is above 2**53: kept digit for digit.
    assert order.shop_order_id == "820982911946154508" and order.name == "#9999"
    assert (order.currency, order.total, order.status) == ("USD", Decimal("404.95"), "cancelled")
    assert order.financial_status == "voided"
    assert [line.sku for line in order.lines.order_by("position")] == [
        item["sku"] for item in order_body["line_items"]
    ]

    response = deliver(
        client, sample("webhook_refunds_create_sample.json"), topic="refunds/create",
        webhook_id="doc-refund",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    refund = Refund.objects.get(shop=shop)
    # Both transactions carry currency null: the refund's presentment money says USD.
    assert (refund.amount, refund.currency, refund.order_id) == (Decimal("85.00"), "USD", order.pk)
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("85.00")


def test_a_refund_naming_no_currency_takes_its_orders(client, shop):
    order_body = sample("webhook_orders_create_sample.json")
    order_body["currency"] = "EUR"
    assert deliver(client, order_body, topic="orders/create", webhook_id="o").status_code == 200
    refund = sample("webhook_refunds_create_sample.json")
    without_sets = {key: value for key, value in refund.items() if "_set" not in key}
    without_sets["refund_line_items"] = []
    response = deliver(client, without_sets, topic="refunds/create", webhook_id="r")
    assert response.status_code == 200, response.content
    assert Refund.objects.get().currency == "EUR"


def test_a_refund_with_no_currency_anywhere_is_refused_naming_the_problem(client, shop):
    refund = sample("webhook_refunds_create_sample.json")
    refund = {key: value for key, value in refund.items() if "_set" not in key}
    refund["refund_line_items"] = []
    body = assert_problem(deliver(client, refund, topic="refunds/create", webhook_id="r"), 400)
    assert "currency" in json.dumps(body) and "order is not known yet" in json.dumps(body)
    assert not Refund.objects.exists()
    assert WebhookDelivery.objects.get().outcome == "invalid"


@pytest.mark.parametrize(
    ("name", "topic", "wrapper", "stored"),
    [
        ("shopify_python_api_order.json", "orders/create", "order", Decimal("409.94")),
        ("shopify_python_api_refund.json", "refunds/create", "refund", Decimal("209.00")),
    ],
)
def test_a_rest_answer_is_refused_as_such_and_accepted_unwrapped(
    client, shop, name, topic, wrapper, stored
):
    wrapped = sample(name)
    body = assert_problem(deliver(client, wrapped, topic=topic, webhook_id="wrapped"), 400)
    assert f'wrapped in {{\\"{wrapper}\\": ...}}' in json.dumps(body), body
    assert not (Order.objects.exists() or Refund.objects.exists())

    response = deliver(client, wrapped[wrapper], topic=topic, webhook_id="unwrapped")
    assert response.status_code == 200, response.content
    if wrapper == "order":
        order = Order.objects.get()
        assert (order.currency, order.total, order.lines.count()) == ("USD", stored, 3)
    else:
        refund = Refund.objects.get()
        assert (refund.currency, refund.amount) == ("USD", stored)
