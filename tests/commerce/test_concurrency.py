"""Two deliveries of one new order at the same moment: one order, and a 200 for both."""

import threading
import time

from django.db import connection, transaction
from rest_framework.test import APIClient

from commerce.ingest import payloads
from commerce.models import Order, WebhookDelivery
from commerce.services.orders import save_orders
from tests.commerce.conftest import post_shopify
from tests.commerce.factories import OrderPayload, ShopFactory


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_a_concurrent_insert_of_the_same_order_is_retried_not_a_500(transactional_db):
    shop = ShopFactory(domain="brand.myshopify.com")
    payload = OrderPayload()
    inserted, go = threading.Event(), threading.Event()
    results = {}

    def other_delivery():  # holds a freshly inserted, uncommitted copy of the order
        try:
            with transaction.atomic():
                save_orders(shop=shop, records=[payloads.shopify_order(payload)], source="webhook")
                inserted.set()
                go.wait(10)
        finally:
            connection.close()

    def webhook():
        try:
            results["response"] = post_shopify(APIClient(), payload, webhook_id="w-2")
        finally:
            connection.close()

    first = threading.Thread(target=other_delivery)
    first.start()
    assert inserted.wait(10)
    second = threading.Thread(target=webhook)
    second.start()
    # Let the other delivery commit only once the webhook waits on one of its rows.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not waiting_on_a_lock():
        time.sleep(0.05)
    go.set()
    first.join(10)
    second.join(20)
    response = results["response"]
    assert response.status_code == 200, response.content
    assert Order.objects.count() == 1
    assert WebhookDelivery.objects.get().outcome == "processed"
