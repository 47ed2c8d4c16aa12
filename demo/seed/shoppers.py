"""Simulated shoppers: visitors over the last N days arriving from five channels,
seeing the galleries, clicking a few photos and sometimes buying, so that the
dashboards, attribution runs and scores have data.

Events of the last ANALYTICS_CLIENT_TIME_MAX_AGE_DAYS days go over HTTP to the
real collect endpoint. Older ones would be clamped there (a client time that far
back is "absurd" for a live beacon), so they are stored through the collect
service in-process, with the receive time set to the simulated moment. Orders
all go to the real signed Shopify webhook, the visitor id in a note attribute.
"""

from __future__ import annotations

import json
import random
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SEED = 4242
NAMESPACE = uuid.UUID("6f1c9a2e-0d7b-4c55-9a51-2d1f3e8b7a60")
# channel -> (share of sessions, landing query, referrer)
CHANNELS = {
    "organic_social": (
        0.30,
        "utm_source=instagram&utm_medium=social",
        "https://www.instagram.com/",
    ),
    "paid_social": (
        0.20,
        "utm_source=facebook&utm_medium=paid_social&utm_campaign=spring",
        "https://www.facebook.com/",
    ),
    "email": (0.15, "utm_source=newsletter&utm_medium=email&utm_campaign=weekly", ""),
    "search": (0.20, "", "https://www.google.com/"),
    "direct": (0.15, "", ""),
}
CLICK_RATE = 0.035  # per impression: "a few percent" as in the seed material
BUY_RATE = {True: 0.06, False: 0.018}  # sessions that clicked a photo buy more often


@dataclass
class Scene:
    """What the shoppers can see and where their traffic goes."""

    shop_url: str
    api_url: str
    key: str
    shop_domain: str
    webhook_secret: str
    home_assets: list[int]  # what the home-page gallery shows, in order
    product_assets: dict[str, list[int]]  # sku -> its product-page gallery
    products: list[tuple[str, str, str]]  # sku, title, price
    live_days: int
    events_http: list[dict] = field(default_factory=list)
    events_old: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)


def simulate(scene: Scene, *, days: int, visitors_per_day: int, now: datetime) -> Scene:
    rng = random.Random(SEED)  # noqa: S311 (seeded on purpose: the same demo every run)
    for day in range(days, -1, -1):
        for v in range(visitors_per_day + rng.randint(-5, 5)):
            visitor = f"v_{uuid.uuid5(NAMESPACE, f'{day}-{v}').hex}"
            start = now - timedelta(days=day, seconds=rng.randint(600, 86_000))
            if start > now - timedelta(minutes=5):
                continue
            _session(scene, rng, visitor, start, live=day < scene.live_days)
    return scene


def _session(scene: Scene, rng: random.Random, visitor: str, start: datetime, live: bool):
    channel = rng.choices(list(CHANNELS), [c[0] for c in CHANNELS.values()])[0]
    _, query, referrer = CHANNELS[channel]
    session = f"s_{uuid.uuid5(NAMESPACE, visitor + start.isoformat()).hex[:24]}"
    landing = f"{scene.shop_url}/" + (f"?{query}" if query else "")
    sku, title, price = _product(scene, rng)
    product_url = f"{scene.shop_url}/products/{sku}"
    events = _Events(visitor, session, start, rng)
    events.add("page_view", landing, referrer=referrer)
    clicked = _gallery(events, rng, landing, "homepage", scene.home_assets)
    if rng.random() < 0.5:
        events.add("product_click", landing, product_sku=sku)
        events.add("page_view", product_url, referrer=landing)
        shown = scene.product_assets.get(sku, [])
        clicked |= _gallery(events, rng, product_url, "product", shown)
        if rng.random() < 0.12 + 0.1 * clicked:
            events.add("add_to_cart", product_url, product_sku=sku, value=price, currency="EUR")
    (scene.events_http if live else scene.events_old).extend(events.made)
    if rng.random() < BUY_RATE[clicked]:
        scene.orders.append(_order(visitor, events.at, landing, referrer, sku, title, price))


def _product(scene: Scene, rng: random.Random) -> tuple[str, str, str]:
    # Half the visits go to the products with customer photos, as best-sellers draw
    # both the photos and the traffic.
    with_photos = [p for p in scene.products if p[0] in scene.product_assets]
    if with_photos and rng.random() < 0.5:
        return rng.choice(with_photos)
    return rng.choice(scene.products)


