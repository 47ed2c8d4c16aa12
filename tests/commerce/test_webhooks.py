"""Shopify's order webhooks and the generic one: signatures, bad input, idempotency, order."""

import json
from decimal import Decimal

import pytest
from django.test import override_settings

from commerce.models import Customer, Order, OrderLine, Refund, WebhookDelivery
from tests.commerce.conftest import (
    GENERIC_URL,
    SHOPIFY_URL,
    assert_problem,
    post_generic,
    post_shopify,
    shopify_headers,
)
from tests.commerce.factories import (
    LineItemPayload,
    OrderPayload,
    RefundPayload,
    VariantFactory,
    generic_order_payload,
)


def nothing_stored():
    return not (
        Order.objects.exists() or WebhookDelivery.objects.exists() or Customer.objects.exists()
    )


def test_orders_create_stores_the_order_with_its_lines_customer_and_utm(client, shop):
    variant = VariantFactory(sku="IPOD2008PINK")
    payload = OrderPayload(
        line_items=[
            LineItemPayload(sku="IPOD2008PINK", quantity=2, price="199.00", total_discount="10.00"),
            LineItemPayload(sku="NOT-IN-CATALOG", quantity=1, price="9.99"),
            LineItemPayload(sku="NOT-IN-CATALOG", quantity=1, price="9.99", title="Second"),
            LineItemPayload(sku="", quantity=3, price="1.00"),
            LineItemPayload(sku="IPOD2008PINK", quantity=1, price="199.00"),
        ]
    )
    response = post_shopify(client, payload)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == "processed" and body["duplicate"] is False
    order = Order.objects.get(pk=body["order_id"])
    assert order.shop == shop and order.shop_order_id == str(payload["id"])
    assert order.total == Decimal("398.00") and order.currency == "USD"
    assert (order.utm_source, order.utm_medium, order.utm_campaign) == (
        "instagram",
        "social",
        "spring",
    )
    assert order.visitor_id == "v-123" and order.financial_status == "paid"
    lines = list(order.lines.order_by("position"))
    assert len(lines) == 5
    assert lines[0].variant == variant and lines[0].product == variant.product
    assert lines[0].line_total == Decimal("388.00") and not lines[0].unknown_product
    # Unknown products are kept as lines with their raw SKU, flagged, not dropped.
    assert [line.unknown_product for line in lines] == [False, True, True, True, False]
    assert lines[1].sku == "NOT-IN-CATALOG" and lines[1].product is None
    customer = order.customer
    assert customer.order_count == 1 and list(
        customer.visitors.values_list("visitor_id", flat=True)
    ) == ["v-123"]


def test_the_same_webhook_twice_changes_nothing(client, shop):
    payload = OrderPayload()
    first = post_shopify(client, payload, webhook_id="same")
    second = post_shopify(client, payload, webhook_id="same")
    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 2
    assert WebhookDelivery.objects.count() == 1
    assert Order.objects.get().customer.order_count == 1


def test_the_same_order_under_a_new_delivery_id_is_unchanged(client, shop):
    payload = OrderPayload()
    post_shopify(client, payload, webhook_id="a")
    updated_at = Order.objects.get().updated_at
    assert post_shopify(client, payload, webhook_id="b").status_code == 200
    order = Order.objects.get()
    assert order.updated_at == updated_at and OrderLine.objects.count() == 2


def test_out_of_order_updates_keep_the_newest_state(client, shop):
    created = OrderPayload(financial_status="pending")
    newer = {
        **created,
        "updated_at": "2025-03-01T12:00:00-05:00",
        "financial_status": "paid",
        "line_items": [LineItemPayload(quantity=3)],
    }
    older = {**created, "updated_at": "2025-03-01T11:00:00-05:00", "financial_status": "authorized"}
    assert post_shopify(client, created, webhook_id="1").status_code == 200
    assert post_shopify(client, newer, webhook_id="3", topic="orders/updated").status_code == 200
    response = post_shopify(client, older, webhook_id="2", topic="orders/updated")
    assert response.status_code == 200 and response.json()["outcome"] == "stale"
    order = Order.objects.get()
    assert order.financial_status == "paid"
    assert [line.quantity for line in order.lines.all()] == [3]


