"""`manage.py rescore [--full | ID ...]`: rescore assets now, in this process.

Without arguments, the assets with new performance or engagement since the last run
(what the beat does every few minutes); `--full` refits the priors and rescores the
library (the nightly run); ids rescore those assets. Then recommended galleries get
their order for the current time bucket.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ugc.services import scoring


class Command(BaseCommand):
    help = "Rescore assets (new data, --full, or the given ids) and reorder galleries."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int)
        parser.add_argument("--full", action="store_true", help="rescore the whole library")

    def handle(self, *args, ids: list[int], full: bool, **options):
        if full:
            result = scoring.rescore_all()
        elif ids:
            result = scoring.rescore_assets(ids)
        else:
            result = scoring.rescore_new_data()
        galleries = scoring.refresh_recommended_galleries()
        self.stdout.write(
            f"{result.kind} rescoring: {result.assets} assets, {result.changed} changed; "
            f"{galleries} recommended galleries reordered"
        )
