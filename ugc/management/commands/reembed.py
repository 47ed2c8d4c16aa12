"""`manage.py reembed`: embed the whole library under the configured model.

To change the model without a gap in search: set EMBEDDING_MODEL_PATH to the
new model and EMBEDDING_PREVIOUS_MODEL_PATH to the old one, run this command
(its batches go to the `embeddings` queue, or run here with --here), and search
switches to the new vectors once they cover the library. Then unset the
previous path and run `reembed --prune` to drop the old vectors.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from core.progress import Progress
from ugc.models import Asset, AssetEmbedding
from ugc.services.embedders import default_embedder
from ugc.services.search_index import INDEXING_BATCH, embed_assets, request_indexing


class Command(BaseCommand):
    help = "Embed every asset under the configured model (queued, or --here)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--here", action="store_true", help="embed in this process instead of queueing tasks"
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="delete the vectors of every other model, then stop",
        )

    def handle(self, *args, here: bool, prune: bool, **options):
        model = default_embedder().name
        if prune:
            deleted, _ = AssetEmbedding.objects.exclude(model=model).delete()
            self.stdout.write(f"deleted {deleted} vectors of other models; kept {model}")
            return
        ids = list(Asset.objects.order_by("pk").values_list("pk", flat=True))
        if not here:
            request_indexing(ids)
            self.stdout.write(
                f"queued {len(ids)} assets for {model} in {-(-len(ids) // INDEXING_BATCH)} tasks"
            )
            return
        counts = {"embedded": 0, "unchanged": 0, "empty": 0}
        with Progress(total=len(ids), label=f"embedding under {model}") as progress:
            for start in range(0, len(ids), INDEXING_BATCH):
                batch = ids[start : start + INDEXING_BATCH]
                for key, value in embed_assets(batch).items():
                    counts[key] += value
                progress.advance(len(batch))
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))
