"""Journeys built from hand-made sessions, events and orders, checked touch by touch.

Day D is ten days ago (UTC); the range is D-2 .. D+2 with a 30-day lookback:
- alice: paid_social on D-40 (past the lookback), email on D-5 where she clicks asset
  A in gallery "home", direct on D -> order 1 on D (100, refunded 20: worth 80), a
  cancelled order after it (ignored), organic_search on D+1 -> order 2 (40), then
  referral on D+2 that leads nowhere (a non-converting journey).
- bob: two visitor ids, both seen on his orders (CustomerVisitor): paid_search on D-1
  as one, display on D as the other -> order 3 (50) as one journey.
- carol: affiliate on D, no order.
- an order by a visitor never seen (30): unattributed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import Event, Session, Visitor
from analytics.services.journeys import Journeys, build_journeys
from analytics.services.partitions import ensure_event_partitions
from commerce.models import Customer, CustomerVisitor, Order
from tests.commerce.factories import ShopFactory
from tests.ugc.factories import AssetFactory, SiteFactory

pytestmark = pytest.mark.django_db


def day_d() -> date:
    return timezone.now().astimezone(UTC).date() - timedelta(days=10)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def visit(site, visitor_id: str, session_id: str, when: datetime, channel: str) -> Session:
    visitor, _ = Visitor.objects.get_or_create(
        site=site, visitor_id=visitor_id, defaults={"first_seen": when, "last_seen": when}
    )
    return Session.objects.create(
        site=site,
        visitor=visitor,
        session_id=session_id,
        started_at=when,
        ended_at=when + timedelta(minutes=10),
        device_class="desktop",
        channel=channel,
    )


def interact(site, visitor_id, session_id, when, type_="asset_click", **fields) -> None:
    Event.objects.create(
        event_id=uuid.uuid4(),
        received_at=when,
        site_id=site.pk,
        type=type_,
        client_time=when,
        visitor_id=visitor_id,
        session_id=session_id,
        **fields,
    )


def order(shop, when, total, *, visitor_id="", customer=None, refunded=0, status="open"):
    return Order.objects.create(
        shop=shop,
        shop_order_id=uuid.uuid4().hex,
        created_at_shop=when,
        currency="EUR",
        total=Decimal(total),
        refunded_amount=Decimal(refunded),
        visitor_id=visitor_id,
        customer=customer,
        status=status,
    )


def customer(key: str) -> Customer:
    return Customer.objects.create(key_hash=key * 8, key_kind="email")


def make_story():
    """The traffic above; returns (site, asset) for the tests to name."""
    ensure_event_partitions(now=timezone.now() - timedelta(days=45))
    ensure_event_partitions()
    d = day_d()
    site, shop, asset = SiteFactory(), ShopFactory(), AssetFactory()
    visit(site, "v_alice", "a0", at(d - timedelta(days=40), 9), "paid_social")
    visit(site, "v_alice", "a1", at(d - timedelta(days=5), 10), "email")
    interact(site, "v_alice", "a1", at(d - timedelta(days=5), 10, 5), asset_id=asset.pk,
             gallery="home")  # fmt: skip
    interact(site, "v_alice", "a1", at(d - timedelta(days=5), 10, 6), "asset_impression",
             asset_id=asset.pk, gallery="home")  # fmt: skip
    visit(site, "v_alice", "a2", at(d, 9), "direct")
    order(shop, at(d, 12), "100", visitor_id="v_alice", refunded="20")
    order(shop, at(d, 13), "70", visitor_id="v_alice", status="cancelled")
    visit(site, "v_alice", "a3", at(d + timedelta(days=1), 9), "organic_search")
    order(shop, at(d + timedelta(days=1), 12), "40", visitor_id="v_alice")
    visit(site, "v_alice", "a4", at(d + timedelta(days=2), 10), "referral")

    bob = customer("b")
    for visitor_id in ("v_bob1", "v_bob2"):
        CustomerVisitor.objects.create(
            customer=bob, visitor_id=visitor_id, first_seen_at=at(d, 10), last_seen_at=at(d, 10)
        )
    visit(site, "v_bob1", "b1", at(d - timedelta(days=1), 20), "paid_search")
    visit(site, "v_bob2", "b2", at(d, 8), "display")
    order(shop, at(d, 10), "50", visitor_id="v_bob2", customer=bob)

    visit(site, "v_carol", "c1", at(d, 11), "affiliate")
    order(shop, at(d, 14), "30", visitor_id="v_ghost")
    return site, asset


def described(journeys: Journeys, with_assets: bool = False) -> list[tuple]:
    """Each journey as (touch names..., conversions, value), sorted: order-free to compare."""
    out = []
    for index in range(len(journeys)):
        start, end = journeys.offsets[index], journeys.offsets[index + 1]
        names = []
        for touch in range(start, end):
            if journeys.kind[touch] == 0:
                names.append(journeys.channels[journeys.channel[touch]])
            elif with_assets:
                gallery = journeys.galleries[journeys.gallery[touch]]
                names.append(f"{gallery}/{journeys.asset[touch]}")
        out.append((tuple(names), journeys.conversions[index], journeys.values[index]))
    return sorted(out)


def journeys_for_story(**options) -> Journeys:
    d = day_d()
    return build_journeys(date_from=d - timedelta(days=2), date_to=d + timedelta(days=2), **options)


def test_journeys_are_cut_by_lookback_and_by_the_previous_order_and_merged_by_customer():
    make_story()
    journeys = journeys_for_story()
    assert described(journeys) == [
        (("affiliate",), 0.0, 0.0),
        (("email", "direct"), 1.0, 80.0),
        (("organic_search",), 1.0, 40.0),
        (("paid_search", "display"), 1.0, 50.0),
        (("referral",), 0.0, 0.0),
    ]
    assert journeys.unattributed_conversions == 1
    assert journeys.unattributed_value == 30.0


def test_gallery_clicks_ride_in_the_journey_with_their_session_channel():
    _, asset = make_story()
    journeys = journeys_for_story()
    first = next(i for i in range(len(journeys)) if journeys.values[i] == 80.0)
    touches = range(journeys.offsets[first], journeys.offsets[first + 1])
    assert [journeys.channels[journeys.channel[t]] for t in touches] == [
        "email",
        "email",
        "direct",
    ]
    assert [int(journeys.asset[t]) for t in touches] == [0, asset.pk, 0]
    assert ("email", "home/" + str(asset.pk), "direct") in [
        row[0] for row in described(journeys, with_assets=True)
    ]


def test_impressions_count_only_when_asked():
    make_story()
    without = sum(len(row[0]) for row in described(journeys_for_story(), True))
    with_impressions = journeys_for_story(include_impressions=True)
    assert sum(len(row[0]) for row in described(with_impressions, True)) == without + 1


def test_a_shorter_lookback_drops_older_touches_and_can_leave_an_order_unattributed():
    make_story()
    journeys = journeys_for_story(lookback_days=1)
    assert (("direct",), 1.0, 80.0) in described(journeys)
    # bob's paid_search was 14 hours before his order: still in; the ghost stays out.
    assert (("paid_search", "display"), 1.0, 50.0) in described(journeys)
    assert journeys.unattributed_conversions == 1


def test_no_orders_leaves_only_non_converting_journeys():
    site = SiteFactory()
    d = day_d()
    visit(site, "v_x", "x1", at(d, 9), "email")
    visit(site, "v_x", "x2", at(d, 15), "direct")
    journeys = journeys_for_story()
    assert described(journeys) == [(("email", "direct"), 0.0, 0.0)]
    assert journeys.unattributed_conversions == 0