def _gallery(events, rng, page: str, gallery: str, assets: list[int]) -> bool:
    if not assets or rng.random() < 0.25:  # scrolled past without seeing it
        return False
    events.add("gallery_view", page, gallery=gallery)
    shown = assets[: rng.randint(4, 8)]  # the tiles in view, from the top
    clicked = False
    for position, asset in enumerate(shown):
        events.add("asset_impression", page, gallery=gallery, asset_id=asset, position=position)
        if rng.random() < CLICK_RATE * (1.6 if position < 2 else 0.8):
            events.add("asset_click", page, gallery=gallery, asset_id=asset, position=position)
            events.add("lightbox_open", page, gallery=gallery, asset_id=asset, position=position)
            clicked = True
    return clicked


class _Events:
    """One session's events, a few seconds apart, with ids fixed by their content."""

    def __init__(self, visitor: str, session: str, start: datetime, rng: random.Random):
        self.visitor, self.session, self.at, self.rng = visitor, session, start, rng
        self.made: list[dict] = []

    def add(self, kind: str, page: str, **fields) -> None:
        self.at += timedelta(seconds=self.rng.randint(2, 40))
        event = {
            "event_id": str(uuid.uuid5(NAMESPACE, f"{self.session}-{len(self.made)}")),
            "type": kind,
            "client_time": self.at.isoformat(),
            "visitor_id": self.visitor,
            "session_id": self.session,
            "page_url": page,
            **{k: v for k, v in fields.items() if v not in ("", None)},
        }
        self.made.append(event)


def _order(visitor, at: datetime, landing, referrer, sku, title, price) -> dict:
    created = (at + timedelta(minutes=3)).isoformat()
    number = uuid.uuid5(NAMESPACE, f"order-{visitor}-{created}").int % 10**12
    return {
        "id": number,
        "name": f"#D{number % 10**6:06d}",
        "created_at": created,
        "updated_at": created,
        "currency": "EUR",
        "total_price": price,
        "subtotal_price": price,
        "financial_status": "paid",
        "email": f"shopper{number % 5000}@example.org",
        "landing_site": landing,
        "referring_site": referrer,
        "note_attributes": [{"name": "_ugc_visitor_id", "value": visitor}],
        "line_items": [{"sku": sku, "title": title, "quantity": 1, "price": price}],
        **_photo_request_fields(number),
    }


# One order in this many comes from a buyer who accepts marketing and is fulfilled: a
# photo request is e-mailed for it at once (the workspace's Outbox, the demo mailbox).
PHOTO_REQUEST_EVERY = 10
BUYER_LOCALES = ("en-GB", "fr-FR", "de-DE", "es-ES", "it-IT")


def _photo_request_fields(number: int) -> dict:
    if number % PHOTO_REQUEST_EVERY:
        return {}
    return {
        "customer": {"email_marketing_consent": {"state": "subscribed"}},
        "customer_locale": BUYER_LOCALES[number // PHOTO_REQUEST_EVERY % len(BUYER_LOCALES)],
        "fulfillment_status": "fulfilled",
    }


# -- sending ------------------------------------------------------------------------------


def post_json(url: str, body: bytes, headers: dict) -> dict:
    headers = {"Content-Type": "application/json", **headers}
    request = urllib.request.Request(url, body, headers)  # noqa: S310 (our own http server)
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


def send_live_events(scene: Scene, batch: int = 500) -> int:
    accepted = 0
    url = f"{scene.api_url}/api/v1/collect?key={scene.key}"
    for i in range(0, len(scene.events_http), batch):
        body = json.dumps({"events": scene.events_http[i : i + batch]}).encode()
        receipt = post_json(url, body, {"Origin": scene.shop_url})
        accepted += receipt["accepted"]
    return accepted


def store_old_events(scene: Scene, site_id: int) -> int:
    """Backfill through the collect service, one receive time per simulated day."""
    from analytics.events import ClockWindow, parse_event
    from analytics.services.collect import store_events

    by_day: dict = {}
    for raw in scene.events_old:
        by_day.setdefault(raw["client_time"][:10], []).append(raw)
    accepted = 0
    for raws in by_day.values():
        received = max(datetime.fromisoformat(r["client_time"]) for r in raws)
        clock = ClockWindow(received, timedelta(days=1), timedelta(hours=1))
        events = [parse_event(raw, clock) for raw in raws]
        stored = store_events(
            site_id=site_id, events=events, received_at=received, ip_hash="", device_class="desktop"
        )
        accepted += stored.accepted
    return accepted


def send_orders(scene: Scene) -> int:
    from commerce.services.webhooks import sign

    url = f"{scene.api_url}/api/v1/webhooks/shopify/orders"
    processed = 0
    for order in scene.orders:
        body = json.dumps(order).encode()
        receipt = post_json(
            url,
            body,
            {
                "X-Shopify-Shop-Domain": scene.shop_domain,
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Webhook-Id": f"demo-{order['id']}",
                "X-Shopify-Hmac-Sha256": sign(scene.webhook_secret, body),
            },
        )
        processed += receipt["outcome"] == "processed"
    return processed


def now_utc() -> datetime:
    return datetime.now(UTC)
