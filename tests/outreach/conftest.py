"""Photo requests against a real SMTP server (aiosmtpd on a free port)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.ingest.records import OrderContact
from commerce.models import Order, OrderLine, Product, ProductLine
from demo.mailbox import Mailbox
from outreach import mail
from tests.commerce.factories import ShopFactory
from ugc.models import Site


@pytest.fixture
def mailbox(settings):
    box = Mailbox(bounce={"bounce@example.org"}).start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", box.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    mail.close()
    yield box
    mail.close()
    box.stop()


@pytest.fixture
def shop(db):
    return ShopFactory(domain="brand.myshopify.com")


@pytest.fixture
def site(db):
    return Site.objects.create(name="Brand", domain="brand.myshopify.com", locale="en")


@pytest.fixture
def make_order(shop, site):
    line = ProductLine.objects.create(slug="mugs", name="Mugs")
    products = [
        Product.objects.create(sku=f"MUG-{n}", title=f"Mug {n}", product_line=line) for n in (1, 2)
    ]

    def make(name="#1001", days_ago=1) -> Order:
        order = Order.objects.create(
            shop=shop, shop_order_id=name, name=name, currency="EUR", total=20,
            created_at_shop=timezone.now() - timedelta(days=days_ago),
        )  # fmt: skip
        for position, product in enumerate(products, start=1):
            OrderLine.objects.create(
                order=order, position=position, product=product, sku=product.sku,
                quantity=1, unit_price=10, line_total=10,
            )  # fmt: skip
        return order

    return make


def contact(email="buyer@example.org", *, consent=True, locale="fr-FR", fulfilled=True):
    return OrderContact(email=email, accepts_marketing=consent, locale=locale, fulfilled=fulfilled)
