"""manage.py delete_visitor VISITOR_ID [--site ID]: forget a visitor (privacy requests)."""

from django.core.management.base import BaseCommand, CommandError

from analytics.services.privacy import delete_visitor


class Command(BaseCommand):
    help = "Delete a visitor's events, sessions and visitor rows, on one site or all."

    def add_arguments(self, parser):
        parser.add_argument("visitor_id", help="The first-party id the widget gave the visitor.")
        parser.add_argument("--site", type=int, help="Only this site's id (default: every site).")

    def handle(self, *args, visitor_id: str, site: int | None, **options):
        from ugc.models import Site

        if not visitor_id.strip() or len(visitor_id) > 64:
            raise CommandError("visitor_id must be 1 to 64 characters.")
        if site is not None and not Site.objects.filter(pk=site).exists():
            raise CommandError(f"No site with id {site}.")
        deleted = delete_visitor(visitor_id=visitor_id, site_id=site)
        self.stdout.write(
            f"Deleted {deleted.events} events, {deleted.sessions} sessions and "
            f"{deleted.visitors} visitor rows of {visitor_id!r}."
        )
