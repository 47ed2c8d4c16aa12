"""Photo requests sent and followed, for the dashboard's funnel (unit and browser tests).

Two sites and two product lines. In Shop A (2 requests, 3 product links): every link
opened, two photos uploaded, one approved and published, earning 120.00. In Shop B
(1 request, 1 link): opened, nothing uploaded. One request sent 60 days ago, outside
a 30-day range.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from commerce.models import Order, Product, ProductLine
from outreach.models import PhotoRequest, RequestLink, RequestState
from tests.commerce.factories import ShopFactory
from tests.ugc.factories import AssetFactory, PublishableAssetFactory
from ugc.models import AssetPerformance, ModerationState, Site


def _request(shop, site, name: str, sent_days_ago: int) -> PhotoRequest:
    now = timezone.now()
    sent = now - timedelta(days=sent_days_ago)
    order = Order.objects.create(shop=shop, shop_order_id=name, name=name, currency="EUR",
                                 total=20, created_at_shop=sent - timedelta(days=3))  # fmt: skip
    return PhotoRequest.objects.create(
        order=order, site=site, state=RequestState.SENT, language="en", sent_at=sent,
        due_at=sent, window_ends_at=sent + timedelta(days=30),
    )  # fmt: skip


def _link(request, product, *, opened=True, asset=None) -> RequestLink:
    opened_at = request.sent_at + timedelta(hours=2) if opened else None
    return RequestLink.objects.create(
        request=request, product=product, first_clicked_at=opened_at, clicks=int(opened),
        asset=asset,
    )  # fmt: skip


def seed_funnel() -> dict:
    shop = ShopFactory()
    a = Site.objects.create(name="Shop A", domain="a.example")
    b = Site.objects.create(name="Shop B", domain="b.example")
    mugs = ProductLine.objects.create(slug="mugs", name="Mugs")
    bowls = ProductLine.objects.create(slug="bowls", name="Bowls")
    mug = Product.objects.create(sku="MUG", title="Mug", product_line=mugs)
    bowl = Product.objects.create(sku="BOWL", title="Bowl", product_line=bowls)

    published = PublishableAssetFactory(source_platform="upload")
    AssetPerformance.objects.create(
        asset=published, day=timezone.now().date(), source="rollup", revenue=Decimal("120.00"),
        updated_at=timezone.now(),
    )  # fmt: skip
    pending = AssetFactory(source_platform="upload", moderation_state=ModerationState.PENDING)

    first = _request(shop, a, "#1", sent_days_ago=2)
    _link(first, mug, asset=published)
    _link(first, bowl, asset=pending)
    _link(_request(shop, a, "#2", sent_days_ago=3), mug)
    _link(_request(shop, b, "#3", sent_days_ago=1), bowl)
    _link(_request(shop, b, "#4", sent_days_ago=60), bowl)  # before the range
    return {"a": a, "b": b}
