"""`manage.py import_engagement FILE`: per-post metrics and followers from a platform export.

FILE is JSON in the Instagram Graph API shape ({"data": [{"id": ..., "like_count": ...,
"insights": {"data": [{"name": "impressions", "values": [{"value": 1200}]}]}}]}) or the
TikTok display API's ({"data": {"videos": [{"id": ..., "view_count": ...}]}}), with
"captured_at" on the document or each post (default: now), and optionally "followers"
[{"handle", "followers", "captured_at"}] or Instagram's "account" {username,
followers_count}. Posts match assets by platform and platform id; the same snapshot
imported again changes nothing; a bad post is reported with its reason and the rest
still come in.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ugc.services.performance import import_engagement


class Command(BaseCommand):
    help = "Import per-post engagement snapshots (Instagram or TikTok JSON); prints a summary."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--platform", help="override the platform the shape implies")

    def handle(self, *args, file: Path, platform: str | None = None, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            document = json.loads(file.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file}: not UTF-8 JSON ({exc})") from exc
        if platform and isinstance(document, dict):
            document["platform"] = platform
        try:
            result = import_engagement(document, default_captured_at=timezone.now())
        except ValidationError as exc:
            raise CommandError(f"{file}: {'; '.join(exc.messages)}") from exc
        self.stdout.write(
            f"snapshots: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged; followers: {result.followers}; "
            f"failed: {len(result.failed)}"
        )
        for failure in result.failed:
            self.stdout.write(f"  item {failure['item']} {failure['id']}: {failure['reason']}")