def test_a_cancelled_order_update(client, shop):
    payload = OrderPayload()
    post_shopify(client, payload, webhook_id="1")
    cancelled = {
        **payload,
        "cancelled_at": "2025-03-02T09:00:00Z",
        "updated_at": "2025-03-02T09:00:00Z",
        "financial_status": "voided",
    }
    post_shopify(client, cancelled, webhook_id="2", topic="orders/updated")
    assert Order.objects.get().status == "cancelled"


def test_refunds_add_up_once_each_even_before_their_order_arrives(client, shop):
    order = OrderPayload()
    refund = RefundPayload(order_id=order["id"])
    # The refund arrives first: kept, linked when the order comes.
    response = post_shopify(client, refund, topic="refunds/create", webhook_id="r1")
    assert response.status_code == 200 and response.json()["order_id"] is None
    post_shopify(client, order, webhook_id="o1")
    assert Order.objects.get().refunded_amount == Decimal("41.94")
    # The same refund again under another delivery id, and inside orders/updated.
    post_shopify(client, refund, topic="refunds/create", webhook_id="r1-again")
    updated = {
        **order,
        "updated_at": "2025-03-03T00:00:00Z",
        "financial_status": "partially_refunded",
        "refunds": [
            refund,
            RefundPayload(
                order_id=order["id"],
                transactions=[
                    {"kind": "refund", "status": "success", "amount": "10.00", "currency": "USD"}
                ],
            ),
        ],
    }
    post_shopify(client, updated, topic="orders/updated", webhook_id="o2")
    stored = Order.objects.get()
    assert Refund.objects.count() == 2
    assert stored.refunded_amount == Decimal("51.94")
    assert stored.net_total == Decimal("398.00") - Decimal("51.94")


def test_a_failed_refund_transaction_does_not_count(client, shop):
    order = OrderPayload()
    post_shopify(client, order, webhook_id="o1")
    refund = RefundPayload(
        order_id=order["id"],
        transactions=[
            {"kind": "refund", "status": "failure", "amount": "20.00", "currency": "USD"}
        ],
    )
    post_shopify(client, refund, topic="refunds/create", webhook_id="r1")
    assert Order.objects.get().refunded_amount == 0


def test_bad_signature_is_a_401_and_stores_nothing(client, shop):
    body = json.dumps(OrderPayload()).encode()
    headers = shopify_headers(body, secret="not-the-secret")
    response = client.generic(
        "POST", SHOPIFY_URL, body, content_type="application/json", headers=headers
    )
    problem = assert_problem(response, 401)
    assert "X-Shopify-Hmac-Sha256" in problem["detail"]
    assert nothing_stored()


def test_missing_signature_is_a_401(client, shop):
    body = json.dumps(OrderPayload()).encode()
    headers = shopify_headers(body)
    del headers["X-Shopify-Hmac-Sha256"]
    response = client.generic(
        "POST", SHOPIFY_URL, body, content_type="application/json", headers=headers
    )
    assert_problem(response, 401)
    assert nothing_stored()


def test_a_signature_of_another_body_is_a_401(client, shop):
    body = json.dumps(OrderPayload()).encode()
    headers = shopify_headers(body)
    tampered = body.replace(b'"398.00"', b'"1.00"')
    response = client.generic(
        "POST", SHOPIFY_URL, tampered, content_type="application/json", headers=headers
    )
    assert_problem(response, 401)
    assert nothing_stored()


def test_an_unknown_shop_is_a_401(client, shop):
    response = post_shopify(client, OrderPayload(), domain="other.myshopify.com")
    assert "No shop" in assert_problem(response, 401)["detail"]
    assert nothing_stored()


def test_wrong_content_type_is_a_415(client, shop):
    body = json.dumps(OrderPayload()).encode()
    response = post_shopify(client, None, body=body, content_type="text/plain")
    assert "application/json" in assert_problem(response, 415)["detail"]
    assert nothing_stored()


@override_settings(COMMERCE_WEBHOOK_MAX_BYTES=10_000)
def test_a_huge_body_is_a_413(client, shop):
    payload = OrderPayload(note="x" * 20_000)
    assert "limit" in assert_problem(post_shopify(client, payload), 413)["detail"]
    assert nothing_stored()


@override_settings(COMMERCE_WEBHOOK_MAX_BYTES=10_000_000, DATA_UPLOAD_MAX_MEMORY_SIZE=5_000)
def test_a_body_past_djangos_own_limit_is_a_413_too(client, shop):
    assert_problem(post_shopify(client, OrderPayload(note="x" * 10_000)), 413)
    assert nothing_stored()


