"""uv run manage.py import_orders FILE: orders from our CSV or Shopify's order export."""

from django.core.management.base import BaseCommand, CommandError

from commerce import selectors
from commerce.management.commands import _importing
from commerce.models import Shop
from commerce.services.imports import import_orders


class Command(BaseCommand):
    help = (
        "Import orders from a CSV: the documented columns (README) or Shopify's order export. "
        "Idempotent by order id; an older state never replaces a newer one."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--shop", help="the shop's domain (may be left out when there is one shop)"
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="orders per transaction (%(default)s)"
        )
        parser.add_argument("--errors", help="write the failed rows to this CSV file")
        parser.add_argument("--strict", action="store_true", help="exit 1 if any row failed")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        if options["shop"]:
            shop = selectors.shop_by_domain(options["shop"])
            if shop is None:
                raise CommandError(
                    f"--shop: no shop {options['shop']!r}; create it with "
                    "`manage.py create_shop DOMAIN`"
                )
        else:
            shops = list(Shop.objects.all()[:2])
            if len(shops) != 1:
                raise CommandError(
                    "--shop DOMAIN is required: "
                    + (
                        "there is no shop yet (manage.py create_shop)"
                        if not shops
                        else "there are several shops"
                    )
                )
            shop = shops[0]
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        _importing.run(
            self,
            options,
            lambda: import_orders(
                options["file"],
                shop=shop,
                batch_size=options["batch_size"],
                progress=_importing.progress_for(self, options["quiet"]),
            ),
        )
