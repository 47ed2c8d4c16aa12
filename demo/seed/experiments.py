"""Two gallery experiments with their visitors, so the experiments screen has results:
one finished with a real effect (a best-scored home gallery lifts click-through) and
one running (a holdout on the product pages, measured in orders).

Visitors are assigned as the storefront would (analytics.experiments.assign_variant);
their events go through the collect service in-process with the simulated receive
time, their orders through the signed order webhook. Ids are fixed by content, so
a second run stores nothing twice."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from demo.seed import shoppers

SEED = 777
FINISHED = "homepage-best-vs-newest"
RUNNING = "product-gallery-holdout"
# (experiment, variant) -> chance a visitor clicks a tile / orders
CLICK = {"control": 0.04, "b": 0.065}
ORDER = {"control": 0.05, "holdout": 0.03}


def _experiments(site, now: datetime):
    from analytics.models import Experiment
    from analytics.services.experiments import create_experiment
    from ugc.models import Gallery

    home = Gallery.objects.get(site=site, slug="homepage")
    product = Gallery.objects.get(site=site, slug="product")
    best, _ = Gallery.objects.get_or_create(
        site=site, slug="homepage-best", defaults={"title": "Best-scored customer photos"}
    )
    plans = {
        FINISHED: dict(
            name="Home: best-scored photos against newest",
            placement="homepage",
            metric=Experiment.Metric.CLICK_THROUGH,
            variants=[
                {"name": "control", "weight": 0.5, "gallery": home},
                {"name": "b", "weight": 0.5, "gallery": best},
            ],
            starts_at=now - timedelta(days=40),
            ends_at=now - timedelta(days=26),
        ),
        RUNNING: dict(
            name="Product pages: gallery against no gallery (holdout)",
            placement="product",
            metric=Experiment.Metric.CONVERSION_RATE,
            variants=[
                {"name": "control", "weight": 0.8, "gallery": product},
                {"name": "holdout", "weight": 0.2, "gallery": None},
            ],
            starts_at=now - timedelta(days=6),
            ends_at=now + timedelta(days=8),
        ),
    }
    found = {}
    for key, plan in plans.items():
        found[key] = Experiment.objects.filter(site=site, key=key).first() or create_experiment(
            site=site, key=key, **plan
        )
    return found


def seed(demo, shop, product: tuple[str, str, str], now: datetime, visitors: int = 1500) -> str:
    """`product`: (sku, title, price) the running experiment's visitors order."""
    from analytics.experiments import assign_variant
    from ugc.selectors import publishable_assets

    asset = publishable_assets().order_by("pk").values_list("pk", flat=True).first()

    rng = random.Random(SEED)  # noqa: S311 (seeded on purpose: the same demo every run)
    experiments = _experiments(demo.site, now)
    scene = shoppers.Scene(
        shop_url=demo.shop_url, api_url=demo.api_url, key="", shop_domain=shop.domain,
        webhook_secret=shop.webhook_secret, home_assets=[], product_assets={}, products=[],
        live_days=0,
    )  # fmt: skip
    for key, experiment in experiments.items():
        variants = list(experiment.variants.all())
        weights = [v.weight for v in variants]
        span = (experiment.ends_at or now) - experiment.starts_at
        span = min(span, now - experiment.starts_at)
        for n in range(visitors):
            visitor = f"v_{uuid.uuid5(shoppers.NAMESPACE, f'{key}-{n}').hex}"
            variant = variants[assign_variant(experiment.pk, visitor, weights)].name
            start = experiment.starts_at + span * rng.random()
            if start > now - timedelta(minutes=5):
                continue
            _visit(scene, rng, (key, variant, visitor), start, asset, product)
    stored = shoppers.store_old_events(scene, demo.site.pk)
    orders = shoppers.send_orders(scene)
    return f"{len(experiments)} experiments; {stored} events, {orders} orders new"


def _visit(scene, rng, who: tuple[str, str, str], start: datetime, asset, product) -> None:
    key, variant, visitor = who
    session = f"s_{uuid.uuid5(shoppers.NAMESPACE, visitor + key).hex[:24]}"
    page = f"{scene.shop_url}/" if key == FINISHED else f"{scene.shop_url}/products/demo"
    events = shoppers._Events(visitor, session, start, rng)
    tagged = {"experiment": key, "variant": variant}
    events.add("page_view", page, **tagged)
    if variant != "holdout":
        gallery = "homepage" if key == FINISHED else "product"
        events.add("gallery_view", page, gallery=gallery, **tagged)
        if asset is not None:
            tile = {"gallery": gallery, "asset_id": asset, "position": 0, **tagged}
            events.add("asset_impression", page, **tile)
            if rng.random() < CLICK.get(variant, 0.04):
                events.add("asset_click", page, **tile)
    scene.events_old.extend(events.made)
    if key == RUNNING and rng.random() < ORDER[variant]:
        scene.orders.append(shoppers._order(visitor, events.at, page, "", *product))
