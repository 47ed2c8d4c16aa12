"""Run the media pipeline again: `manage.py reprocess [--failed | --all | ID ...]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ugc.models import Asset, ProcessingState
from ugc.services.pipeline import reprocess

CHUNK = 500  # assets per transaction: a big library is not locked in one go


class Command(BaseCommand):
    help = "Queue the media pipeline again for the given assets, the failed ones, or all."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="asset ids")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--failed", action="store_true", help="every failed asset")
        group.add_argument("--all", action="store_true", help="every asset")

    def handle(self, *args, ids, failed, all, **options):
        if bool(ids) + failed + all != 1:
            raise CommandError("give asset ids, --failed or --all (exactly one of them)")
        assets = Asset.objects.order_by("pk")
        if failed:
            assets = assets.filter(processing_state=ProcessingState.FAILED)
        elif ids:
            assets = assets.filter(pk__in=ids)
            missing = set(ids) - set(assets.values_list("pk", flat=True))
            if missing:
                self.stderr.write(f"no such assets: {', '.join(map(str, sorted(missing)))}")
        chosen = list(assets.values_list("pk", flat=True))
        queued = 0
        for start in range(0, len(chosen), CHUNK):
            queued += reprocess(chosen[start : start + CHUNK])
            if len(chosen) > CHUNK:
                percent = queued * 100 // len(chosen)
                self.stdout.write(f"  {queued}/{len(chosen)} queued ({percent}%)")
        noun = "asset" if queued == 1 else "assets"
        self.stdout.write(self.style.SUCCESS(f"Queued {queued} {noun} for processing."))
