"""A coordinator's work on the demo library, through the services: most photos
approved, some rejected with a reason, rights requested for some and granted
for many, products and lines tagged so product-page galleries have content.
Only assets still waiting for a decision are touched, so a second run changes
nothing."""

from __future__ import annotations

from collections import Counter

from demo.seed.catalog import DemoProduct
from demo.seed.library import demo_assets, product_for

REJECT_REASONS = ["off-brand", "low-quality", "competitor"]


def decision(n: int) -> str:
    """What the coordinator does with picture n: a fixed mix over every ten."""
    return {0: "reject", 1: "review", 2: "requested", 3: "requested"}.get(n % 10, "granted")


def curate(catalog: list[DemoProduct]) -> Counter:
    from commerce.models import Product
    from ugc.models import ModerationState, ProcessingState

    products = {p.sku: p for p in Product.objects.filter(sku__in=[c.sku for c in catalog])}
    waiting = demo_assets().filter(
        processing_state=ProcessingState.IN_REVIEW, moderation_state=ModerationState.PENDING
    )
    done: Counter = Counter()
    for asset in waiting.select_related("creator").order_by("pk"):
        n = int(asset.platform_id.rsplit("-", 1)[1])
        action = decision(n)
        _apply(asset, n, action, products.get(product_for(n, catalog).sku))
        done[action] += 1
    return done


def _apply(asset, n: int, action: str, product) -> None:
    from ugc.services import moderation, rights, tagging

    if action == "review":
        return
    if action == "reject":
        moderation.reject(asset, reason=REJECT_REASONS[n % len(REJECT_REASONS)], note="demo")
        return
    moderation.approve(asset, note="demo")
    if product is not None:
        tagging.tag_product(asset, product, x=0.5, y=0.7)
        if product.product_line_id:
            tagging.tag_product_line(asset, product.product_line)
    rights.request_rights(asset)
    if action == "granted":
        rights.grant(asset, via=_grant_method(asset.source_platform), reply_text="#yesdemo")


def _grant_method(platform: str) -> str:
    return "review_terms" if platform == "review" else "hashtag_reply"
