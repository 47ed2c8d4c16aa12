"""The demo brand's catalog: about 200 outdoor products in 8 product lines,
generated from a fixed seed and loaded through the real catalog import (the
same service as `manage.py import_catalog`), and the demo shop that signs its
order webhooks."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

DEMO_SHOP_DOMAIN = "demo-shop.example.com"
SEED = 20260101

# line -> (product nouns, price range in EUR)
LINES = {
    "Tents": (["tent", "shelter", "tarp", "bivvy"], (89, 499)),
    "Sleeping bags": (["sleeping bag", "quilt", "liner"], (49, 389)),
    "Backpacks": (["backpack", "daypack", "duffel"], (39, 279)),
    "Footwear": (["hiking boot", "trail shoe", "sandal"], (59, 229)),
    "Jackets": (["rain jacket", "down jacket", "fleece", "windbreaker"], (49, 349)),
    "Cooking": (["stove", "pot set", "mug", "kettle"], (15, 149)),
    "Lighting": (["headlamp", "lantern", "torch"], (12, 99)),
    "Accessories": (["water bottle", "trekking poles", "camp chair", "hammock"], (9, 129)),
}
ADJECTIVES = [
    "Ridge",
    "Summit",
    "Alpine",
    "Canyon",
    "Fjord",
    "Meadow",
    "Tundra",
    "Cedar",
    "Glacier",
    "Harbour",
    "Lupine",
    "Basalt",
    "Aurora",
    "Juniper",
    "Sierra",
]
COLOURS = {
    "red": (200, 50, 45),
    "orange": (235, 130, 40),
    "yellow": (235, 195, 50),
    "green": (60, 140, 70),
    "teal": (30, 140, 140),
    "blue": (40, 90, 180),
    "purple": (120, 70, 160),
    "grey": (120, 125, 130),
}
PER_LINE = 25


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    title: str
    line: str
    price: str
    colour: str

    @property
    def rgb(self) -> tuple[int, int, int]:
        return COLOURS[self.colour]


def products() -> list[DemoProduct]:
    """The same 200 products on every run (the import upserts them by SKU)."""
    rng = random.Random(SEED)  # noqa: S311 (seeded on purpose: the same demo every run)
    made = []
    for index, (line, (nouns, (low, high))) in enumerate(LINES.items()):
        for n in range(PER_LINE):
            noun, colour = rng.choice(nouns), rng.choice(list(COLOURS))
            title = f"{rng.choice(ADJECTIVES)} {noun} {n + 1}".title()
            price = f"{rng.randint(low, high)}.{rng.choice(['00', '50', '95', '99'])}"
            made.append(DemoProduct(f"DM-{index + 1}{n + 1:02d}", title, line, price, colour))
    return made


def product_page(storefront_url: str, sku: str) -> str:
    """The demo storefront's page of a product (demo/storefront/server.py's pattern)."""
    return f"{storefront_url.rstrip('/')}/products/{sku}"


def catalog_csv(items: list[DemoProduct], storefront_url: str) -> bytes:
    """Our documented catalog CSV, one row per product, each linked to its page on the
    demo storefront so that a shopper can go from a photo to the product."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sku", "title", "url", "product_line", "price", "currency", "description"])
    for p in items:
        writer.writerow(
            [
                p.sku,
                p.title,
                product_page(storefront_url, p.sku),
                f"Outdoor > {p.line}",
                p.price,
                "EUR",
                f"{p.title} in {p.colour}, from our {p.line.lower()} range.",
            ]
        )
    return out.getvalue().encode()


def load(storefront_url: str):
    """Import the catalog and make sure the demo shop exists; (summary, shop)."""
    from commerce.services.imports import import_catalog
    from commerce.services.shops import create_or_update_shop

    summary = import_catalog(catalog_csv(products(), storefront_url))
    shop = create_or_update_shop(domain=DEMO_SHOP_DOMAIN, name="Demo outdoor shop")
    return summary, shop
