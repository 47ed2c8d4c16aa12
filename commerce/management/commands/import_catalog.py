"""uv run manage.py import_catalog FILE: products from our CSV or Shopify's product export."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commerce.currencies import is_currency
from commerce.management.commands import _importing
from commerce.selectors import shop_by_domain
from commerce.services.imports import import_catalog


class Command(BaseCommand):
    help = (
        "Import products from a CSV: the documented columns (README) or Shopify's product "
        "export. Idempotent by SKU or handle; prints created, updated, unchanged and failed rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--currency",
            default=settings.COMMERCE_DEFAULT_CURRENCY,
            help="currency of prices in a Shopify export, which names none "
            "(default: COMMERCE_DEFAULT_CURRENCY, %(default)s)",
        )
        parser.add_argument(
            "--storefront-url", default="", help="e.g. https://shop.example: product URLs"
        )
        parser.add_argument(
            "--shop",
            default="",
            help="the shop's domain: product URLs are https://DOMAIN/products/HANDLE "
            "(default: the only shop, if there is one)",
        )
        parser.add_argument("--errors", help="write the failed rows to this CSV file")
        parser.add_argument("--strict", action="store_true", help="exit 1 if any row failed")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        currency = (options["currency"] or "").strip().upper()
        if currency and not is_currency(currency):
            raise CommandError(f"--currency: unknown currency {currency!r} (expected ISO 4217)")
        shop = None
        if options["shop"]:
            shop = shop_by_domain(options["shop"])
            if shop is None:
                raise CommandError(f"--shop: no shop with the domain {options['shop']!r}")
        _importing.run(
            self,
            options,
            lambda: import_catalog(
                options["file"],
                currency=currency,
                storefront_url=options["storefront_url"],
                shop=shop,
                progress=_importing.progress_for(self, options["quiet"]),
            ),
        )
