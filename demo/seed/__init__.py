"""What `manage.py demo` seeds once its worker and web server are up: a catalog,
a library run through the real pipeline, a coordinator's decisions, and
simulated shoppers whose events and orders feed rollups, attribution and scores.

Every step is idempotent: products are upserted by SKU, the library is one
resumable import run, curation only touches undecided assets, and shoppers are the
same on every run (their events and orders are taken once) and sent until the
last order is in. A run cut short at any point is completed by the next one."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings

from demo.seed import catalog, curation, experiments, library, shoppers


@dataclass(frozen=True)
class Scale:
    images: int
    days: int
    visitors_per_day: int


FULL = Scale(images=300, days=60, visitors_per_day=55)
QUICK = Scale(images=40, days=7, visitors_per_day=25)  # the test suite's run: every step


@dataclass
class Demo:
    api_url: str
    shop_url: str
    site: object  # ugc.models.Site
    scale: Scale
    step: Callable[[str, str], None]

    def timed(self, name: str, work: Callable[[], str]) -> None:
        started = time.monotonic()
        text = work()
        self.step(name, f"{text} ({time.monotonic() - started:.0f}s)")


def run(demo: Demo, *, timeout: float = 600) -> None:
    """All steps in order; each prints what it did and how long it took."""
    state: dict = {}
    demo.timed("catalog", lambda: _catalog(demo, state))
    demo.timed("library", lambda: _library(demo, state, timeout))
    demo.timed("curation", lambda: _curation(state))
    demo.timed("shoppers", lambda: _shoppers(demo, state))
    demo.timed("experiments", lambda: _experiments(demo, state))
    demo.timed("rollups", lambda: _rollups(demo))
    demo.timed("attribution", lambda: _attribution(demo, timeout))
    demo.timed("scores", _scores)


def _catalog(demo: Demo, state: dict) -> str:
    summary, shop = catalog.load(demo.shop_url)
    state["catalog"], state["shop"] = catalog.products(), shop
    counts = ", ".join(f"{n} {name}" for name, n in sorted(summary.counts.items()))
    return (
        f"{len(state['catalog'])} products in {len(catalog.LINES)} lines ({counts}); "
        f"shop {shop.domain}"
    )


def _library(demo: Demo, state: dict, timeout: float) -> str:
    count, folder = demo.scale.images, Path(settings.DATA_DIR) / "demo" / "library"

    def report(text: str) -> None:
        demo.step("library", text)

    def curate_ready() -> None:
        curation.curate(state["catalog"])

    if resumed := library.resume_processing():
        report(f"{resumed} photos left unprocessed by the last run sent to the worker again")
    run = library.import_library(count, state["catalog"], folder, report)
    done = library.wait_until_processed(count, report, timeout, curate_ready)
    return f"import run {run.pk} {run.summary}; {done}/{count} processed by the worker"


def _curation(state: dict) -> str:
    from django.db.models import Count

    curation.curate(state["catalog"])  # what the worker finished after the last poll
    mix = library.demo_assets().values_list("moderation_state", "rights_state")
    counted = mix.annotate(n=Count("pk")).order_by("moderation_state", "rights_state")
    return "; ".join(f"{n} {moderation}, rights {rights}" for moderation, rights, n in counted)


def _shoppers(demo: Demo, state: dict) -> str:
    from commerce.models import Order

    shop = state["shop"]
    scene = shoppers.Scene(
        shop_url=demo.shop_url,
        api_url=demo.api_url,
        key=demo.site.publishable_key,
        shop_domain=shop.domain,
        webhook_secret=shop.webhook_secret,
        home_assets=_home_gallery(),
        product_assets=_product_galleries(),
        products=[(p.sku, p.title, p.price) for p in state["catalog"]],
        live_days=max(0, settings.ANALYTICS_CLIENT_TIME_MAX_AGE_DAYS - 1),
    )
    # Up to the demo shop's creation, not to now: a run cut short simulates the same
    # shoppers again, whose events and orders are taken once by their ids, so the next
    # run completes what it sent. The last order is sent last: with it, all were sent.
    shoppers.simulate(
        scene,
        days=demo.scale.days,
        visitors_per_day=demo.scale.visitors_per_day,
        now=shop.created_at,
    )
    last = scene.orders[-1:]
    if last and Order.objects.filter(shop=shop, shop_order_id=str(last[0]["id"])).exists():
        return "the demo shop has its orders already; not simulated again"
    old = shoppers.store_old_events(scene, demo.site.pk)
    live = shoppers.send_live_events(scene)
    orders = shoppers.send_orders(scene)
    return f"{live} events over HTTP, {old} backfilled in-process, {orders} orders by webhook"


def _experiments(demo: Demo, state: dict) -> str:
    product = state["catalog"][0]
    return experiments.seed(
        demo,
        state["shop"],
        (product.sku, product.title, product.price),
        state["shop"].created_at,
        visitors=25 * demo.scale.visitors_per_day,
    )


def _home_gallery() -> list[int]:
    """What the home-page gallery shows: its rule is Instagram photos, newest first."""
    from ugc.selectors import publishable_assets

    newest = publishable_assets().filter(source_platform="instagram").order_by("-pk")
    return list(newest.values_list("pk", flat=True)[:12])


def _product_galleries() -> dict[str, list[int]]:
    from ugc.models import ProductTag
    from ugc.selectors import publishable_assets

    tags = ProductTag.objects.filter(accepted=True, asset__in=publishable_assets())
    shown: dict[str, list[int]] = {}
    for sku, asset_id in tags.order_by("-asset_id").values_list("product__sku", "asset_id"):
        shown.setdefault(sku, []).append(asset_id)
    return shown


def _rollups(demo: Demo) -> str:
    from analytics.services.rollups import push_asset_performance, rollup_day

    today = shoppers.now_utc().date()
    for back in range(demo.scale.days, -1, -1):
        day = today - timedelta(days=back)
        rollup_day(day)
        push_asset_performance(day)
    return f"{demo.scale.days + 1} days rolled up"


def _attribution(demo: Demo, timeout: float) -> str:
    from analytics.models import AttributionRun
    from analytics.services.attribution_runs import MODEL_NAMES, queue_runs
    from analytics.tasks import run_attributions

    today = shoppers.now_utc().date()
    start = today - timedelta(days=demo.scale.days)
    runs = AttributionRun.objects.filter(date_from=start, date_to=today, level="asset")
    pending = [AttributionRun.Status.QUEUED, AttributionRun.Status.RUNNING]
    if not runs.exists():
        queue_runs(models=list(MODEL_NAMES), level="asset", date_from=start, date_to=today)
    elif left := list(runs.filter(status__in=pending).values_list("pk", flat=True)):
        # Left by a run cut short: their message is hidden with the worker it stopped.
        run_attributions.delay(left)
    deadline = time.monotonic() + timeout
    while runs.filter(status__in=pending).exists() and time.monotonic() < deadline:
        time.sleep(1)
    done = runs.filter(status=AttributionRun.Status.DONE).count()
    return f"{done}/{runs.count()} runs done by the worker ({', '.join(MODEL_NAMES)})"


def _scores() -> str:
    from ugc.services.scoring import rescore_all

    summary = rescore_all()
    return f"library rescored: {summary}"
