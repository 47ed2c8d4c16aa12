"""Customers are pseudonymous: a keyed hash, never the email; visitor ids are linked."""

import hashlib
import hmac

from django.db import connection
from django.test import override_settings

from commerce.ingest.records import CustomerKey
from commerce.models import Customer, CustomerVisitor, Order
from commerce.services.customers import customer_hash
from tests.commerce.conftest import post_shopify
from tests.commerce.factories import CustomerPayload, OrderPayload


def all_text_in_commerce_tables() -> str:
    dump = []
    with connection.cursor() as cursor:
        for model in (Customer, CustomerVisitor, Order):
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608
            dump.append(repr(cursor.fetchall()))
    return "\n".join(dump).lower()


def test_the_raw_email_is_never_stored(client, shop):
    email = "Secret.Person@Example.com"
    post_shopify(client, OrderPayload(customer=CustomerPayload(email=email)))
    stored = all_text_in_commerce_tables()
    assert "secret.person" not in stored and "example.com" not in stored
    customer = Customer.objects.get()
    expected = hmac.new(
        b"dev-only-customer-hash-key-never-use-in-production",
        b"email:secret.person@example.com",
        hashlib.sha256,
    ).hexdigest()
    assert customer.key_hash == expected and customer.key_kind == "email"


def test_the_same_email_in_any_case_is_one_customer_across_orders(client, shop):
    post_shopify(
        client, OrderPayload(customer=CustomerPayload(email="ana@example.org")), webhook_id="1"
    )
    post_shopify(
        client,
        OrderPayload(
            customer=CustomerPayload(email=" ANA@example.org "),
            created_at="2025-04-01T00:00:00Z",
            note_attributes=[{"name": "_ugc_visitor_id", "value": "v-2"}],
        ),
        webhook_id="2",
    )
    customer = Customer.objects.get()
    assert customer.order_count == 2
    assert customer.first_order_at.isoformat() == "2025-03-01T15:00:00+00:00"
    assert customer.last_order_at.isoformat() == "2025-04-01T00:00:00+00:00"
    assert set(customer.visitors.values_list("visitor_id", flat=True)) == {"v-123", "v-2"}


def test_the_hash_depends_on_the_key():
    key = CustomerKey(email="ana@example.org")
    with override_settings(CUSTOMER_HASH_KEY="one-key-" * 5):
        first = customer_hash(key, shop_domain="a")
    with override_settings(CUSTOMER_HASH_KEY="two-key-" * 5):
        second = customer_hash(key, shop_domain="a")
    assert first[0] != second[0] and len(first[0]) == 64


def test_a_shop_customer_id_is_scoped_to_its_shop():
    key = CustomerKey(shop_customer_id="42")
    assert customer_hash(key, shop_domain="a.example") != customer_hash(
        key, shop_domain="b.example"
    )
    assert customer_hash(CustomerKey(), shop_domain="a") is None
