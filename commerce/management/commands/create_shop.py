"""uv run manage.py create_shop DOMAIN: register a shop that sends order webhooks."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from commerce.services.shops import create_or_update_shop


class Command(BaseCommand):
    help = (
        "Create (or update) a shop. Prints the webhook secret once when it generates one; "
        "give it to the shop (Shopify: the app's client secret) to sign its webhooks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "domain", help="as the shop's webhooks name it, e.g. brand.myshopify.com"
        )
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--secret",
            default="",
            help="the shop's signing secret (Shopify signs with the app's client secret); "
            "generated when left out",
        )

    def handle(self, *args, **options):
        try:
            shop = create_or_update_shop(
                domain=options["domain"], name=options["name"], webhook_secret=options["secret"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"shop {shop.domain} (id {shop.pk})")
        if not options["secret"]:
            self.stdout.write(f"webhook secret: {shop.webhook_secret}")
