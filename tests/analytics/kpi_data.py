"""A small hand-made day of storefront traffic and orders, with every KPI worked out.

Events go in through the real collect endpoint; orders are rows as the order
webhook would leave them. The numbers the tests expect are in `EXPECTED`.

Day D (two days ago, UTC), site S, gallery "home", asset A:
- alice lands from Instagram (campaign Spring): 2 page views, gallery view,
  20 impressions of A, 2 clicks on A, a cart and a purchase -> order 1 at 15:00:
  subtotal 100, discount 10, refund 0 -> net 90, a new customer.
- bob lands direct: 1 page view, 20 impressions of A, a cart, no purchase (bounce).
- carol lands direct: 1 page view and a lead (bounce).
- order 2 by a visitor we never saw: subtotal 50, no discount, refund 20 -> net 30.
Day D-1: dave sees A 10 times and clicks once.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.utils import timezone

from commerce.models import Customer, Order
from core.roles import ANALYST
from tests.analytics.conftest import event, post
from tests.commerce.factories import ShopFactory
from tests.ugc.factories import AssetFactory

LANDING = "https://shop.example/?utm_source=instagram&utm_medium=social&utm_campaign=Spring"


def the_day():
    return timezone.now().astimezone(UTC).date() - timedelta(days=2)


def at(day, hour, minute=0) -> int:
    moment = datetime.combine(day, time(hour, minute), tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _session(visitor, session, day, hour, kinds, asset_id, **first):
    events = []
    for index, (kind, fields) in enumerate(kinds):
        fields = {"asset_id": asset_id, "gallery": "home"} if fields == "A" else fields
        extra = first if index == 0 else {}
        events.append(
            event(
                kind,
                visitor_id=visitor,
                session_id=session,
                client_time=at(day, hour, index % 60) + index,
                **fields,
                **extra,
            )
        )
    return events


def send_day(client, site, asset_id: int) -> None:
    day = the_day()
    alice = [("page_view", {}), ("gallery_view", {"gallery": "home"})]
    alice += [("asset_impression", "A")] * 20 + [("asset_click", "A")] * 2
    alice += [("page_view", {}), ("add_to_cart", {}), ("purchase", {})]
    bob = [("page_view", {})] + [("asset_impression", "A")] * 20 + [("add_to_cart", {})]
    carol = [("page_view", {}), ("lead", {})]
    batches = [
        _session("alice", "s-alice", day, 10, alice, asset_id, page_url=LANDING),
        _session("bob", "s-bob", day, 11, bob, asset_id),
        _session("carol", "s-carol", day, 12, carol, asset_id),
        _session(
            "dave", "s-dave", day - timedelta(days=1), 9,
            [("asset_impression", "A")] * 10 + [("asset_click", "A")], asset_id,
        ),
    ]  # fmt: skip
    for batch in batches:
        assert post(client, site, batch).status_code == 202


def make_orders() -> None:
    day = the_day()
    shop = ShopFactory()
    customer = Customer.objects.create(key_hash="a" * 64, key_kind="email")
    _order(shop, "1", day, "alice", Decimal(100), Decimal(10), Decimal(0), customer=customer)
    _order(shop, "2", day, "", Decimal(50), Decimal(0), Decimal(20))


def _order(shop, number, day, visitor, subtotal, discounts, refunded, customer=None):
    return Order.objects.create(
        shop=shop,
        shop_order_id=number,
        customer=customer,
        created_at_shop=datetime.combine(day, time(15), tzinfo=UTC),
        currency="EUR",
        subtotal=subtotal,
        discounts=discounts,
        total=subtotal - discounts,
        refunded_amount=refunded,
        visitor_id=visitor,
    )


def build(client, site):
    asset = AssetFactory()
    send_day(client, site, asset.pk)
    make_orders()
    return asset


def analyst() -> User:
    user = User.objects.create_user("ana", password="pw-for-tests-123")
    user.groups.add(Group.objects.get_or_create(name=ANALYST)[0])
    return user