def test_invalid_json_is_a_400(client, shop):
    response = post_shopify(client, None, body=b'{"id": 1, "line_items": [')
    assert "not valid JSON" in assert_problem(response, 400)["detail"]
    assert nothing_stored()


def test_json_that_is_not_an_object_is_a_400(client, shop):
    assert_problem(post_shopify(client, None, body=b"[1, 2]"), 400)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"total_price": "12,3.4.5"}, "total_price"),
        ({"total_price": 10.5}, "total_price"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"id": None}, "id"),
        ({"line_items": [{"sku": "A", "quantity": -1, "price": "1.00"}]}, "line_items.0.quantity"),
        ({"line_items": [{"sku": "A", "quantity": 1, "price": "abc"}]}, "line_items.0.price"),
        ({"line_items": "nope"}, "line_items"),
    ],
)
def test_invalid_fields_are_a_400_naming_the_field(client, shop, change, field):
    payload = {**OrderPayload(), **change}
    problem = assert_problem(post_shopify(client, payload, webhook_id="bad"), 400)
    assert problem["errors"][0]["field"] == field
    assert not Order.objects.exists()
    # Kept for the operator; a corrected retry under the same id is processed.
    assert WebhookDelivery.objects.get().outcome == "invalid"
    assert post_shopify(client, OrderPayload(), webhook_id="bad").status_code == 200
    assert Order.objects.count() == 1


def test_missing_topic_is_a_400_and_other_topics_are_acknowledged(client, shop):
    problem = assert_problem(post_shopify(client, OrderPayload(), topic=None), 400)
    assert problem["errors"][0]["field"] == "X-Shopify-Topic"
    response = post_shopify(client, {"id": 1}, topic="products/update", webhook_id="p")
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert not Order.objects.exists()


def test_without_a_webhook_id_the_body_deduplicates(client, shop):
    payload = OrderPayload()
    for _ in range(2):
        assert post_shopify(client, payload, webhook_id=None).status_code == 200
    assert WebhookDelivery.objects.count() == 1
    assert WebhookDelivery.objects.get().webhook_id.startswith("sha256:")


def test_the_generic_webhook(client, shop):
    response = post_generic(client, generic_order_payload())
    assert response.status_code == 200, response.content
    order = Order.objects.get()
    assert order.total == Decimal("60.00") and order.currency == "EUR"
    assert order.utm_source == "tiktok" and order.visitor_id == "v-generic-1"
    assert [line.line_total for line in order.lines.all()] == [Decimal("20.00"), Decimal("40.00")]
    assert post_generic(client, generic_order_payload()).json()["duplicate"] is True


def test_the_generic_webhook_checks_signature_and_fields(client, shop):
    body = json.dumps(generic_order_payload()).encode()
    response = client.generic(
        "POST",
        GENERIC_URL,
        body,
        content_type="application/json",
        headers={"X-Shop-Domain": shop.domain, "X-Signature-Sha256": "bad"},
    )
    assert_problem(response, 401)
    bad = generic_order_payload(lines=[{"sku": "A", "quantity": 0, "unit_price": "1"}])
    problem = assert_problem(post_generic(client, bad, webhook_id="g-bad"), 400)
    assert problem["errors"][0]["field"] == "lines.0.quantity"
    bad = generic_order_payload(customer={"email": "not an email"})
    assert (
        assert_problem(post_generic(client, bad, webhook_id="g-bad2"), 400)["errors"][0]["field"]
        == "customer.email"
    )
    assert not Order.objects.exists()


def test_webhooks_are_in_the_openapi_schema_with_their_errors(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/webhooks/shopify/orders", "/api/v1/webhooks/orders"):
        responses = schema["paths"][path]["post"]["responses"]
        assert {"200", "400", "401", "413", "415"} <= set(responses), responses.keys()
        assert "security" not in schema["paths"][path]["post"] or schema["paths"][path]["post"][
            "security"
        ] in ([], [{}])


def test_a_value_the_database_cannot_hold_is_a_400_not_a_500(client, shop):
    payload = {**OrderPayload(), "id": "820982\u0000911"}
    problem = assert_problem(post_shopify(client, payload), 400)
    assert problem["errors"][0]["field"] == "non_field_errors"
    assert not Order.objects.exists()
    # Text fields simply lose the NUL.
    payload = {**OrderPayload(), "name": "#10\u000001"}
    assert post_shopify(client, payload, webhook_id="nul-name").status_code == 200
    assert Order.objects.get().name == "#1001"
