"""The demo library: generated photographs with captions in five languages from
creators on five platforms, brought in as one import run (so the workspace's
Imports screen shows it) and processed by the real worker the demo started."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from demo.seed.catalog import DemoProduct
from demo.seed.pictures import ASPECTS, photo

PREFIX = "demo-library-"
IMPORT_SOURCE = "manage.py demo: generated library"
PLATFORMS = ["instagram", "tiktok", "facebook", "youtube", "review"]
CAPTIONS = {
    "en": [
        "Sunrise at camp with my {p}",
        "Best trip this year, the {p} held up",
        "Rainy weekend, dry inside",
    ],
    "fr": ["Lever de soleil au camp avec mon {p}", "Week-end pluvieux, au sec grâce au {p}"],
    "de": ["Sonnenaufgang am Zeltplatz mit dem {p}", "Regenwochenende, trotzdem trocken"],
    "es": ["Amanecer en el campamento con mi {p}", "Fin de semana de lluvia, todo seco"],
    "it": ["Alba al campo con il mio {p}", "Weekend piovoso, ma asciutti nel {p}"],
}
HASHTAGS = [
    "#camping",
    "#hiking",
    "#outdoors",
    "#adventure",
    "#wanderlust",
    "#bivouac",
    "#trailrunning",
    "#nature",
    "#mountains",
    "#vanlife",
]


def platform_id(n: int) -> str:
    return f"{PREFIX}{n:04d}"


def product_for(n: int, catalog: list[DemoProduct]) -> DemoProduct:
    # A third of the photos show each line's first product, so its product page
    # gallery is full, as a best-seller's would be; the rest spread over the catalog.
    if n % 3 == 0:
        lines = max(1, len(catalog) // 25)
        return catalog[((n // 3) % lines) * 25]
    return catalog[(n * 37) % len(catalog)]


def item(n: int, product: DemoProduct, folder: Path):
    """Picture n as a parsed import item, its file written under `folder`."""
    from ugc.ingest.items import AssetInput, ParsedItem

    rng = random.Random(n)  # noqa: S311 (seeded: the same picture every run)
    path = folder / f"{platform_id(n)}.jpg"
    if not path.exists():
        # Written aside and renamed: a run cut short leaves no half picture that the
        # next run would take as made.
        part = path.with_suffix(".part")
        part.write_bytes(photo(n, product.rgb, list(ASPECTS.values())[n % len(ASPECTS)]))
        part.replace(path)
    language = list(CAPTIONS)[n % len(CAPTIONS)]
    caption = rng.choice(CAPTIONS[language]).format(p=product.title)
    platform = PLATFORMS[n % len(PLATFORMS)]
    handle = f"{rng.choice(['trail', 'camp', 'peak', 'wild', 'nord'])}_{n % 97:02d}"
    return ParsedItem(
        key=platform_id(n),
        input=AssetInput(
            platform=platform,
            platform_id=platform_id(n),
            caption=f"{caption} {' '.join(rng.sample(HASHTAGS, 3))}",
            creator_handle=handle,
            language=language,
            posted_at=datetime.now(UTC) - timedelta(days=rng.randint(1, 120)),
            permalink=f"https://example.com/{platform}/{platform_id(n)}",
            alt_text=f"A customer's photo with a {product.colour} {product.title}",
            file_path=str(path),
        ),
    )


def items(count: int, catalog: list[DemoProduct], folder: Path) -> Iterator:
    # Generated lazily: each batch is ingested (and picked up by the worker)
    # while the next one is drawn.
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        yield item(n, catalog and product_for(n, catalog), folder)


def import_library(count: int, catalog, folder: Path, report: Callable[[str], None]):
    """One resumable import run; a second demo run skips what the first brought in."""
    from ugc.services.ingest import import_fingerprint, run_import

    done = 0

    def progress(advanced, _results):
        nonlocal done
        done += advanced
        report(f"imported {done}/{count}")

    return run_import(
        items(count, catalog, folder),
        kind="demo",
        source=IMPORT_SOURCE,
        fingerprint=import_fingerprint("demo", IMPORT_SOURCE, str(count)),
        batch_size=25,
        progress=progress,
    )


def resume_processing() -> int:
    """Send the pipeline again for the demo photos a run cut short left unprocessed:
    their messages were taken by the worker it stopped and stay hidden for the broker's
    visibility timeout. Running the pipeline twice is safe; how many were sent."""
    from ugc.models import ProcessingState
    from ugc.tasks import process_asset

    waiting = ProcessingState.RECEIVED, ProcessingState.PROCESSING
    left = list(demo_assets().filter(processing_state__in=waiting).values_list("pk", flat=True))
    for asset_id in left:
        process_asset.delay(asset_id)
    return len(left)


def demo_assets():
    from ugc.models import Asset

    return Asset.objects.filter(platform_id__startswith=PREFIX)


def wait_until_processed(
    count: int, report: Callable[[str], None], timeout: float, meanwhile: Callable[[], None]
) -> int:
    """Poll the assets' states until the worker has processed them all; how many did.
    `meanwhile` runs on each poll, so a coordinator's work overlaps the worker's."""
    from ugc.models import ProcessingState

    deadline, last = time.monotonic() + timeout, None
    while True:
        meanwhile()
        waiting = ProcessingState.RECEIVED, ProcessingState.PROCESSING
        left = demo_assets().filter(processing_state__in=waiting).count()
        done = demo_assets().count() - left
        if done != last:
            report(f"processing {done}/{count}")
            last = done
        if not left or time.monotonic() > deadline:
            return done
        time.sleep(1)


def busiest_product() -> str:
    """The SKU with the most publishable photos, for the product page URL we print."""
    from django.db.models import Count

    from commerce.models import Product
    from demo.storefront.seed import DEMO_SKU
    from ugc.selectors import publishable_assets

    best = (
        Product.objects.filter(
            asset_tags__asset__in=publishable_assets(),
            asset_tags__accepted=True,
            sku__startswith="DM-",
        )
        .annotate(photos=Count("asset_tags"))
        .order_by("-photos", "sku")
        .values_list("sku", flat=True)
        .first()
    )
    return best or DEMO_SKU
