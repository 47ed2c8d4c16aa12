"""`uv run manage.py import_ugc PATH`: bring a folder, a CSV or a platform export into the library.

Resumable: the run is remembered by what it imports (kind, path and, for a
file, its content hash); a rerun of the same thing skips the items already
done and tries the failed ones again. Idempotent either way: an item imported
twice updates its asset (same platform id) or is skipped (same bytes).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.progress import Progress
from ugc.ingest.csv_rows import parse_csv
from ugc.ingest.folder import parse_folder
from ugc.ingest.items import PLATFORMS, SourceError
from ugc.ingest.platforms import detect_kind, load_json, parse_instagram, parse_tiktok
from ugc.services.ingest import import_fingerprint, run_import

KINDS = ("folder", "csv", "instagram", "tiktok")
MAX_LISTED_FAILURES = 50


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Import UGC from a folder of media, a CSV, or an Instagram or TikTok JSON export."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a folder, a .csv or a .json file")
        parser.add_argument("--kind", choices=KINDS, help="default: from the path")
        parser.add_argument(
            "--platform",
            choices=sorted(PLATFORMS),
            help="platform of folder files, and of CSV rows that name none (default: upload)",
        )
        parser.add_argument(
            "--no-download",
            action="store_true",
            help="take URLs as metadata only (assets wait for their media; a later run "
            "without this flag downloads them)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            help="items per transaction and progress step (default: 500 for metadata, "
            "20 when files are read or downloaded)",
        )

    def handle(
        self, *args, path, kind=None, platform=None, no_download=False, batch_size=None, **options
    ):
        source = Path(path).expanduser().resolve()
        if not source.exists():
            raise CommandError(f"{path}: no such file or folder")
        try:
            kind, items, content_hash = self._parse(source, kind, platform)
        except SourceError as exc:
            raise CommandError(f"{path}: {exc}") from None
        fingerprint = import_fingerprint(kind, str(source), content_hash)
        if batch_size is None:
            # Metadata goes in bulk; transfers are one by one, so smaller steps keep
            # the bar moving and lose less work to a crash.
            transfers = any(
                p.input and (p.input.file_path or (p.input.media_url and not no_download))
                for p in items
            )
            batch_size = 20 if transfers else 500
        counts: Counter[str] = Counter()
        unchanged = 0
        failures: list[str] = []
        warnings: list[str] = []
        skipped_done = 0

        with Progress(total=len(items), label=f"import {kind}", stream=self.stderr) as bar:

            def progress(advanced, results):
                nonlocal unchanged, skipped_done
                if not results:
                    skipped_done += advanced
                for parsed, outcome in results:
                    counts[outcome.status] += 1
                    if outcome.status == "updated" and not outcome.changed:
                        unchanged += 1
                    if outcome.status == "failed":
                        failures.append(f"{parsed.key}: {outcome.reason}")
                    warnings.extend(f"{parsed.key}: {w}" for w in outcome.warnings)
                bar.advance(advanced)

            run = run_import(
                items,
                kind=kind,
                source=str(source),
                fingerprint=fingerprint,
                download=not no_download,
                batch_size=max(1, batch_size),
                progress=progress,
            )

        out = self.stdout
        out.write(f"Imported {source} ({kind}), run {run.pk}:")
        out.write(f"  created               {counts['created']:>8,}")
        out.write(f"  updated               {counts['updated']:>8,}  ({unchanged:,} unchanged)")
        out.write(f"  skipped as duplicate  {counts['duplicate']:>8,}")
        out.write(f"  failed                {counts['failed']:>8,}")
        if skipped_done:
            out.write(f"  already done earlier  {skipped_done:>8,}  (resumed run)")
        for line in failures[:MAX_LISTED_FAILURES]:
            out.write(f"  failed: {line}")
        if len(failures) > MAX_LISTED_FAILURES:
            out.write(f"  ... and {len(failures) - MAX_LISTED_FAILURES} more failures")
        for line in warnings[:MAX_LISTED_FAILURES]:
            out.write(f"  warning: {line}")
        if len(warnings) > MAX_LISTED_FAILURES:
            out.write(f"  ... and {len(warnings) - MAX_LISTED_FAILURES} more warnings")

    def _parse(self, source: Path, kind: str | None, platform: str | None):
        if source.is_dir():
            if kind not in (None, "folder"):
                raise SourceError(f"{kind} needs a file, and this is a folder")
            return "folder", list(parse_folder(source, platform=platform or "upload")), ""
        content_hash = file_sha256(source)
        if kind is None:
            suffix = source.suffix.lower()
            if suffix == ".csv":
                kind = "csv"
            elif suffix == ".json":
                kind = ""
            else:
                raise SourceError("cannot tell the kind from the name; pass --kind")
        if kind == "csv":
            return kind, list(parse_csv(source, default_platform=platform or "")), content_hash
        if kind == "folder":
            raise SourceError("--kind folder needs a folder")
        document = load_json(source)
        kind = kind or detect_kind(document)
        parser = parse_instagram if kind == "instagram" else parse_tiktok
        return kind, list(parser(document)), content_hash
