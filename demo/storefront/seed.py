"""The demo storefront's data: a site whose allowed origin is the storefront, a
home-page gallery and a product-page gallery, a product, and a few photos taken
through the real ingestion, pipeline, moderation and rights services.

Idempotent: a second run of `manage.py demo` finds what the first made and only
brings the site's allowed origins up to date with the ports of this run.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

DEMO_SITE = "Demo storefront"
DEMO_SKU = "DEMO-TENT"
PHOTOS = 8
CAPTIONS = [
    "Sunrise at the lake with our new tent #camping",
    "Kids loved the first night outside",
    "Packed light for the ridge trail",
    "Rainy weekend, dry inside #tested",
    "Our base camp for the festival",
    "Fog rolling in over the valley",
    "Set up in five minutes, as promised",
    "Last trip of the summer <3",
]


@dataclass
class DemoStorefront:
    key: str
    site_id: int
    galleries: list[str]


def demo_photo(n: int) -> bytes:
    """A distinct generated photograph per n, with the tent in its green."""
    from demo.seed.pictures import photo

    return photo(10_000 + n, (42, 157, 143), (1080, 1350))


def _site(origins: list[str]):
    from ugc.models import Site

    site, _ = Site.objects.get_or_create(name=DEMO_SITE, defaults={"domain": "127.0.0.1"})
    if sorted(site.allowed_origins) != sorted(origins):
        site.allowed_origins = origins
        site.save()
    return site


def _galleries(site) -> list[str]:
    from ugc.models import Gallery, GalleryRule

    home, created = Gallery.objects.get_or_create(
        site=site, slug="homepage", defaults={"title": "Made by our customers", "size": 12}
    )
    if created:  # everything publishable from Instagram, newest first
        GalleryRule.objects.create(gallery=home, platform="instagram")
    Gallery.objects.get_or_create(
        site=site,
        slug="product",
        defaults={"title": "Seen on our customers", "product_page": True, "layout": "carousel"},
    )
    return ["homepage", "product"]


def _product(storefront_url: str):
    from commerce.models import Product
    from demo.seed.catalog import product_page

    url = product_page(storefront_url, DEMO_SKU)
    product, _ = Product.objects.get_or_create(
        sku=DEMO_SKU,
        defaults={"title": "Ridge 2 tent", "price": "249.00", "currency": "EUR", "url": url},
    )
    if product.url != url:  # the storefront runs on another port this time
        product.url = url
        product.save(update_fields=["url", "updated_at"])
    return product


def _publish_photo(n: int, product) -> None:
    """One photo through ingestion and the pipeline (now, not on the worker, so the
    demo opens with photos), then approved with rights granted."""
    from ugc.ingest.items import AssetInput
    from ugc.models import Asset
    from ugc.services import moderation, pipeline, rights, tagging
    from ugc.services.ingest import ingest

    item = AssetInput(
        platform="instagram",
        platform_id=f"demo-storefront-{n}",
        caption=CAPTIONS[n % len(CAPTIONS)],
        creator_handle=f"camper{n}",
        permalink=f"https://www.instagram.com/p/demo{n}/",
        alt_text=f"A customer's camp, photo {n + 1}",
    )
    outcome = ingest(
        item, file=io.BytesIO(demo_photo(n)), filename=f"demo-{n}.jpg", content_type="image/jpeg"
    )
    asset = Asset.objects.get(pk=outcome.asset_id)
    pipeline.process(asset.pk)
    asset.refresh_from_db()
    moderation.approve(asset, note="demo")
    rights.grant(asset, via="owned_content")  # the brand's own photos: no reply
    if n % 2 == 0:
        tagging.tag_product(asset, product, x=0.3 + 0.05 * n, y=0.6)


def seed(storefront_origins: list[str], storefront_url: str) -> DemoStorefront:
    from ugc.models import Asset

    site = _site(storefront_origins)
    galleries = _galleries(site)
    product = _product(storefront_url)
    have = set(
        Asset.objects.filter(platform_id__startswith="demo-storefront-").values_list(
            "platform_id", flat=True
        )
    )
    for n in range(PHOTOS):
        if f"demo-storefront-{n}" not in have:
            _publish_photo(n, product)
    return DemoStorefront(key=site.publishable_key, site_id=site.pk, galleries=galleries)
